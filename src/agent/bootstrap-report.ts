/**
 * Runs the bootstrap bench as `attestflow bench bootstrap` reports it: several runs, medians, and
 * ratios against the published reference and (optionally) against the same bench on the portable
 * @noble crypto provider measured in the same process.
 */
import { nodeCrypto } from '../crypto/index.js';
import { REFERENCE, runBootstrap, simBootstrapWorld, type BootstrapRun } from './bootstrap.js';
import { runBootstrapThreads } from './bootstrap-threads.js';

export interface BootstrapReport {
  readonly nodes: number;
  readonly edges: number;
  readonly runs: number;
  readonly threads: number;
  readonly crypto: string;
  /** Median over runs, seconds: all nodes listening → every edge keyed on both ends. */
  readonly medianSeconds: number;
  readonly medianHandshakesPerSecond: number;
  readonly medianCpuSeconds: number;
  readonly handshakeFailures: number;
  readonly all: readonly BootstrapRun[];
  /** The published figure (100 nodes < 1.5 s on 100 machines) and our median over it. */
  readonly reference: { readonly nodes: number; readonly seconds: number; readonly ratio: number };
  readonly target?: { readonly seconds: number; readonly met: boolean };
  /** The same bench on one thread, in the same run: our median over its median. */
  readonly baseline?: { readonly threads: 1; readonly medianSeconds: number; readonly ratio: number };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

async function runs(nodes: number, count: number, threads: number): Promise<BootstrapRun[]> {
  const out: BootstrapRun[] = [];
  // One warm-up run (JIT, key caches) that is not counted, when more than one run is asked for.
  const total = count > 1 ? count + 1 : count;
  for (let i = 0; i < total; i++) {
    const r =
      threads > 1
        ? await runBootstrapThreads({ nodes, threads, crypto: nodeCrypto })
        : await runBootstrap({ nodes, keyer: simBootstrapWorld(nodes, nodeCrypto).keyer });
    if (total === count || i > 0) out.push(r);
  }
  return out;
}

export async function bootstrapReport(opts: { nodes: number; runs: number; threads: number; baseline: boolean }): Promise<BootstrapReport> {
  const main = await runs(opts.nodes, opts.runs, opts.threads);
  const med = median(main.map((r) => r.seconds));
  const report: BootstrapReport = {
    nodes: opts.nodes,
    edges: main[0]?.edges ?? 0,
    runs: main.length,
    threads: opts.threads,
    crypto: nodeCrypto.name,
    medianSeconds: med,
    medianHandshakesPerSecond: median(main.map((r) => r.handshakesPerSecond)),
    medianCpuSeconds: median(main.map((r) => r.cpuSeconds)),
    handshakeFailures: main.reduce((a, r) => a + r.handshakeFailures, 0),
    all: main,
    reference: { ...REFERENCE, ratio: med / REFERENCE.seconds },
    ...(opts.nodes === 100 ? { target: { seconds: 0.5, met: med < 0.5 } } : {}),
  };
  if (!opts.baseline || opts.threads === 1) return report;
  const base = await runs(opts.nodes, opts.runs, 1);
  const bmed = median(base.map((r) => r.seconds));
  return { ...report, baseline: { threads: 1, medianSeconds: bmed, ratio: med / bmed } };
}

export function formatBootstrapReport(r: BootstrapReport): string {
  const L: string[] = [];
  L.push(`bootstrap: ${r.nodes} agents in one process (${r.threads} thread${r.threads > 1 ? 's' : ''}) on loopback, ${r.edges} edges, MAKE with fresh sim evidence per handshake (${r.crypto} crypto)`);
  L.push(`  runs: ${r.all.map((x) => `${x.seconds.toFixed(3)} s`).join(', ')}`);
  L.push(`  median time to every edge keyed on both ends: ${r.medianSeconds.toFixed(3)} s   (${r.medianHandshakesPerSecond.toFixed(0)} handshakes/s, ${r.medianCpuSeconds.toFixed(2)} s CPU)`);
  const reasons: Record<string, number> = {};
  for (const x of r.all) for (const [k, v] of Object.entries(x.failureReasons)) reasons[k] = (reasons[k] ?? 0) + v;
  L.push(`  handshake failures (retried): ${r.handshakeFailures}${r.handshakeFailures ? ` (${Object.entries(reasons).map(([k, v]) => `${k}=${v}`).join(', ')})` : ''}`);
  L.push(
    r.nodes === r.reference.nodes
      ? `  reference: ${r.reference.nodes} nodes in < ${r.reference.seconds} s on ${r.reference.nodes} machines; ratio ${r.reference.ratio.toFixed(2)}× (here: one process on this machine)`
      : `  reference: ${r.reference.nodes} nodes in < ${r.reference.seconds} s on ${r.reference.nodes} machines (a ${r.reference.nodes}-node figure; not comparable to ${r.nodes} nodes)`,
  );
  if (r.target) L.push(`  target: 100 nodes < ${r.target.seconds} s: ${r.target.met ? 'met' : 'NOT met'}`);
  if (r.baseline) L.push(`  baseline (same run, 1 thread): ${r.baseline.medianSeconds.toFixed(3)} s; ratio ${r.baseline.ratio.toFixed(2)}×`);
  return `${L.join('\n')}\n`;
}
