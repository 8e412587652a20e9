/**
 * One MAKE party driven frame by frame, without a network: the project's own initiator and
 * responder machines (src/make/machines) with a small driver that performs their effects
 * (encode and send, attest, verify, export, fail). Both the adapter (the implementation under
 * test) and the runner's reference peer and attacker are built from it.
 *
 * Why not the TCP driver of src/make: the conformance runner *is* the network, and the attacker
 * needs to swap a party's attester (replay, relay) and see every frame before it is delivered.
 */
import { initialTransition, transition } from 'xstate';
import type { AnyStateMachine, SnapshotFrom } from 'xstate';
import { AttestflowError } from '../errors.js';
import { effectsOf, type MakeEvent, type VerifiedClaims } from '../make/machines/common.js';
import { initiatorMachine } from '../make/machines/initiator.js';
import { responderMachine } from '../make/machines/responder.js';
import type { ExportedKeys } from '../make/machines/schedule.js';
import type { MakeMessage } from '../make/messages.js';
import type { Defences, EdgeKeys, HandshakePolicy } from '../make/types.js';
import type { SetupMessage } from './protocol.js';
import { type Bytes, type Tee, bytesCrypto, decodeMessage, encodeMessage, teeFromSetup } from './reference.js';

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
  /** Replaces the party's TEE (the attacker's replayed or relayed evidence). */
  readonly tee?: Tee;
  /** Overrides for downgrade attacks: the suite an initiator offers, the version it speaks. */
  readonly suite?: string;
  readonly version?: number;
  readonly replayCache?: ReplayCache;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

/** The {@link HandshakePolicy} a setup line describes. */
export function policyFromSetup(s: SetupMessage): HandshakePolicy {
  const p = s.policy;
  const revoked = new Set(p.revoked ?? []);
  return {
    digest: unhex(p.digest),
    version: p.version,
    referenceValues(component) {
      const c = p.components[component];
      return c === undefined ? undefined : { platform: 'sim', measurements: [c.measurement], role: c.role };
    },
    allowsEdge: (from, to) => p.edges.some(([f, t]) => f === from && t === to),
    isRevoked: (component) => revoked.has(component),
  };
}

function toEdgeKeys(k: ExportedKeys): EdgeKeys {
  const sa = (s: ExportedKeys['initiatorToResponder']) => ({ spi: s.spi, key: s.key as Bytes, salt: s.salt as Bytes });
  return { edge: k.edge, epoch: k.epoch, initiatorToResponder: sa(k.initiatorToResponder), responderToInitiator: sa(k.responderToInitiator) };
}

class MachineParty implements Party {
  private snapshot: SnapshotFrom<AnyStateMachine> | undefined;
  private done: PartyDone | undefined;
  readonly sent: Uint8Array[] = [];

  constructor(
    private readonly setup: SetupMessage,
    private readonly defences: Defences,
    private readonly tee: Tee,
    private readonly opts: PartyOptions,
  ) {}

  private input(): Record<string, unknown> {
    const s = this.setup;
    const common = {
      crypto: bytesCrypto,
      policy: policyFromSetup(s),
      defences: this.defences,
      self: s.self,
      secret: unhex(s.random.ephemeral),
      nonce: unhex(s.random.nonce),
      spi: s.random.spi,
      ...(this.opts.version === undefined ? {} : { version: this.opts.version }),
    };
    if (s.role === 'initiator') {
      if (s.peer === undefined) throw new AttestflowError('conformance.setup', 'an initiator needs a peer');
      return { ...common, peer: s.peer, epoch: s.epoch, suite: this.opts.suite ?? s.suites[0] };
    }
    return { ...common, suites: s.suites };
  }

  private machine(): AnyStateMachine {
    return (this.setup.role === 'initiator' ? initiatorMachine : responderMachine) as unknown as AnyStateMachine;
  }

  async start(): Promise<PartyStep> {
    const out: Uint8Array[] = [];
    const [snap, actions] = initialTransition(this.machine(), this.input());
    this.snapshot = snap;
    await this.perform(actions as { type: string; params?: unknown }[], out);
    if (this.setup.role === 'initiator') await this.feed({ type: 'start' }, out);
    return this.step(out);
  }

  async receive(frame: Uint8Array): Promise<PartyStep> {
    const out: Uint8Array[] = [];
    // A responder needs no start: its first event is message 1.
    if (this.snapshot === undefined) out.push(...(await this.start()).send);
    if (this.done !== undefined) return this.step(out);
    let m: MakeMessage<Uint8Array>;
    try {
      m = decodeMessage(frame);
    } catch (e) {
      const detail = e instanceof AttestflowError ? e.code : String(e);
      await this.feed({ type: 'abort', code: 'make.malformed', detail }, out);
      return this.step(out);
    }
    if (m.type === 'm1') {
      const cache = this.opts.replayCache;
      const key = hex(m.nonce);
      const replayed = cache?.has(key) === true;
      cache?.add(key);
      await this.feed({ type: 'recv.m1', message: m, replayed }, out);
    } else if (m.type === 'm2') await this.feed({ type: 'recv.m2', message: m }, out);
    else if (m.type === 'm3') await this.feed({ type: 'recv.m3', message: m }, out);
    else await this.feed({ type: 'recv.m4', message: m }, out);
    return this.step(out);
  }

  private step(out: Uint8Array[]): PartyStep {
    return this.done === undefined ? { send: out } : { send: out, done: this.done };
  }

  private async feed(event: MakeEvent, out: Uint8Array[]): Promise<void> {
    if (this.snapshot === undefined) throw new AttestflowError('conformance.internal', 'party not started');
    const [snap, actions] = transition(this.machine(), this.snapshot, event as never);
    this.snapshot = snap;
    await this.perform(actions as { type: string; params?: unknown }[], out);
  }

  /** Performs the effects the machine asked for, in order, feeding results back as events. */
  private async perform(actions: { type: string; params?: unknown }[], out: Uint8Array[]): Promise<void> {
    for (const e of effectsOf(actions)) {
      switch (e.type) {
        case 'send': {
          const f = encodeMessage(e.params.message as MakeMessage<Uint8Array>);
          this.sent.push(f);
          out.push(f);
          break;
        }
        case 'attest': {
          let evidence: Uint8Array;
          try {
            evidence = await this.tee.attest(e.params.reportData as Uint8Array);
          } catch (err) {
            await this.feed({ type: 'evidence.failed', code: err instanceof AttestflowError ? err.code : 'attester.failed' }, out);
            break;
          }
          await this.feed({ type: 'evidence.produced', evidence }, out);
          break;
        }
        case 'verify': {
          let claims: VerifiedClaims;
          try {
            claims = await this.tee.verify(e.params.evidence as Uint8Array);
          } catch (err) {
            await this.feed({ type: 'evidence.invalid', code: err instanceof AttestflowError ? err.code : 'verifier.failed' }, out);
            break;
          }
          await this.feed({ type: 'evidence.verified', claims }, out);
          break;
        }
        case 'export':
          this.done = { outcome: 'keys', keys: toEdgeKeys(e.params.keys) };
          break;
        case 'fail':
          this.done =
            e.params.detail === undefined
              ? { outcome: 'error', code: e.params.code, message: e.params.code }
              : { outcome: 'error', code: e.params.code, detail: e.params.detail, message: `${e.params.code} (${e.params.detail})` };
          break;
      }
    }
  }
}

/** A party for one setup line, with the given defences (a mutant has one off). */
export function createParty(setup: SetupMessage, defences: Defences, opts: PartyOptions = {}): Party {
  return new MachineParty(setup, defences, opts.tee ?? teeFromSetup(setup), opts);
}
