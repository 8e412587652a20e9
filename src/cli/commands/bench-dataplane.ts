import type { Command } from 'commander';
import { benchDataplane, formatDataplaneBench } from '../../dataplane/bench.js';
import { UsageError } from '../../errors.js';
import type { BenchSubcommand } from './bench.js';

/** `attestflow bench dataplane [--json]`: ns per packet for verdict, seal and open vs raw kernel AES. */
export const benchDataplaneCommand: BenchSubcommand = {
  register(bench: Command): void {
    bench
      .command('dataplane')
      .description('eBPF data plane: policy verdict and AES-CCM seal/open ns per packet vs raw kernel AES (root)')
      .option('--json', 'print the result as JSON')
      .option('--samples <n>', 'samples per figure', '301')
      .option('--sizes <list>', 'packet sizes in bytes, comma separated', '64,512,1400')
      .action(async (o: { json?: boolean; samples: string; sizes: string }) => {
        const samples = Number(o.samples);
        const sizes = o.sizes.split(',').map(Number);
        if (!Number.isInteger(samples) || samples < 5 || samples > 10000) throw new UsageError('--samples must be an integer in 5..10000');
        if (sizes.some((s) => !Number.isInteger(s) || s < 29 || s > 1465)) throw new UsageError('--sizes must be integers in 29..1465');
        const r = await benchDataplane({ samples, sizes });
        process.stdout.write(o.json ? `${JSON.stringify(r, null, 2)}\n` : `${formatDataplaneBench(r)}\n`);
      });
  },
};
