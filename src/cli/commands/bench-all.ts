import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { DEFAULT_OPTIONS, QUICK_OPTIONS, runBench } from '../../bench/run.js';
import { markdownTable, writeResults } from '../../bench/report.js';
import type { BenchSubcommand } from './bench.js';

/**
 * `attestflow bench all [--json]`: every workload on plaintext, the eBPF data plane and user-space
 * mTLS, in network namespaces; progress on stderr, the table (or JSON) on stdout, files in --out.
 */
export const benchAllCommand: BenchSubcommand = {
  register(bench: Command): void {
    bench
      .command('all')
      .description('latency, throughput and a 3-stage pipeline on plaintext vs eBPF data plane vs user-space mTLS 1.3, in network namespaces (root)')
      .option('--json', 'print the JSON report on stdout instead of the table')
      .option('--runs <n>', `repeated runs per workload and transport, medians over these (default ${DEFAULT_OPTIONS.runs})`)
      .option('--quick', 'a tiny run that checks the harness (figures not meaningful)')
      .option('--pipeline-rounds <n>', `SHA-256 passes per stage and item: more compute per stage (default ${DEFAULT_OPTIONS.pipeline.rounds})`)
      .option('--out <dir>', 'where latest.json, latest.svg and latest.md are written', 'bench/results')
      .option('--no-write', 'do not write result files')
      .action(async (o: { json?: boolean; runs?: string; quick?: boolean; out: string; write: boolean; pipelineRounds?: string }) => {
        const base = o.quick ? QUICK_OPTIONS : DEFAULT_OPTIONS;
        const runs = o.runs === undefined ? base.runs : Number(o.runs);
        if (!Number.isInteger(runs) || runs < 1 || runs > 50) throw new UsageError(`--runs must be an integer from 1 to 50, got '${o.runs}'`);
        const rounds = o.pipelineRounds === undefined ? base.pipeline.rounds : Number(o.pipelineRounds);
        if (!Number.isInteger(rounds) || rounds < 1 || rounds > 10_000) throw new UsageError(`--pipeline-rounds must be an integer from 1 to 10000, got '${o.pipelineRounds}'`);
        const t0 = performance.now();
        const report = await runBench({ ...base, runs, pipeline: { ...base.pipeline, rounds } }, (line) =>
          process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${line}\n`),
        );
        if (o.write) {
          const files = writeResults(report, o.out);
          process.stderr.write(`[bench] wrote ${files.json}, ${files.svg}, ${files.md}\n`);
        }
        process.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : markdownTable(report));
        if (report.missing.length > 0 || report.failures.length > 0) process.exitCode = 1;
      });
  },
};
