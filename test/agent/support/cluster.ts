/**
 * An in-process cluster of real agents for tests: real policy, real sim TEEs, real MAKE over
 * loopback TCP, in-memory key tables. Peers are found through `route`, which a test can point at
 * a fault proxy or a black hole.
 */
import { Agent, type AgentOptions } from '../../../src/agent/agent.js';
import type { BackoffPolicy } from '../../../src/agent/backoff.js';
import { MakeTcpKeyer } from '../../../src/agent/make-keyer.js';
import { silentLogger } from '../../../src/agent/log.js';
import { SecretExchange } from '../../../src/agent/secrets.js';
import { MemoryKeySink } from '../../../src/agent/memory-keys.js';
import { agentPlanFrom } from '../../../src/agent/plan.js';
import type { Endpoint, SecretRef } from '../../../src/agent/ports.js';
import { verifiersFor } from '../../../src/agent/sim-tee.js';
import { SimWorld, type SimWorldSpec } from '../../../src/agent/sim-world.js';
import { claimsMatchIdentity, type CompiledPolicy } from '../../../src/policy/compile.js';
import type { AuditLog } from '../../../src/release/audit.js';
import { KeyReleaseGate } from '../../../src/release/key-release.js';

export interface Member {
  readonly agent: Agent;
  /** Its release controller's owner: keys and secrets are decided there. */
  readonly exchange: SecretExchange;
  readonly keys: MemoryKeySink;
  /** The policy this member enforces (tests swap it for updates). */
  policy: CompiledPolicy;
  /** Secrets received over MAKE sessions, by name. */
  readonly received: Map<string, Uint8Array>;
  /** Secrets refused to this member, with the holder's reason. */
  readonly refused: Map<string, string>;
}

export const FAST_BACKOFF: BackoffPolicy = { baseMs: 20, factor: 2, maxMs: 200, maxAttempts: 4 };

export class Cluster {
  readonly world: SimWorld;
  readonly members = new Map<string, Member>();
  readonly listening = new Map<string, Endpoint>();
  /** Where a dialer goes for a component (defaults to its listener). */
  readonly route = new Map<string, Endpoint>();

  /** `world`: join an existing world (e.g. to talk to daemons of the same policy). */
  constructor(spec: SimWorldSpec, world?: SimWorld) {
    this.world = world ?? new SimWorld(spec);
  }

  resolve = (c: string): Endpoint | undefined => this.route.get(c) ?? this.listening.get(c);

  /** Adds and starts a member; `image`/`role` launch a TEE other than the component's own. */
  async add(
    name: string,
    o: { image?: string; role?: string; backoff?: BackoffPolicy; rekeyMs?: number; timeoutMs?: number; policy?: CompiledPolicy; start?: boolean; holds?: Record<string, Uint8Array>; fetches?: SecretRef[]; audit?: AuditLog } & Partial<Pick<AgentOptions, 'overlapMs'>> = {},
  ): Promise<Member> {
    const policy = o.policy ?? this.world.policy;
    const keys = new MemoryKeySink();
    const member: Member = { agent: undefined as unknown as Agent, exchange: undefined as unknown as SecretExchange, keys, policy, received: new Map(), refused: new Map() };
    const plan = agentPlanFrom(policy.plan(name));
    const exchange = new SecretExchange({
      component: name,
      policy,
      holds: o.holds ?? {},
      fetches: o.fetches ?? plan.secrets ?? [],
      log: silentLogger,
      ...(o.audit ? { audit: o.audit } : {}),
      // As in the daemon: the release controller's key effects are performed by the agent.
      keys: (effect, session, edge, epoch) => member.agent.performKeyEffect(effect, session, edge, epoch),
      received: (ref, value) => {
        member.received.set(ref.name, value);
        member.agent.secretReceived(ref, value);
      },
      refused: (ref, reason) => {
        member.refused.set(ref.name, reason);
        member.agent.secretRefused(ref, reason);
      },
    });
    const keyer = new MakeTcpKeyer({
      session: exchange.hook,
      self: name,
      policy: () => member.policy,
      attester: this.world.launch(name, { ...(o.image ? { image: o.image } : {}), ...(o.role ? { role: o.role } : {}) }),
      verifiers: verifiersFor(policy),
      listen: { host: '127.0.0.1', port: 0 },
      resolve: this.resolve,
      responderTimeoutMs: 2_000,
    });
    (member as { agent: Agent }).agent = new Agent({
      plan: o.rekeyMs !== undefined ? { ...plan, rekeyIntervalMs: o.rekeyMs } : plan,
      keyer,
      keys,
      release: new KeyReleaseGate(() => exchange.controller),
      backoff: o.backoff ?? FAST_BACKOFF,
      handshakeTimeoutMs: o.timeoutMs ?? 1_000,
      ...(o.overlapMs !== undefined ? { overlapMs: o.overlapMs } : {}),
      admit: (peer, claims) => {
        const rv = member.policy.referenceValues(peer);
        return rv !== undefined && claimsMatchIdentity(claims, rv) && !member.policy.isRevoked(peer, claims);
      },
    });
    (member as { exchange: SecretExchange }).exchange = exchange;
    this.members.set(name, member);
    const ep = await member.agent.listen();
    this.listening.set(name, ep);
    if (o.start !== false) await member.agent.start();
    return member;
  }

  get(name: string): Member {
    const m = this.members.get(name);
    if (!m) throw new Error(`no member ${name}`);
    return m;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.members.values()].map((m) => m.agent.stop('test done')));
  }
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** The SAs of an edge on both ends, checked to match (out of one = in of the other). */
export function edgeKeysMatch(c: Cluster, edge: string): { epochs: number[]; match: boolean } {
  const [from, to] = edge.split('->') as [string, string];
  const a = c.get(from).keys.installed().filter((s) => s.flow.edge === edge);
  const b = c.get(to).keys.installed().filter((s) => s.flow.edge === edge);
  const epochs = [...new Set([...a, ...b].map((s) => s.epoch))].sort((x, y) => x - y);
  const top = Math.max(...epochs);
  const pick = (xs: typeof a, d: 'in' | 'out') => xs.find((s) => s.direction === d && s.epoch === top);
  const [aOut, aIn, bOut, bIn] = [pick(a, 'out'), pick(a, 'in'), pick(b, 'out'), pick(b, 'in')];
  const match =
    !!aOut && !!aIn && !!bOut && !!bIn &&
    aOut.spi === bIn.spi && hex(aOut.key) === hex(bIn.key) && hex(aOut.salt) === hex(bIn.salt) &&
    bOut.spi === aIn.spi && hex(bOut.key) === hex(aIn.key) && hex(bOut.salt) === hex(aIn.salt);
  return { epochs, match };
}

/** Polls `cond` every 10 ms until true or `ms` passed. */
export async function until(cond: () => boolean, ms: number, what = 'condition'): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The components of a test world: `count` of them named a, b, c…, owned by p1, p2, p3…, at
 * consecutive addresses from `first` (each suite uses its own range).
 */
export function simComponents(first: string, count = 3): SimWorldSpec['components'] {
  const [a, b, c, d] = first.split('.').map(Number) as [number, number, number, number];
  return Array.from({ length: count }, (_, i) => ({ name: String.fromCharCode(97 + i), owner: `p${i + 1}`, address: `${a}.${b}.${c}.${d + i}` }));
}
