/**
 * One side of a handshake in the real implementation: holds the machine snapshot, applies events
 * with XState's pure transition (through the shared-scope stepper, same results, less CPU), performs the effects (attest, verify) and records a trace.
 * Transport-agnostic: the TCP driver (driver.ts) and in-memory runs (local.ts) both use it.
 */
import type { SnapshotFrom } from 'xstate';
import type { Attester, Claims, Verifier } from '../attestation/types.js';
import { defaultCrypto, type CryptoProvider } from '../crypto/index.js';
import { isAttestflowError } from '../errors.js';
import { decodeEvidence, encodeEvidence, encodeMessage } from '../wire/messages.js';
import { bytesCrypto } from './bytes-crypto.js';
import { effectsOf, type MakeEffect, type MakeEvent, type VerifiedClaims } from './machines/common.js';
import { initiatorMachine, type InitiatorInput } from './machines/initiator.js';
import { responderMachine, type ResponderInput } from './machines/responder.js';
import type { ExportedKeys } from './machines/schedule.js';
import type { MakeMessage } from './messages.js';
import { pureStepper } from './pure-stepper.js';
import type { MakeFailure } from './reasons.js';
import type { Defences, EdgeKeys, HandshakePolicy } from './types.js';

export type MakeRole = 'initiator' | 'responder';

/** One protocol step, as written to the ndjson trace (no secrets: messages appear as digests). */
export interface TraceStep {
  readonly session: string;
  readonly role: MakeRole;
  readonly self: string;
  readonly seq: number;
  readonly event: MakeEvent['type'] | 'init';
  readonly from: string;
  readonly to: string;
  readonly effects: readonly MakeEffect['type'][];
  /** SHA-256 of the encoded message received (recv.*) or sent (send effect). */
  readonly received?: string;
  readonly sent?: readonly string[];
  readonly failure?: MakeFailure;
  /** SHA-256 over the exported keys (to check both ends agree without logging keys). */
  readonly keys?: string;
  readonly at: number;
}

export type TraceSink = (step: TraceStep) => void;

/** What a party needs from its node: attester, verifiers, policy, randomness. */
export interface PartyConfig {
  readonly self: string;
  readonly policy: HandshakePolicy;
  readonly attester: Attester;
  /** Verifier for each platform this node accepts evidence from. */
  readonly verifiers: Readonly<Partial<Record<Claims['platform'], Verifier>>>;
  readonly defences?: Readonly<Defences>;
  readonly crypto?: CryptoProvider;
  readonly trace?: TraceSink;
}

type ISnap = SnapshotFrom<typeof initiatorMachine>;
type RSnap = SnapshotFrom<typeof responderMachine>;
type Snapshot = ISnap | RSnap;

// One stepper per machine for the whole process (see pure-stepper.ts for why).
const stepI = pureStepper(initiatorMachine);
const stepR = pureStepper(responderMachine);

function stateName(s: Snapshot): string {
  const v: unknown = s.value;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Converts bytes-valued exported keys to the EdgeKeys contract. */
export function toEdgeKeys(k: ExportedKeys): EdgeKeys {
  const b = (v: unknown) => v as Uint8Array;
  return {
    edge: k.edge,
    epoch: k.epoch,
    initiatorToResponder: { spi: k.initiatorToResponder.spi, key: b(k.initiatorToResponder.key), salt: b(k.initiatorToResponder.salt) },
    responderToInitiator: { spi: k.responderToInitiator.spi, key: b(k.responderToInitiator.key), salt: b(k.responderToInitiator.salt) },
  };
}

/**
 * A fresh X25519 secret: 32 random bytes (RFC 7748 §5: any 32 bytes, clamped on use). (The node
 * provider's x25519Generate() once was generateKeyPairSync + a JWK export, and a GC
 * inside the export can run the finished KeyGenJob's destructor, which locks the key mutex the
 * export holds — the main thread deadlocks (seen in the bootstrap bench: gdb showed
 * ExportJWKEdKey → GC → ~KeyGenJob → pthread_mutex_lock), timers included; it no longer does.)
 */
function freshSecret(crypto: CryptoProvider): Uint8Array {
  return crypto.randomBytes(32);
}

/** Random SPI in 256..2^32-1 (0–255 are reserved by RFC 4303). */
export function randomSpi(crypto: CryptoProvider): number {
  for (;;) {
    const v = new DataView(crypto.randomBytes(4).buffer).getUint32(0, false);
    if (v >= 256) return v;
  }
}

let sessionCounter = 0;

export class Party {
  readonly role: MakeRole;
  readonly session: string;
  private snap: Snapshot;
  private seq = 0;
  /** Set when the machine threw (a bug): the handshake is over. */
  private broken = false;
  private readonly provider: CryptoProvider;
  /** Set when the machine reaches a final state. */
  result: { readonly ok: true; readonly keys: EdgeKeys; readonly peer: string } | { readonly ok: false; readonly failure: MakeFailure } | undefined;

  private constructor(role: MakeRole, private readonly config: PartyConfig, snap: Snapshot, initialEffects: MakeEffect[]) {
    this.role = role;
    this.snap = snap;
    this.provider = config.crypto ?? defaultCrypto;
    this.session = `${config.self}#${process.pid}.${++sessionCounter}`;
    this.record('init', 'start', stateName(snap), initialEffects, undefined);
  }

  static initiator(config: PartyConfig, peer: string, epoch: number, extra?: Partial<InitiatorInput>): Party {
    const c = config.crypto ?? defaultCrypto;
    const input: InitiatorInput = {
      crypto: bytesCrypto(c), policy: config.policy, defences: config.defences, self: config.self, peer, epoch,
      secret: freshSecret(c), nonce: c.randomBytes(32), spi: randomSpi(c), ...extra,
    };
    const [s, a] = stepI.initial(input);
    return new Party('initiator', config, s, effectsOf(a));
  }

  static responder(config: PartyConfig, extra?: Partial<ResponderInput>): Party {
    const c = config.crypto ?? defaultCrypto;
    const input: ResponderInput = {
      crypto: bytesCrypto(c), policy: config.policy, defences: config.defences, self: config.self,
      secret: freshSecret(c), nonce: c.randomBytes(32), spi: randomSpi(c), ...extra,
    };
    const [s, a] = stepR.initial(input);
    return new Party('responder', config, s, effectsOf(a));
  }

  get state(): string {
    return stateName(this.snap);
  }
  get done(): boolean {
    return this.broken || this.snap.status === 'done';
  }
  get snapshot(): Snapshot {
    return this.snap;
  }

  /** Applies one event (pure transition) and returns the effects to perform, in order. */
  apply(event: MakeEvent, receivedBytes?: Uint8Array): MakeEffect[] {
    if (this.done) return [];
    const from = this.state;
    let next: Snapshot;
    let actions: Parameters<typeof effectsOf>[0];
    try {
      // The two machines share event and snapshot shapes; each call uses its own definition.
      [next, actions] =
        this.role === 'initiator'
          ? stepI.transition(this.snap as ISnap, event)
          : stepR.transition(this.snap as RSnap, event);
    } catch (e) {
      // A machine bug (never bad input): still end with a typed reason and nothing exported.
      const failure: MakeFailure = { code: 'make.aborted', detail: `internal error: ${e instanceof Error ? e.message : String(e)}` };
      this.result = { ok: false, failure };
      this.broken = true;
      this.record(event.type, from, 'failed', [{ type: 'fail', params: failure }], receivedBytes);
      return [{ type: 'fail', params: failure }];
    }
    this.snap = next;
    const effects = effectsOf(actions);
    this.record(event.type, from, this.state, effects, receivedBytes);
    for (const e of effects) {
      if (e.type === 'export') this.result = { ok: true, keys: toEdgeKeys(e.params.keys), peer: e.params.keys.peer };
      if (e.type === 'fail') this.result = { ok: false, failure: e.params };
    }
    return effects;
  }

  /**
   * Performs the local effects (attest, verify) and returns the events they produce; `send`
   * effects are returned as encoded messages for the transport.
   */
  async perform(effects: readonly MakeEffect[]): Promise<{ events: MakeEvent[]; outgoing: Uint8Array[] }> {
    const events: MakeEvent[] = [];
    const outgoing: Uint8Array[] = [];
    for (const e of effects) {
      switch (e.type) {
        case 'send':
          try {
            outgoing.push(encodeMessage(e.params.message as MakeMessage<unknown>));
          } catch (err) {
            // Our own message does not fit the wire bounds (e.g. a component name outside the
            // allowed characters): end the handshake rather than send something the peer refuses.
            events.push({ type: 'abort', code: 'make.aborted', detail: isAttestflowError(err) ? err.code : 'encode failed' });
          }
          break;
        case 'attest':
          events.push(await this.attest(e.params.reportData as Uint8Array));
          break;
        case 'verify':
          events.push(await this.verify(e.params.evidence as Uint8Array));
          break;
        case 'export':
        case 'fail':
          break;
      }
    }
    return { events, outgoing };
  }

  private async attest(reportData: Uint8Array): Promise<MakeEvent> {
    try {
      const ev = await this.config.attester.attest(reportData);
      return { type: 'evidence.produced', evidence: encodeEvidence(ev) };
    } catch (e) {
      return { type: 'evidence.failed', code: isAttestflowError(e) ? e.code : 'attestation.error' };
    }
  }

  private async verify(bytes: Uint8Array): Promise<MakeEvent> {
    try {
      const ev = decodeEvidence(bytes);
      const v = this.config.verifiers[ev.platform];
      if (v === undefined) return { type: 'evidence.invalid', code: `attestation.untrusted-platform.${ev.platform}` };
      const claims = await v.verify(ev);
      return { type: 'evidence.verified', claims: toVerifiedClaims(claims) };
    } catch (e) {
      return { type: 'evidence.invalid', code: isAttestflowError(e) ? e.code : 'attestation.error' };
    }
  }

  private digest(b: Uint8Array): string {
    return Buffer.from(this.provider.sha256(b)).toString('hex');
  }

  private record(event: TraceStep['event'], from: string, to: string, effects: MakeEffect[], received: Uint8Array | undefined): void {
    const sink = this.config.trace;
    if (sink === undefined) return;
    const sent = effects.filter((e) => e.type === 'send').map((e) => {
      try {
        return this.digest(encodeMessage((e as Extract<MakeEffect, { type: 'send' }>).params.message as MakeMessage<unknown>));
      } catch {
        return 'unencodable';
      }
    });
    const fail = effects.find((e) => e.type === 'fail') as Extract<MakeEffect, { type: 'fail' }> | undefined;
    const exp = effects.find((e) => e.type === 'export') as Extract<MakeEffect, { type: 'export' }> | undefined;
    const step: TraceStep = {
      session: this.session,
      role: this.role,
      self: this.config.self,
      seq: this.seq++,
      event,
      from,
      to,
      effects: effects.map((e) => e.type),
      ...(received !== undefined ? { received: this.digest(received) } : {}),
      ...(sent.length > 0 ? { sent } : {}),
      ...(fail !== undefined ? { failure: fail.params } : {}),
      ...(exp !== undefined ? { keys: keysDigest(toEdgeKeys(exp.params.keys), this.provider) } : {}),
      at: Date.now(),
    };
    sink(step);
  }
}

/** SHA-256 over an EdgeKeys (both ends must produce the same digest). */
export function keysDigest(k: EdgeKeys, crypto: CryptoProvider = defaultCrypto): string {
  const parts = [k.edge, String(k.epoch), String(k.initiatorToResponder.spi), Buffer.from(k.initiatorToResponder.key).toString('hex'), Buffer.from(k.initiatorToResponder.salt).toString('hex'),
    String(k.responderToInitiator.spi), Buffer.from(k.responderToInitiator.key).toString('hex'), Buffer.from(k.responderToInitiator.salt).toString('hex')];
  return Buffer.from(crypto.sha256(new TextEncoder().encode(parts.join('|')))).toString('hex');
}

/** Claims with the report data as bytes, as the machines appraise them. */
export function toVerifiedClaims(c: Claims): VerifiedClaims {
  return {
    platform: c.platform,
    measurement: c.measurement,
    role: c.role,
    debug: c.debug,
    ...(c.signer !== undefined ? { signer: c.signer } : {}),
    reportData: new Uint8Array(Buffer.from(c.reportData, 'hex')),
  };
}
