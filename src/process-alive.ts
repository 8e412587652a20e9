/**
 * Whether a process exists (signal 0 checks without signalling; EPERM means it exists but is not
 * ours). Lock files and namespace sweeps use it to tell a live owner from one that is gone.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
