import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from a checkout). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The shared evidence corpus: `../shared/vectors` beside the checkout (as in CI), or
 * `ATTESTFLOW_VECTORS`. Tests read it in place and never copy it into the project.
 */
export const vectorsDir: string = process.env.ATTESTFLOW_VECTORS ?? join(repoRoot, '..', 'shared', 'vectors');

export const isRoot: boolean = process.getuid?.() === 0;

/**
 * Why kernel/netns tests cannot run here, or undefined when they can. Tests call
 * `describe.skipIf(reason !== undefined)` and the reason is printed, so a skip is never silent.
 */
export function kernelSkipReason(): string | undefined {
  if (!isRoot) return 'needs root (eBPF and network namespaces); CI runs as root';
  return undefined;
}

/** Prints a visible skip notice for a suite that cannot run here. */
export function announceSkip(suite: string, reason: string | undefined): void {
  if (reason !== undefined) process.stderr.write(`SKIPPED ${suite}: ${reason}\n`);
}

export function vectorsAvailable(): boolean {
  return existsSync(join(vectorsDir, 'expected.json'));
}
