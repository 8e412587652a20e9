/**
 * Cluster bootstrap benchmark: N agents in one process, each with its own software TEE, identity
 * and loopback listener, on a workflow of 2N edges (node i initiates to i+1 and i+2, mod N). Time
 * runs from the moment every node is listening until every edge is keyed on both ends.
 */
import { performance } from 'node:perf_hooks';
import { Agent } from './agent.js';
import { silentLogger } from './log.js';
import { MemoryKeySink } from './memory-keys.js';
import type { CryptoProvider } from '../crypto/index.js';
import { AgentError } from './errors.js';
import { MakeTcpKeyer } from './make-keyer.js';
import { SimWorld } from './sim-world.js';
import { verifiersFor } from './sim-tee.js';
import type { AgentPlan, Endpoint, Keyer, PlannedEdge } from './ports.js';

/** The published figure to beat: a 100-node cluster initialized in under 1.5 s (on 100 machines). */
export const REFERENCE = Object.freeze({ nodes: 100, seconds: 1.5 });

/** The edges of the bench graph, as `[from, to]` index pairs. */
export function bootstrapEdges(n: number): Array<[number, number]> {
  if (!Number.isInteger(n) || n < 3) throw new RangeError('the bootstrap graph needs at least 3 nodes');
  const out: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) out.push([i, (i + 1) % n], [i, (i + 2) % n]);
  return out;
}

export const nodeName = (i: number): string => `n${String(i).padStart(4, '0')}`;

/** Builds a node's keyer; `resolve` finds a peer's listener (known once every node listens). */
export type KeyerFactory = (component: string, resolve: (component: string) => Endpoint | undefined) => Keyer;

export interface BootstrapRun {
  readonly nodes: number;
  readonly edges: number;
  /** From all nodes listening to every edge keyed on both ends. */
  readonly seconds: number;
  /** Also counting the time to start every node's listener. */
  readonly secondsWithListen: number;
  readonly handshakesPerSecond: number;
  readonly handshakeFailures: number;
  /** Failures by reason code (both sides). */
  readonly failureReasons: Readonly<Record<string, number>>;
  /** Process CPU time (user + system) spent in the timed part, seconds. */
  readonly cpuSeconds: number;
}

export interface BootstrapOptions {
  readonly nodes: number;
  readonly keyer: KeyerFactory;
  /** Give up after this long (a bench must not hang). */
  readonly timeoutMs?: number;
}

// Each edge gets a flow so keys land in the key tables and both ends can be compared afterwards.
function planned(f: number, t: number): PlannedEdge {
  const edge = `${nodeName(f)}->${nodeName(t)}`;
  return { edge, from: nodeName(f), to: nodeName(t), flow: { edge, srcAddr: '127.0.0.1', dstAddr: '127.0.0.1', protocol: 'tcp', dstPort: 9 } };
}

/** Keys differ between the two ends of an edge: the bench refuses to report a time for that. */
export class BootstrapMismatchError extends AgentError {
  constructor(edge: string) {
    super('agent.bootstrap-mismatch', `the two ends of ${edge} do not hold matching keys`, { edge });
  }
}

/** Checks that for every edge, what one end sends with is what the other receives with. */
export function checkBothEnds(sinks: ReadonlyMap<string, MemoryKeySink>, edges: ReadonlyArray<[number, number]>): void {
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
  for (const [f, t] of edges) {
    const edge = `${nodeName(f)}->${nodeName(t)}`;
    const a = sinks.get(nodeName(f))?.installed().filter((s) => s.flow.edge === edge) ?? [];
    const b = sinks.get(nodeName(t))?.installed().filter((s) => s.flow.edge === edge) ?? [];
    const pick = (xs: typeof a, d: 'in' | 'out') => xs.find((s) => s.direction === d);
    const [aOut, aIn, bOut, bIn] = [pick(a, 'out'), pick(a, 'in'), pick(b, 'out'), pick(b, 'in')];
    if (!aOut || !aIn || !bOut || !bIn) throw new BootstrapMismatchError(edge);
    if (aOut.spi !== bIn.spi || hex(aOut.key) !== hex(bIn.key) || hex(aOut.salt) !== hex(bIn.salt)) throw new BootstrapMismatchError(edge);
    if (bOut.spi !== aIn.spi || hex(bOut.key) !== hex(aIn.key) || hex(bOut.salt) !== hex(aIn.salt)) throw new BootstrapMismatchError(edge);
  }
}

/**
 * The keyer factory of the real bench: every node gets its own software TEE (own device key,
 * measurement and role under one sim root), the policy of the generated workflow, and MAKE over
 * loopback TCP.
 */
export function simBootstrapWorld(n: number, crypto?: CryptoProvider): { world: SimWorld; keyer: KeyerFactory } {
  const edges = bootstrapEdges(n);
  const world = new SimWorld({
    workflow: `bootstrap-${n}`,
    components: Array.from({ length: n }, (_, i) => ({ name: nodeName(i), owner: `owner${i % 4}` })),
    edges: edges.map(([f, t]) => ({ from: nodeName(f), to: nodeName(t), protocol: 'tcp' as const, port: 9 })),
  }, crypto);
  const verifiers = verifiersFor(world.policy, crypto);
  const keyer: KeyerFactory = (component, resolve) =>
    new MakeTcpKeyer({
      self: component,
      policy: () => world.policy,
      attester: world.launch(component),
      verifiers,
      ...(crypto ? { crypto } : {}),
      listen: { host: '127.0.0.1', port: 0 },
      resolve,
      responderTimeoutMs: Math.max(10_000, n * 20),
    });
  return { world, keyer };
}

export async function runBootstrap(opts: BootstrapOptions): Promise<BootstrapRun> {
  const n = opts.nodes;
  const edges = bootstrapEdges(n);
  const endpoints = new Map<string, Endpoint>();
  const resolve = (c: string): Endpoint | undefined => endpoints.get(c);
  const agents: Agent[] = [];
  const sinks = new Map<string, MemoryKeySink>();
  for (let i = 0; i < n; i++) {
    const me = nodeName(i);
    const plan: AgentPlan = {
      component: me,
      policyVersion: 1,
      rekeyIntervalMs: 3_600_000,
      initiate: edges.filter(([f]) => f === i).map(([f, t]) => planned(f, t)),
      accept: edges.filter(([, t]) => t === i).map(([f, t]) => planned(f, t)),
    };
    const sink = new MemoryKeySink();
    sinks.set(me, sink);
    // Generous per-handshake deadline: with 2N handshakes in flight on 2 cores, queueing is the cost.
    agents.push(new Agent({ plan, keyer: opts.keyer(me, resolve), keys: sink, log: silentLogger, handshakeTimeoutMs: Math.max(10_000, n * 20) }));
  }
  const tListen = performance.now();
  try {
    for (const a of agents) {
      const ep = await a.listen();
      endpoints.set(a.component, ep);
    }
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const all = Promise.all(agents.map((a) => a.whenAllKeyed()));
    for (const a of agents) await a.start();
    const timeoutMs = opts.timeoutMs ?? 120_000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      all,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`bootstrap of ${n} nodes not done after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    const t1 = performance.now();
    const cpu = process.cpuUsage(cpu0);
    checkBothEnds(sinks, edges);
    const seconds = (t1 - t0) / 1000;
    let failures = 0;
    const reasons: Record<string, number> = {};
    for (const a of agents) {
      for (const s of a.metrics.series('attestflow_handshake_failures_total')) {
        failures += s.value;
        const k = s.labels.reason ?? 'unknown';
        reasons[k] = (reasons[k] ?? 0) + s.value;
      }
    }
    return {
      nodes: n,
      edges: edges.length,
      seconds,
      secondsWithListen: (t1 - tListen) / 1000,
      handshakesPerSecond: edges.length / seconds,
      handshakeFailures: failures,
      failureReasons: reasons,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
    };
  } finally {
    await Promise.all(agents.map((a) => a.stop('bench done')));
  }
}
