import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { bootstrapReport, formatBootstrapReport } from '../../agent/bootstrap-report.js';
import { UsageError } from '../../errors.js';
import type { BenchSubcommand } from './bench.js';

/** `attestflow bench bootstrap --nodes N [--runs R] [--threads T] [--baseline] [--json]`. */
export const benchBootstrap: BenchSubcommand = {
  register(bench: Command): void {
    bench
      .command('bootstrap')
      .description('N agents in one process on loopback, 2N edges: time until every edge is keyed on both ends')
      .option('--nodes <n>', 'number of agents (>= 3)', '100')
      .option('--runs <r>', 'measured runs (median reported; a warm-up run precedes them when r > 1)', '3')
      // One thread by default: measured faster here (the cores are shared); more pays on idle cores.
      .option('--threads <t>', `worker threads the agents are dealt to, one process either way (cores here: ${availableParallelism()})`, '1')
      .option('--baseline', 'with --threads > 1: also run on a single thread in the same run and report the ratio')
      .option('--json', 'print the report as JSON')
      .action(async (o: { nodes: string; runs: string; threads: string; baseline?: boolean; json?: boolean }) => {
        const nodes = Number(o.nodes);
        const runs = Number(o.runs);
        if (!Number.isInteger(nodes) || nodes < 3 || nodes > 5000) throw new UsageError(`--nodes must be an integer in 3..5000, got ${o.nodes}`);
        if (!Number.isInteger(runs) || runs < 1 || runs > 50) throw new UsageError(`--runs must be an integer in 1..50, got ${o.runs}`);
        const threads = Number(o.threads);
        if (!Number.isInteger(threads) || threads < 1 || threads > 64) throw new UsageError(`--threads must be an integer in 1..64, got ${o.threads}`);
        const r = await bootstrapReport({ nodes, runs, threads, baseline: o.baseline === true });
        process.stdout.write(o.json ? `${JSON.stringify(r, null, 2)}\n` : formatBootstrapReport(r));
      });
  },
};
