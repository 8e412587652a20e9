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
  /** Threads the agents ran on (one process either way). */
  readonly threads: number;
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

/**
 * The cluster did not finish keying within the bench's deadline: typed, with who is still waiting,
 * so a stalled run fails with a reason instead of hanging.
 */
export class BootstrapTimeoutError extends AgentError {
  constructor(timeoutMs: number, waiting: readonly string[], total: number, phase: 'start' | 'keying') {
    super(
      'agent.bootstrap-timeout',
      `bootstrap not done after ${timeoutMs} ms (${phase}): ${waiting.length} of ${total} agents not fully keyed${waiting.length > 0 ? ` (e.g. ${waiting.slice(0, 5).join(', ')})` : ''}`,
      { timeoutMs, phase, waiting: waiting.length, total, sample: waiting.slice(0, 20) },
    );
  }
}

/** One installed SA as the both-ends check compares it (keys as hex; crosses worker threads). */
export interface SaView {
  readonly edge: string;
  readonly direction: 'in' | 'out';
  readonly spi: number;
  readonly key: string;
  readonly salt: string;
}

export function saViews(sink: MemoryKeySink): SaView[] {
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
  return sink.installed().map((s) => ({ edge: s.flow.edge, direction: s.direction, spi: s.spi, key: hex(s.key), salt: hex(s.salt) }));
}

/** Checks that for every edge, what one end sends with is what the other receives with. */
export function checkBothEnds(installed: (component: string) => readonly SaView[], edges: ReadonlyArray<[number, number]>): void {
  for (const [f, t] of edges) {
    const edge = `${nodeName(f)}->${nodeName(t)}`;
    const a = installed(nodeName(f)).filter((s) => s.edge === edge);
    const b = installed(nodeName(t)).filter((s) => s.edge === edge);
    const pick = (xs: readonly SaView[], d: 'in' | 'out') => xs.find((s) => s.direction === d);
    const [aOut, aIn, bOut, bIn] = [pick(a, 'out'), pick(a, 'in'), pick(b, 'out'), pick(b, 'in')];
    if (!aOut || !aIn || !bOut || !bIn) throw new BootstrapMismatchError(edge);
    if (aOut.spi !== bIn.spi || aOut.key !== bIn.key || aOut.salt !== bIn.salt) throw new BootstrapMismatchError(edge);
    if (bOut.spi !== aIn.spi || bOut.key !== aIn.key || bOut.salt !== aIn.salt) throw new BootstrapMismatchError(edge);
  }
}

/**
 * Some of the bench's nodes (all of them, or one worker thread's share): their agents, key tables
 * and the endpoints of every node.
 */
export class BootstrapGroup {
  readonly agents: Agent[] = [];
  readonly sinks = new Map<string, MemoryKeySink>();
  readonly endpoints = new Map<string, Endpoint>();

  constructor(n: number, indices: readonly number[], keyer: KeyerFactory) {
    const edges = bootstrapEdges(n);
    const resolve = (c: string): Endpoint | undefined => this.endpoints.get(c);
    for (const i of indices) {
      const me = nodeName(i);
      const plan: AgentPlan = {
        component: me,
        policyVersion: 1,
        rekeyIntervalMs: 3_600_000,
        initiate: edges.filter(([f]) => f === i).map(([f, t]) => planned(f, t)),
        accept: edges.filter(([, t]) => t === i).map(([f, t]) => planned(f, t)),
      };
      const sink = new MemoryKeySink();
      this.sinks.set(me, sink);
      // Generous per-handshake deadline: with 2N handshakes in flight on 2 cores, queueing is the cost.
      this.agents.push(new Agent({ plan, keyer: keyer(me, resolve), keys: sink, log: silentLogger, handshakeTimeoutMs: Math.max(10_000, n * 20) }));
    }
  }

  /** Every agent listens; returns this group's endpoints. */
  async listen(): Promise<Record<string, Endpoint>> {
    const out: Record<string, Endpoint> = {};
    for (const a of this.agents) {
      out[a.component] = await a.listen();
      this.endpoints.set(a.component, out[a.component] as Endpoint);
    }
    return out;
  }

  /**
   * Starts every agent; resolves when every edge of every agent here is keyed, or rejects with
   * {@link BootstrapTimeoutError}. The deadline is armed before the first agent starts: it used to
   * be armed only after every start() returned, so a start that never settled (or a start loop that
   * never yielded) left the run with no deadline at all.
   */
  async run(timeoutMs: number): Promise<void> {
    let phase: 'start' | 'keying' = 'start';
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const waiting = this.agents.filter((a) => !a.allKeyed()).map((a) => a.component);
        reject(new BootstrapTimeoutError(timeoutMs, waiting, this.agents.length, phase));
      }, timeoutMs);
    });
    // Never an unhandled rejection when the run ends first.
    deadline.catch(() => undefined);
    const all = Promise.all(this.agents.map((a) => a.whenAllKeyed()));
    try {
      const starts = (async () => {
        for (const a of this.agents) await a.start();
      })();
      await Promise.race([starts, deadline]);
      phase = 'keying';
      await Promise.race([all, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  failures(): { count: number; reasons: Record<string, number> } {
    let count = 0;
    const reasons: Record<string, number> = {};
    for (const a of this.agents) {
      for (const s of a.metrics.series('attestflow_handshake_failures_total')) {
        count += s.value;
        const k = s.labels.reason ?? 'unknown';
        reasons[k] = (reasons[k] ?? 0) + s.value;
      }
    }
    return { count, reasons };
  }

  installed(): Record<string, SaView[]> {
    return Object.fromEntries([...this.sinks].map(([c, sink]) => [c, saViews(sink)]));
  }

  stop(): Promise<void[]> {
    return Promise.all(this.agents.map((a) => a.stop('bench done')));
  }
}

/**
 * The keyer factory of the real bench: every node gets its own software TEE (own device key,
 * measurement and role under one sim root), the policy of the generated workflow, and MAKE over
 * loopback TCP.
 */
export function simBootstrapWorld(n: number, crypto?: CryptoProvider, material?: ConstructorParameters<typeof SimWorld>[2]): { world: SimWorld; keyer: KeyerFactory } {
  const edges = bootstrapEdges(n);
  const world = new SimWorld({
    workflow: `bootstrap-${n}`,
    components: Array.from({ length: n }, (_, i) => ({ name: nodeName(i), owner: `owner${i % 4}` })),
    edges: edges.map(([f, t]) => ({ from: nodeName(f), to: nodeName(t), protocol: 'tcp' as const, port: 9 })),
  }, crypto, material);
  // Each node gets its own verifier (and so its own endorsement cache), as on separate machines:
  // a cache shared across the cluster would make the bench look faster than a real deployment.
  const keyer: KeyerFactory = (component, resolve) =>
    new MakeTcpKeyer({
      self: component,
      policy: () => world.policy,
      attester: world.launch(component),
      verifiers: verifiersFor(world.policy, crypto),
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
  const group = new BootstrapGroup(n, Array.from({ length: n }, (_, i) => i), opts.keyer);
  const tListen = performance.now();
  try {
    await group.listen();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await group.run(opts.timeoutMs ?? 120_000);
    const t1 = performance.now();
    const cpu = process.cpuUsage(cpu0);
    const inst = group.installed();
    checkBothEnds((c) => inst[c] ?? [], edges);
    const seconds = (t1 - t0) / 1000;
    const f = group.failures();
    return {
      nodes: n,
      edges: edges.length,
      threads: 1,
      seconds,
      secondsWithListen: (t1 - tListen) / 1000,
      handshakesPerSecond: edges.length / seconds,
      handshakeFailures: f.count,
      failureReasons: f.reasons,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
    };
  } finally {
    await group.stop();
  }
}
