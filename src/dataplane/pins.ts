import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Dataplane } from './dataplane.js';

/** Where bpffs is mounted; every data plane pins its programs and maps in a directory under it. */
export const BPFFS = '/sys/fs/bpf';

/** The pin directories directly under bpffs whose names start with `prefix`. */
export function listPinDirs(prefix: string): string[] {
  if (!existsSync(BPFFS)) return [];
  return readdirSync(BPFFS)
    .filter((name) => name.startsWith(prefix))
    .map((name) => join(BPFFS, name));
}

/**
 * Safety net after a run was cut short: unloads each data plane left pinned, through the adapter
 * (keys cleared, then unpinned); a directory the adapter cannot open (a load cut in half) is removed
 * directly. With their namespaces gone the programs are detached, and unpinning frees the maps and
 * the keys they hold. Returns the directories that were there.
 */
export async function sweepPinDirs(dirs: readonly string[]): Promise<string[]> {
  const removed: string[] = [];
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    try {
      await (await Dataplane.open({ pinDir: dir })).unload();
    } catch {
      // Not a whole data plane: fall through to removing what is there.
    }
    rmSync(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}
