import type { Command } from 'commander';
import { benchDataplane, benchDataplaneRuns, formatDataplaneBench, formatDataplaneRuns } from '../../dataplane/bench.js';
import { UsageError } from '../../errors.js';
import type { BenchSubcommand } from './bench.js';

/** `attestflow bench dataplane [--json]`: ns per packet for verdict, seal, seal* and open vs raw kernel AES. */
export const benchDataplaneCommand: BenchSubcommand = {
  register(bench: Command): void {
    bench
      .command('dataplane')
      .description('eBPF data plane: policy verdict and AES-CCM seal (complete checksum), seal* (checksum left to the device) and open ns per packet vs raw kernel AES (root)')
      .option('--json', 'print the result as JSON')
      .option('--samples <n>', 'samples per figure', '301')
      .option('--sizes <list>', 'packet sizes in bytes, comma separated', '64,512,1400')
      .option('--runs <n>', 'repeat the whole measurement n times and report the medians of the runs (progress on stderr)', '1')
      .action(async (o: { json?: boolean; samples: string; sizes: string; runs: string }) => {
        const samples = Number(o.samples);
        const runs = Number(o.runs);
        const sizes = o.sizes.split(',').map(Number);
        if (!Number.isInteger(samples) || samples < 5 || samples > 10000) throw new UsageError('--samples must be an integer in 5..10000');
        if (sizes.some((s) => !Number.isInteger(s) || s < 29 || s > 1465)) throw new UsageError('--sizes must be integers in 29..1465');
        if (!Number.isInteger(runs) || runs < 1 || runs > 1000) throw new UsageError('--runs must be an integer in 1..1000');
        if (runs === 1) {
          const r = await benchDataplane({ samples, sizes });
          process.stdout.write(o.json ? `${JSON.stringify(r, null, 2)}\n` : `${formatDataplaneBench(r)}\n`);
          return;
        }
        const r = await benchDataplaneRuns({ samples, sizes }, runs, (x, i) => {
          const z = x.sizes[0]!;
          process.stderr.write(`run ${i + 1}/${runs}: ${z.bytes} B raw AES ${(z.rawAesNs / 1000).toFixed(2)} µs, seal ${z.sealRatio.toFixed(3)}, seal* ${z.sealPartialRatio.toFixed(3)}, open ${z.openRatio.toFixed(3)}; verdict ${x.verdict.egressDenyNs.toFixed(0)}/${x.verdict.ingressDenyNs.toFixed(0)} ns\n`);
        });
        process.stdout.write(o.json ? `${JSON.stringify(r, null, 2)}\n` : `${formatDataplaneRuns(r)}\n`);
      });
  },
};
