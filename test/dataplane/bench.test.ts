/**
 * `attestflow bench dataplane`: a short run in the kernel must measure the real paths (the seal
 * and open runs cost at least the AES they contain) and report them; bad options are usage errors.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchDataplane, benchDataplaneRuns, formatDataplaneBench, formatDataplaneRuns } from '../../src/dataplane/bench.js';
import { announceSkip, kernelSkipReason, repoRoot } from '../util/env.js';

const reason = kernelSkipReason();
announceSkip('bench dataplane', reason);
const bin = join(repoRoot, 'bin', 'attestflow.js');

describe('bench dataplane', () => {
  it.skipIf(reason !== undefined)('measures verdict, seal and open beside raw kernel AES in one run', async () => {
    const r = await benchDataplane({ samples: 7, sizes: [64, 1400], verdictRepeat: 1000 });
    expect(r.sizes.map((s) => s.bytes)).toEqual([64, 1400]);
    for (const s of r.sizes) {
      // A seal or open cheaper than most of its own AES would mean the crypto did not run.
      expect(s.sealRatio).toBeGreaterThan(0.8);
      expect(s.sealPartialRatio).toBeGreaterThan(0.8);
      expect(s.openRatio).toBeGreaterThan(0.8);
      expect(s.rawAesNs).toBeGreaterThan(0);
    }
    // More bytes, more AES.
    expect(r.sizes[1]!.rawAesNs).toBeGreaterThan(r.sizes[0]!.rawAesNs * 3);
    expect(r.verdict.egressDenyNs).toBeGreaterThan(0);
    expect(r.verdict.egressDenyNs).toBeLessThan(r.sizes[0]!.rawAesNs);
    // The report says what the baseline is, so the ratio can be judged.
    expect(r.baseline).toMatch(/2 bpf_crypto_encrypt calls/);
    expect(formatDataplaneBench(r)).toMatch(/raw AES baseline: 2 kfunc calls/);
    expect(formatDataplaneBench(r)).toMatch(/seal\*: checksum left to the device/);
  });

  it.skipIf(reason !== undefined)('--runs: medians of several runs, with their range and how many runs met every target', async () => {
    const seen: number[] = [];
    const r = await benchDataplaneRuns({ samples: 5, sizes: [64], verdictRepeat: 500 }, 3, (_, i) => seen.push(i));
    expect(seen).toEqual([0, 1, 2]);
    expect(r.runs).toHaveLength(3);
    const z = r.summary.sizes[0]!;
    const seals = r.runs.map((x) => x.sizes[0]!.sealRatio).sort((a, b) => a - b);
    expect(z.sealRatio).toBe(seals[1]);
    expect(z.sealRatioRange).toEqual([seals[0], seals[2]]);
    expect(r.summary.runsMeetingTargets).toBe(r.runs.filter((x) => x.targets.met).length);
    expect(r.summary.verdict.maxDenyNs).toBeGreaterThanOrEqual(r.summary.verdict.egressDenyNs);
    expect(formatDataplaneRuns(r)).toMatch(/over 3 runs of 5 samples/);
  });

  it('rejects bad options with a usage error (exit 2)', () => {
    const q = spawnSync(process.execPath, [bin, 'bench', 'dataplane', '--runs', '0'], { encoding: 'utf8' });
    expect(q.status).toBe(2);
    expect(q.stderr).toMatch(/--runs/);
    const r = spawnSync(process.execPath, [bin, 'bench', 'dataplane', '--samples', '1'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--samples/);
    const s = spawnSync(process.execPath, [bin, 'bench', 'dataplane', '--sizes', '64,99999'], { encoding: 'utf8' });
    expect(s.status).toBe(2);
  });
});
