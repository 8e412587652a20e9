export async function dataplaneFigures(_progress: (l: string) => void): Promise<unknown> {
  return { missing: 'not wired yet' };
}
