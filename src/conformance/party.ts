/**
 * One MAKE party driven frame by frame, without a network: the project's own `Party`
 * (src/make/party.ts: the XState machines plus the effect performer that production uses),
 * configured from a conformance setup line. The adapter (the implementation under test) and the
 * runner's reference peer and attacker are all built from it.
 *
 * The runner *is* the network, so it feeds frames itself (src/make/local.ts `pump`) instead of
 * using the TCP driver; the attacker swaps a party's attester to replay or relay evidence.
 */
import type { Attester } from '../attestation/types.js';
import { SimVerifier } from '../attestation/sim/index.js';
import { eventOfBytes, pump } from '../make/local.js';
import { Party as MakeParty, type PartyConfig, type TraceSink } from '../make/party.js';
import { StaticHandshakePolicy } from '../make/static-policy.js';
import type { Defences, EdgeKeys } from '../make/types.js';
import type { SetupMessage } from './protocol.js';
import { simAttesterFromSetup } from './reference.js';

/** How a session ended. */
export type PartyDone =
  | { readonly outcome: 'keys'; readonly keys: EdgeKeys }
  | { readonly outcome: 'error'; readonly code: string; readonly detail?: string; readonly message: string };

/** What one step of a party produced: frames to put on the network and, at the end, its outcome. */
export interface PartyStep {
  readonly send: Uint8Array[];
  readonly done?: PartyDone;
}

export interface Party {
  /** Initiator: message 1. Responder: nothing (it waits for message 1). */
  start(): Promise<PartyStep>;
  /** A frame from the network. After the party is done, frames are ignored. */
  receive(frame: Uint8Array): Promise<PartyStep>;
  /** Every frame this party sent, in order (vectors and attacks read them). */
  readonly sent: readonly Uint8Array[];
}

/** Nonces of message 1 a responder process has seen (the driver's replay cache, shared by its sessions). */
export type ReplayCache = Set<string>;

export interface PartyOptions {
  /** Replaces the party's attester (the attacker's replayed or relayed evidence). */
  readonly attester?: Attester;
  /** Overrides for downgrade attacks: the suite an initiator offers, the version it speaks. */
  readonly suite?: string;
  readonly version?: number;
  readonly replayCache?: ReplayCache;
  /** Where the party writes its protocol trace (ndjson), for trace validation. */
  readonly trace?: TraceSink;
}

const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** The handshake policy a setup line describes. */
export function policyFromSetup(s: SetupMessage): StaticHandshakePolicy {
  const p = s.policy;
  const policy = new StaticHandshakePolicy({
    digest: unhex(p.digest),
    version: p.version,
    components: Object.fromEntries(Object.entries(p.components).map(([name, c]) => [name, { platform: 'sim' as const, measurements: [c.measurement], role: c.role }])),
    edges: p.edges,
  });
  for (const c of p.revoked ?? []) policy.revoke(c);
  return policy;
}

/** The project's own `Party` for a setup line, with its fixed randomness and the given defences. */
export function makePartyFromSetup(setup: SetupMessage, defences: Defences, opts: PartyOptions = {}): MakeParty {
  const config: PartyConfig = {
    self: setup.self,
    policy: policyFromSetup(setup),
    attester: opts.attester ?? simAttesterFromSetup(setup),
    verifiers: { sim: new SimVerifier([unhex(setup.tee.rootPublicKey)]) },
    defences,
    ...(opts.trace === undefined ? {} : { trace: opts.trace }),
  };
  const fixed = { secret: unhex(setup.random.ephemeral), nonce: unhex(setup.random.nonce), spi: setup.random.spi };
  const version = opts.version === undefined ? {} : { version: opts.version };
  if (setup.role === 'initiator') {
    if (setup.peer === undefined) throw new Error('an initiator setup needs a peer');
    return MakeParty.initiator(config, setup.peer, setup.epoch, { ...fixed, ...version, suite: opts.suite ?? (setup.suites[0] as string) });
  }
  return MakeParty.responder(config, { ...fixed, ...version, suites: setup.suites });
}

/** How a finished `Party` ended, or undefined while it runs. */
export function outcomeOf(party: MakeParty): PartyDone | undefined {
  const r = party.result;
  if (r === undefined) return undefined;
  if (r.ok) return { outcome: 'keys', keys: r.keys };
  const { code, detail } = r.failure;
  return detail === undefined ? { outcome: 'error', code, message: code } : { outcome: 'error', code, detail, message: `${code} (${detail})` };
}

/** The replay check a responder's driver does: true when the nonce was seen before (then remembered). */
export function replayCheck(cache: ReplayCache | undefined): (nonce: Uint8Array) => boolean {
  return (nonce) => {
    const k = hex(nonce);
    const seen = cache?.has(k) === true;
    cache?.add(k);
    return seen;
  };
}

class SetupParty implements Party {
  readonly sent: Uint8Array[] = [];
  private readonly party: MakeParty;

  constructor(
    private readonly setup: SetupMessage,
    defences: Defences,
    private readonly opts: PartyOptions,
  ) {
    this.party = makePartyFromSetup(setup, defences, opts);
  }

  private step(send: Uint8Array[]): PartyStep {
    this.sent.push(...send);
    const done = outcomeOf(this.party);
    return done === undefined ? { send } : { send, done };
  }

  async start(): Promise<PartyStep> {
    return this.step(this.setup.role === 'initiator' ? await pump(this.party, { type: 'start' }) : []);
  }

  async receive(frame: Uint8Array): Promise<PartyStep> {
    if (this.party.done) return this.step([]);
    return this.step(await pump(this.party, eventOfBytes(frame, replayCheck(this.opts.replayCache)), frame));
  }
}

/** A party for one setup line, with the given defences (a mutant has one off). */
export function createParty(setup: SetupMessage, defences: Defences, opts: PartyOptions = {}): Party {
  return new SetupParty(setup, defences, opts);
}
