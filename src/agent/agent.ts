/**
 * The per-node agent: keys every edge of its component with MAKE, installs the exported keys into
 * the data plane, rekeys each epoch with fresh evidence, follows policy updates and removes every
 * key it installed when it stops. It decides nothing about cryptography: a {@link Keyer} result
 * is a verified peer; the agent only checks that the result is the one its plan asked for.
 */
import type { SaInstall } from '../dataplane/types.js';
import { saInstallsFor } from '../dataplane/keys.js';
import { DEFAULT_BACKOFF, nextDelay, type BackoffPolicy } from './backoff.js';
import { AgentError, AgentStateError, HandshakeTimeoutError, UnexpectedPeerError, reasonOf } from './errors.js';
import { silentLogger, type Logger } from './log.js';
import { Metrics } from './metrics.js';
import { createHash } from 'node:crypto';
import type { AgentPlan, HandshakeResult, Keyer, KeyRelease, KeySink, ListenHandle, PlannedEdge, SecretRef } from './ports.js';

export type EdgeSide = 'initiator' | 'responder';
export type EdgeStatus = 'pending' | 'handshaking' | 'keyed' | 'backoff' | 'failed';

interface Installed {
  readonly epoch: number;
  readonly sas: readonly SaInstall[];
  readonly peerMeasurement: string;
  readonly at: number;
  /** The release session that owns these SAs (when keys go through release). */
  readonly session?: string;
}

interface EdgeState {
  plan: PlannedEdge;
  readonly side: EdgeSide;
  status: EdgeStatus;
  current?: Installed;
  previous?: Installed;
  /** Keys held in the agent when the edge has no data-plane flow (nothing to install). */
  keyedWithoutFlow?: number;
  attempts: number;
  lastError?: string;
  nextEpoch: number;
  round?: AbortController;
  retryTimer?: NodeJS.Timeout;
  overlapTimer?: NodeJS.Timeout;
}

/** One edge in {@link AgentStatus}. */
export interface EdgeStatusView {
  readonly edge: string;
  readonly side: EdgeSide;
  readonly status: EdgeStatus;
  readonly epoch?: number;
  readonly attempts: number;
  readonly lastError?: string;
  readonly peerMeasurement?: string;
  readonly keyedAt?: string;
}

/** What `attestflow status` shows and the status endpoint serves as JSON. */
export interface AgentStatus {
  readonly component: string;
  readonly state: 'created' | 'running' | 'stopping' | 'stopped';
  readonly policyVersion: number;
  readonly listen?: string;
  readonly startedAt?: string;
  readonly edges: readonly EdgeStatusView[];
  readonly keysInstalled: number;
  readonly handshakes: { readonly ok: number; readonly failed: number };
  readonly failures: Readonly<Record<string, number>>;
  readonly secrets: readonly string[];
}

export interface AgentOptions {
  readonly plan: AgentPlan;
  readonly keyer: Keyer;
  readonly keys: KeySink;
  readonly log?: Logger;
  readonly metrics?: Metrics;
  readonly backoff?: BackoffPolicy;
  /** Deadline for one handshake attempt, ms. */
  readonly handshakeTimeoutMs?: number;
  /** How long the previous epoch's SAs stay installed after a rekey, ms (no packet lost). */
  readonly overlapMs?: number;
  /** Jitter source (tests pin it). */
  readonly random?: () => number;
  /**
   * The agent's own last check of a verified peer against the policy in force *now* (a handshake
   * may have started under an older one): true to accept. Nothing is installed when it says no.
   */
  readonly admit?: (component: string, claims: HandshakeResult['peer']['claims']) => boolean;
  /**
   * Release's decision over every key (the daemon always gives one). With it, SAs reach `keys`
   * only when the release controller performs `install-key` (through {@link Agent.performKeyEffect})
   * and leave it on its `remove-key`, also on revocation. Without it (the bootstrap bench, which
   * has no release controller) the agent installs a verified result's keys itself.
   */
  readonly release?: KeyRelease;
}

const M = {
  handshakes: 'attestflow_handshakes_total',
  failures: 'attestflow_handshake_failures_total',
  hsSeconds: 'attestflow_handshake_seconds_sum',
  keysInstalled: 'attestflow_keys_installed',
  installs: 'attestflow_key_installs_total',
  removals: 'attestflow_key_removals_total',
  edges: 'attestflow_edges',
  rekeys: 'attestflow_rekeys_total',
  retries: 'attestflow_handshake_retries_total',
  version: 'attestflow_policy_version',
  packets: 'attestflow_packets_total',
  secrets: 'attestflow_secrets_fetched_total',
} as const;

function defineMetrics(m: Metrics): void {
  m.define(M.handshakes, 'counter', 'MAKE handshakes finished, by role and result');
  m.define(M.failures, 'counter', 'Failed or refused handshakes, by reason code');
  m.define(M.hsSeconds, 'counter', 'Total wall time of successful handshakes (initiator side), seconds');
  m.define(M.keysInstalled, 'gauge', 'Data-plane SAs currently installed by this agent');
  m.define(M.installs, 'counter', 'SAs installed into the data plane');
  m.define(M.removals, 'counter', 'SAs removed from the data plane');
  m.define(M.edges, 'gauge', 'Edges of this component by state');
  m.define(M.rekeys, 'counter', 'Epochs started (rekeys with fresh evidence)');
  m.define(M.retries, 'counter', 'Handshake retries scheduled with backoff');
  m.define(M.version, 'gauge', 'Policy version this agent enforces');
  m.define(M.secrets, 'counter', 'Secrets received over MAKE sessions, by result');
}

export class Agent {
  readonly metrics: Metrics;
  private plan: AgentPlan;
  private readonly keyer: Keyer;
  private readonly keys: KeySink;
  private readonly log: Logger;
  private readonly backoff: BackoffPolicy;
  private readonly hsTimeout: number;
  private readonly overlapMs: number;
  private readonly random: () => number;
  private readonly admit: AgentOptions['admit'];
  private readonly release: KeyRelease | undefined;
  /** SA sets waiting for release's `install-key`, by release session. */
  private readonly pendingKeys = new Map<string, { es: EdgeState; set: Installed }>();
  /** SA sets installed through release, by release session (what `remove-key` removes). */
  private readonly releasedKeys = new Map<string, { es: EdgeState; set: Installed }>();
  private sessionSeq = 0;
  private readonly edges = new Map<string, EdgeState>();
  private listener: ListenHandle | undefined;
  private epochTimer: NodeJS.Timeout | undefined;
  private state: AgentStatus['state'] = 'created';
  private startedAt: Date | undefined;
  private readonly fetched = new Set<string>();
  private waiters: Array<() => void> = [];
  /** Installs/removals run one at a time so the data plane never sees interleaved updates of an edge. */
  private kernelQueue: Promise<void> = Promise.resolve();

  constructor(opts: AgentOptions) {
    this.plan = opts.plan;
    this.keyer = opts.keyer;
    this.keys = opts.keys;
    this.log = (opts.log ?? silentLogger).child({ component: opts.plan.component });
    this.metrics = opts.metrics ?? new Metrics();
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.hsTimeout = opts.handshakeTimeoutMs ?? 5_000;
    this.overlapMs = opts.overlapMs ?? Math.min(2_000, Math.floor(opts.plan.rekeyIntervalMs / 2));
    this.random = opts.random ?? Math.random;
    this.admit = opts.admit;
    this.release = opts.release;
    defineMetrics(this.metrics);
    if (this.keys.counters) {
      const counters = this.keys.counters.bind(this.keys);
      this.metrics.collect(M.packets, 'counter', 'Data-plane packets by direction and verdict', async () =>
        (await counters()).map((c) => ({ name: M.packets, labels: { direction: c.direction, verdict: c.verdict }, value: c.value })),
      );
    }
    this.metrics.set(M.version, {}, opts.plan.policyVersion);
    this.setEdges(opts.plan);
  }

  get component(): string {
    return this.plan.component;
  }

  /** Listens for inbound handshakes, then starts keying every edge this component initiates. */
  async start(): Promise<void> {
    if (this.state !== 'created') throw new AgentStateError(`agent ${this.component} cannot start: it is ${this.state}`);
    const ep = await this.listen();
    this.state = 'running';
    this.startedAt = new Date();
    this.log.info('agent started', {
      listen: `${ep.host}:${ep.port}`,
      policyVersion: this.plan.policyVersion,
      initiate: this.plan.initiate.map((e) => e.edge),
      accept: this.plan.accept.map((e) => e.edge),
    });
    this.epochTimer = setInterval(() => this.newEpoch(), this.plan.rekeyIntervalMs);
    this.epochTimer.unref();
    for (const es of this.edges.values()) if (es.side === 'initiator') this.beginRound(es);
    this.updateEdgeGauge();
  }

  /**
   * Starts accepting handshakes without initiating any (start() does this too). Separate so a
   * cluster can bring every listener up before any node dials (the bootstrap bench).
   */
  async listen(): Promise<ListenHandle['endpoint']> {
    if (this.listener === undefined) {
      if (this.state !== 'created') throw new AgentStateError(`agent ${this.component} cannot listen: it is ${this.state}`);
      this.listener = await this.keyer.listen({
        established: (r) => this.onResponderResult(r),
        failed: (reason, info) => this.onResponderFailure(reason, info),
      });
    }
    return this.listener.endpoint;
  }

  /** Where this agent accepts handshakes (after {@link start}). */
  get endpoint(): ListenHandle['endpoint'] | undefined {
    return this.listener?.endpoint;
  }

  /** True when every edge of the plan has keys (installed, or held when the edge has no flow). */
  allKeyed(): boolean {
    for (const es of this.edges.values()) if (es.status !== 'keyed') return false;
    return true;
  }

  /** Resolves once every edge is keyed (immediately if it already is). */
  whenAllKeyed(): Promise<void> {
    if (this.allKeyed()) return Promise.resolve();
    return new Promise((res) => this.waiters.push(res));
  }

  /** Starts a new epoch now: every initiated edge runs MAKE again with fresh evidence. */
  newEpoch(): void {
    if (this.state !== 'running') return;
    this.metrics.inc(M.rekeys);
    for (const es of this.edges.values()) {
      if (es.side !== 'initiator') continue;
      // A round still in backoff keeps its schedule; a finished or exhausted one starts afresh.
      if (es.round === undefined && es.retryTimer === undefined) this.beginRound(es);
    }
  }

  /**
   * Applies a new plan (policy update): edges that left the plan lose their keys at once, new
   * edges are keyed, and when the policy version changed every remaining edge is rekeyed so its
   * keys are bound to the new policy digest.
   */
  async applyPlan(next: AgentPlan): Promise<void> {
    if (next.component !== this.plan.component) throw new AgentStateError('a plan update cannot change the component');
    const versionChanged = next.policyVersion !== this.plan.policyVersion;
    const removed = [...this.edges.values()].filter(
      (es) => !(es.side === 'initiator' ? next.initiate : next.accept).some((e) => e.edge === es.plan.edge),
    );
    this.plan = next;
    this.metrics.set(M.version, {}, next.policyVersion);
    for (const es of removed) {
      this.cancelRound(es);
      this.edges.delete(es.plan.edge);
      await this.removeAll(es, 'edge left the policy');
    }
    const added = this.setEdges(next);
    if (versionChanged) {
      // Keys of the old version stay until the rekey replaces them: refusing traffic in between
      // would be an outage; a revoked peer's edge was removed above, so its keys are already gone.
      for (const es of this.edges.values()) {
        if (es.side === 'initiator') {
          this.cancelRound(es);
          this.beginRound(es);
        }
      }
    } else if (this.state === 'running') {
      for (const es of added) if (es.side === 'initiator') this.beginRound(es);
    }
    this.log.info('policy applied', { policyVersion: next.policyVersion, removed: removed.map((e) => e.plan.edge), added: added.map((e) => e.plan.edge) });
    this.updateEdgeGauge();
    this.notifyIfKeyed();
  }

  /** Stops: no new handshakes, the listener closes, and every installed key is removed. */
  async stop(reason = 'stop requested'): Promise<void> {
    if (this.state === 'stopped' || this.state === 'stopping') return;
    this.state = 'stopping';
    this.log.info('agent stopping', { reason });
    if (this.epochTimer) clearInterval(this.epochTimer);
    for (const es of this.edges.values()) this.cancelRound(es);
    if (this.listener) await this.listener.close();
    for (const es of this.edges.values()) await this.removeAll(es, 'agent stopping');
    await this.kernelQueue;
    this.state = 'stopped';
    this.updateEdgeGauge();
    this.log.info('agent stopped', { keysInstalled: this.metrics.get(M.keysInstalled) });
  }

  /** A snapshot for the status endpoint and `attestflow status`. */
  status(): AgentStatus {
    const failures: Record<string, number> = {};
    for (const s of this.metrics.series(M.failures)) failures[s.labels.reason ?? 'unknown'] = s.value;
    const hs = this.metrics.series(M.handshakes);
    const sum = (result: string): number => hs.filter((s) => s.labels.result === result).reduce((a, s) => a + s.value, 0);
    return {
      component: this.component,
      state: this.state,
      policyVersion: this.plan.policyVersion,
      ...(this.listener ? { listen: `${this.listener.endpoint.host}:${this.listener.endpoint.port}` } : {}),
      ...(this.startedAt ? { startedAt: this.startedAt.toISOString() } : {}),
      edges: [...this.edges.values()].map((es) => ({
        edge: es.plan.edge,
        side: es.side,
        status: es.status,
        attempts: es.attempts,
        ...(es.current ? { epoch: es.current.epoch, peerMeasurement: es.current.peerMeasurement, keyedAt: new Date(es.current.at).toISOString() } : {}),
        ...(es.current === undefined && es.keyedWithoutFlow !== undefined ? { epoch: es.keyedWithoutFlow } : {}),
        ...(es.lastError !== undefined ? { lastError: es.lastError } : {}),
      })),
      keysInstalled: this.metrics.get(M.keysInstalled),
      handshakes: { ok: sum('ok'), failed: sum('failed') },
      failures,
      secrets: [...this.fetched],
    };
  }

  // ---- internals ----

  private setEdges(plan: AgentPlan): EdgeState[] {
    const added: EdgeState[] = [];
    const put = (e: PlannedEdge, side: EdgeSide): void => {
      const cur = this.edges.get(e.edge);
      if (cur) {
        cur.plan = e;
        return;
      }
      const es: EdgeState = { plan: e, side, status: 'pending', attempts: 0, nextEpoch: 1 };
      this.edges.set(e.edge, es);
      added.push(es);
    };
    for (const e of plan.initiate) {
      if (e.from !== plan.component) throw new AgentStateError(`plan for ${plan.component} initiates ${e.edge}, which is not its edge`);
      put(e, 'initiator');
    }
    for (const e of plan.accept) {
      if (e.to !== plan.component) throw new AgentStateError(`plan for ${plan.component} accepts ${e.edge}, which is not its edge`);
      put(e, 'responder');
    }
    return added;
  }

  private beginRound(es: EdgeState): void {
    if (this.state !== 'running' || es.round !== undefined) return;
    es.attempts = 0;
    this.attempt(es);
  }

  private attempt(es: EdgeState): void {
    es.retryTimer = undefined;
    if (this.state !== 'running' || this.edges.get(es.plan.edge) !== es) return;
    const ac = new AbortController();
    es.round = ac;
    if (es.status !== 'keyed') es.status = 'handshaking';
    es.attempts++;
    const epoch = es.nextEpoch;
    const t0 = performance.now();
    const timer = setTimeout(() => ac.abort(new HandshakeTimeoutError(es.plan.edge, this.hsTimeout)), this.hsTimeout);
    this.keyer.initiate(es.plan, epoch, ac.signal).then(
      async (r) => {
        clearTimeout(timer);
        if (es.round !== ac) return; // cancelled: the result is not wanted, and nothing is installed
        es.round = undefined;
        if (ac.signal.aborted) return this.failAttempt(es, ac.signal.reason);
        try {
          this.expect(es, r);
        } catch (e) {
          return this.failAttempt(es, e);
        }
        this.metrics.inc(M.handshakes, { role: 'initiator', result: 'ok' });
        this.metrics.inc(M.hsSeconds, {}, (performance.now() - t0) / 1000);
        es.nextEpoch = epoch + 1;
        await this.accept(es, r);
      },
      (e: unknown) => {
        clearTimeout(timer);
        if (es.round !== ac) return;
        es.round = undefined;
        this.failAttempt(es, ac.signal.aborted ? ac.signal.reason : e);
      },
    );
  }

  private failAttempt(es: EdgeState, e: unknown): void {
    const reason = reasonOf(e);
    es.lastError = reason;
    this.metrics.inc(M.handshakes, { role: 'initiator', result: 'failed' });
    this.metrics.inc(M.failures, { reason });
    if (this.state !== 'running') return;
    const delay = nextDelay(this.backoff, es.attempts, this.random);
    if (delay === undefined) {
      // Round exhausted: keep whatever keys the edge has (they are still valid for their epoch) and
      // wait for the next epoch to try again.
      if (es.status !== 'keyed') es.status = 'failed';
      this.log.warn('handshake failed; retries exhausted until next epoch', { edge: es.plan.edge, reason, attempts: es.attempts });
    } else {
      if (es.status !== 'keyed') es.status = 'backoff';
      this.metrics.inc(M.retries);
      this.log.warn('handshake failed; retrying', { edge: es.plan.edge, reason, attempt: es.attempts, delayMs: delay });
      es.retryTimer = setTimeout(() => this.attempt(es), delay);
    }
    this.updateEdgeGauge();
  }

  private onResponderResult(r: HandshakeResult): void {
    if (this.state !== 'running') return;
    const es = this.edges.get(r.keys.edge);
    try {
      if (es === undefined || es.side !== 'responder') {
        throw new UnexpectedPeerError(`handshake for edge ${r.keys.edge}, which ${this.component} does not accept`, { edge: r.keys.edge, peer: r.peer.component });
      }
      this.expect(es, r);
    } catch (e) {
      this.onResponderFailure(e, { edge: r.keys.edge, peer: r.peer.component });
      return;
    }
    this.metrics.inc(M.handshakes, { role: 'responder', result: 'ok' });
    void this.accept(es, r);
  }

  private onResponderFailure(reason: unknown, info?: { edge?: string; peer?: string }): void {
    const code = reasonOf(reason);
    this.metrics.inc(M.handshakes, { role: 'responder', result: 'failed' });
    this.metrics.inc(M.failures, { reason: code });
    this.log.warn('inbound handshake refused', { reason: code, ...info, message: reason instanceof Error ? reason.message : undefined });
  }

  /** The agent's own check that a verified result is the one the plan asked for. */
  private expect(es: EdgeState, r: HandshakeResult): void {
    const want = es.side === 'initiator' ? es.plan.to : es.plan.from;
    if (r.keys.edge !== es.plan.edge || r.peer.component !== want) {
      throw new UnexpectedPeerError(`edge ${es.plan.edge} expected peer ${want}, got ${r.peer.component} for ${r.keys.edge}`, {
        edge: es.plan.edge,
        peer: r.peer.component,
      });
    }
    if (this.admit && !this.admit(r.peer.component, r.peer.claims)) {
      throw new UnexpectedPeerError(`edge ${es.plan.edge}: peer ${r.peer.component} (measurement ${r.peer.claims.measurement.slice(0, 16)}…) is not admitted by the policy in force`, {
        edge: es.plan.edge,
        peer: r.peer.component,
      });
    }
  }

  private async accept(es: EdgeState, r: HandshakeResult): Promise<void> {
    const k = r.keys;
    es.lastError = undefined;
    const flow = es.plan.flow;
    if (flow === undefined) {
      es.keyedWithoutFlow = k.epoch;
    } else {
      const sas = saInstallsFor(flow, k, es.side);
      // A responder seeing an epoch not newer than its current one: the initiator restarted and
      // lost its old keys, so those are dead; drop them before installing the new session's.
      if (es.current && k.epoch <= es.current.epoch) {
        await this.removeAll(es, 'peer restarted');
      }
      const session = this.release ? `keys/${k.edge}/${k.epoch}/${++this.sessionSeq}` : undefined;
      const set: Installed = { epoch: k.epoch, sas, peerMeasurement: r.peer.claims.measurement, at: Date.now(), ...(session ? { session } : {}) };
      try {
        if (this.release && session) {
          // Release decides and audits; the SAs are installed by its install-key effect only.
          this.pendingKeys.set(session, { es, set });
          let refused: string | undefined;
          try {
            refused = await this.release.release(session, r);
          } catch (e) {
            // The install effect failed (the machine counts the key as installed): retire it.
            await this.release.retire(session, es.plan.edge, k.epoch).catch(() => undefined);
            throw e;
          } finally {
            this.pendingKeys.delete(session);
          }
          if (refused !== undefined) {
            throw new AgentError(`release.${refused}`, `release refused keys of ${es.plan.edge} epoch ${k.epoch} for ${r.peer.component}: ${refused}`, { edge: es.plan.edge, epoch: k.epoch, peer: r.peer.component });
          }
          if (!this.releasedKeys.has(session)) throw new AgentError('agent.not-installed', `release allowed ${es.plan.edge} epoch ${k.epoch} but its keys were not installed`);
        } else {
          await this.installSet(es, set);
        }
      } catch (e) {
        es.lastError = reasonOf(e);
        this.metrics.inc(M.failures, { reason: es.lastError });
        this.log.error('key install failed', { edge: es.plan.edge, epoch: k.epoch, reason: es.lastError });
        if (es.status !== 'keyed') es.status = 'failed';
        this.updateEdgeGauge();
        return;
      }
      if (es.previous) await this.removeSet(es, es.previous);
      es.previous = es.current;
      es.current = set;
      if (es.previous) this.scheduleOverlapEnd(es);
    }
    const first = es.status !== 'keyed';
    es.status = 'keyed';
    this.log.info(first ? 'edge keyed' : 'edge rekeyed', {
      edge: es.plan.edge,
      side: es.side,
      epoch: k.epoch,
      peer: r.peer.component,
      peerMeasurement: r.peer.claims.measurement,
      installed: flow !== undefined,
    });
    this.updateEdgeGauge();
    this.notifyIfKeyed();
  }

  private scheduleOverlapEnd(es: EdgeState): void {
    if (es.overlapTimer) clearTimeout(es.overlapTimer);
    es.overlapTimer = setTimeout(() => {
      es.overlapTimer = undefined;
      const prev = es.previous;
      if (prev) {
        es.previous = undefined;
        void this.removeSet(es, prev);
      }
    }, this.overlapMs);
    es.overlapTimer.unref();
  }

  private async removeAll(es: EdgeState, why: string): Promise<void> {
    if (es.overlapTimer) clearTimeout(es.overlapTimer);
    es.overlapTimer = undefined;
    const sets = [es.previous, es.current].filter((s): s is Installed => s !== undefined);
    es.previous = undefined;
    es.current = undefined;
    es.keyedWithoutFlow = undefined;
    for (const s of sets) await this.removeSet(es, s);
    if (sets.length) this.log.info('edge keys removed', { edge: es.plan.edge, why, epochs: sets.map((s) => s.epoch) });
    if (es.status === 'keyed') es.status = 'pending';
  }

  private async removeSet(es: EdgeState, set: Installed): Promise<void> {
    const session = set.session;
    if (this.release && session !== undefined) {
      // Retired through release: its remove-key effect removes the SAs (performKeyEffect).
      await this.release.retire(session, es.plan.edge, set.epoch).catch((e: unknown) => {
        this.log.error('release could not retire keys', { edge: es.plan.edge, epoch: set.epoch, reason: reasonOf(e) });
      });
      const left = this.releasedKeys.get(session);
      if (left === undefined) return;
      // Removing keys is never unsafe: if release did not, do it anyway rather than leave them.
      this.releasedKeys.delete(session);
      this.log.error('release did not remove retired keys; removing them', { edge: es.plan.edge, epoch: set.epoch });
    }
    await this.removeSas(es, set);
  }

  private async installSet(es: EdgeState, set: Installed): Promise<void> {
    await this.serial(async () => {
      const done: SaInstall[] = [];
      try {
        for (const sa of set.sas) {
          await this.keys.install(sa);
          done.push(sa);
        }
      } catch (e) {
        for (const sa of done) await this.keys.remove(sa).catch(() => undefined);
        throw e;
      }
    });
    this.metrics.inc(M.installs, {}, set.sas.length);
    this.metrics.set(M.keysInstalled, {}, this.metrics.get(M.keysInstalled) + set.sas.length);
    if (set.session !== undefined) this.releasedKeys.set(set.session, { es, set });
  }

  private async removeSas(es: EdgeState, set: Installed): Promise<void> {
    await this.serial(async () => {
      for (const sa of set.sas) {
        try {
          await this.keys.remove(sa);
          this.metrics.inc(M.removals);
          this.metrics.set(M.keysInstalled, {}, this.metrics.get(M.keysInstalled) - 1);
        } catch (e) {
          this.metrics.inc(M.failures, { reason: reasonOf(e) });
          this.log.error('key removal failed', { edge: es.plan.edge, epoch: set.epoch, direction: sa.direction, reason: reasonOf(e) });
        }
      }
    });
  }

  /**
   * Performs an `install-key` or `remove-key` effect of the release controller (the daemon wires
   * its `ReleasePort` here). Install: the SAs of a session this agent asked release about, nothing
   * else. Remove: that session's SAs, whoever caused it (retire, revocation, stop), and the edge
   * forgets them.
   */
  async performKeyEffect(effect: 'install' | 'remove', session: string, edge: string, epoch: number): Promise<void> {
    if (effect === 'install') {
      const p = this.pendingKeys.get(session);
      if (p === undefined || p.es.plan.edge !== edge || p.set.epoch !== epoch) {
        throw new AgentError('agent.unknown-sa', `release asked to install keys of ${edge} epoch ${epoch} (session ${session}), which this agent did not ask for`);
      }
      await this.installSet(p.es, p.set);
      return;
    }
    const p = this.releasedKeys.get(session);
    if (p === undefined) return; // nothing of that session is installed (never was, or already removed)
    this.releasedKeys.delete(session);
    const { es, set } = p;
    // Still held by the edge: release removed them on its own (a revocation, STOP), not a retire
    // the agent asked for (whose caller logs it).
    const held = es.current === set || es.previous === set;
    if (es.current === set) es.current = undefined;
    if (es.previous === set) es.previous = undefined;
    await this.removeSas(es, set);
    if (held) this.log.info('edge keys removed', { edge, why: 'release removed them', epochs: [epoch] });
    if (es.current === undefined && es.status === 'keyed' && this.edges.get(es.plan.edge) === es) {
      es.status = 'pending';
      this.updateEdgeGauge();
    }
  }

  private cancelRound(es: EdgeState): void {
    if (es.retryTimer) clearTimeout(es.retryTimer);
    es.retryTimer = undefined;
    if (es.round) {
      const r = es.round;
      es.round = undefined;
      r.abort(new AgentStateError('handshake cancelled'));
    }
  }

  private serial(fn: () => Promise<void>): Promise<void> {
    const p = this.kernelQueue.then(fn);
    this.kernelQueue = p.catch(() => undefined);
    return p;
  }

  /** A secret released to this component arrived (see `secrets.ts`); only its fingerprint is logged. */
  secretReceived(ref: SecretRef, value: Uint8Array): void {
    this.fetched.add(ref.name);
    this.metrics.inc(M.secrets, { result: 'ok' });
    this.log.info('secret received', { secret: ref.name, holder: ref.holder, bytes: value.length, sha256: createHash('sha256').update(value).digest('hex') });
  }

  /** The holder refused a secret, or it did not open under the session's keys. */
  secretRefused(ref: SecretRef, reason: string): void {
    this.metrics.inc(M.secrets, { result: 'refused' });
    this.log.warn('secret refused', { secret: ref.name, holder: ref.holder, reason });
  }

  private updateEdgeGauge(): void {
    const counts: Record<EdgeStatus, number> = { pending: 0, handshaking: 0, keyed: 0, backoff: 0, failed: 0 };
    for (const es of this.edges.values()) counts[es.status]++;
    for (const [state, n] of Object.entries(counts)) this.metrics.set(M.edges, { state }, n);
  }

  private notifyIfKeyed(): void {
    if (!this.allKeyed()) return;
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
