/**
 * The afdp helper exiting early (its network namespace vanished, or it died) must come back as a
 * typed `DataplaneError` (`dataplane.helper`), never as an EPIPE that crashes the process: a batch
 * larger than a pipe buffer is still being written when the helper is gone.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import { DataplaneError } from '../../src/dataplane/errors.js';
import { runHelper } from '../../src/dataplane/helper.js';
import { announceSkip, kernelSkipReason } from '../util/env.js';

const reason = kernelSkipReason();
announceSkip('dataplane helper exits early', reason);

/** Far more than a pipe buffer (64 KiB), so the write is in flight when the helper exits. */
const bigBatch = (pinDir: string): string[] => Array.from({ length: 4000 }, (_, i) => `dump ${pinDir}/${i}-${'x'.repeat(120)} dp_sa`);

describe.skipIf(reason !== undefined)('data-plane helper that exits early', () => {
  it('its namespace vanished: a typed dataplane.helper error, no EPIPE crash, and the next operation works', async () => {
    const ns = `af-dp-relfix-${process.pid}`;
    execFileSync('ip', ['netns', 'add', ns]);
    execFileSync('ip', ['netns', 'del', ns]);
    const unhandled: unknown[] = [];
    const onUncaught = (e: unknown): void => void unhandled.push(e);
    process.on('uncaughtException', onUncaught);
    try {
      for (let i = 0; i < 3; i++) {
        const err = await runHelper(bigBatch('/sys/fs/bpf/af-dp-relfix-none'), { netns: ns }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(DataplaneError);
        expect(err).toMatchObject({ code: 'dataplane.helper' });
        expect((err as Error).message).toMatch(/exited|helper/);
      }
      // Give a late 'error' event the chance to surface before looking.
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(unhandled).toEqual([]);
    // The process is fine: the real helper still answers an operation (a typed refusal of a
    // non-existent pin directory is an answer).
    const [reply] = await runHelper(['dump /sys/fs/bpf/af-dp-relfix-none dp_sa']);
    expect(reply?.ok).toBe(false);
  });

  it('the helper is killed before it reads its batch: typed error, also through the Dataplane API', async () => {
    // A helper binary that SIGKILLs itself at once stands in for one that died.
    const dir = mkdtempSync(join(tmpdir(), 'af-dp-relfix-'));
    const dying = join(dir, 'afdp-dies');
    writeFileSync(dying, '#!/bin/sh\nkill -9 $$\n', { mode: 0o755 });
    try {
      const err = await runHelper(bigBatch('/sys/fs/bpf/af-dp-relfix-none'), { helper: dying }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(DataplaneError);
      expect(err).toMatchObject({ code: 'dataplane.helper' });
      // Through the data-plane API: an install batch to a helper that dies is a typed error.
      await expect(Dataplane.load({ pinDir: '/sys/fs/bpf/af-dp-relfix-never', helper: dying })).rejects.toMatchObject({ code: 'dataplane.helper' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
