/**
 * What both MAKE machines share: the events a driver feeds them, the effects they ask for, the
 * claims view they appraise, and the appraisal predicates their guards call.
 */
import type { Claims, Platform, ReferenceValues } from '../../attestation/types.js';
import type { MakeMessage, Msg1, Msg2, Msg3, Msg4 } from '../messages.js';
import type { MakeFailure, MakeFailureCode } from '../reasons.js';
import type { Defences, HandshakePolicy } from '../types.js';
import type { ExportedKeys } from './schedule.js';
import type { MakeCrypto, MakeValue } from './values.js';

/**
 * Claims of verified evidence as the machines see them: {@link Claims} with the report data as an
 * opaque value (bytes from the verifier's hex, or a term in the model).
 */
export interface VerifiedClaims<V = MakeValue> {
  readonly platform: Platform;
  readonly measurement: string;
  readonly role: string;
  readonly debug: boolean;
  readonly signer?: string;
  readonly reportData: V;
}

/** Everything a machine reads but never changes: crypto, policy, defences. */
export interface MakeEnv {
  readonly crypto: MakeCrypto;
  readonly policy: HandshakePolicy;
  readonly defences: Readonly<Defences>;
}

/** Events the driver (or the model checker) feeds the machines. */
export type MakeEvent =
  /** Initiator only: begin (sends message 1). */
  | { readonly type: 'start' }
  | { readonly type: 'recv.m1'; readonly message: Msg1; /** The driver's replay cache saw this nonce. */ readonly replayed?: boolean }
  | { readonly type: 'recv.m2'; readonly message: Msg2 }
  | { readonly type: 'recv.m3'; readonly message: Msg3 }
  | { readonly type: 'recv.m4'; readonly message: Msg4 }
  /** Our own evidence, made by the attester over the report data the machine asked for. */
  | { readonly type: 'evidence.produced'; readonly evidence: MakeValue }
  /** Our attester failed. */
  | { readonly type: 'evidence.failed'; readonly code: string }
  /** The peer's evidence verified cryptographically; the machine appraises the claims. */
  | { readonly type: 'evidence.verified'; readonly claims: VerifiedClaims }
  /** The peer's evidence did not verify (code: the verifier's error code). */
  | { readonly type: 'evidence.invalid'; readonly code: string }
  /** A component was revoked while the handshake ran. */
  | { readonly type: 'revoke'; readonly component: string }
  | { readonly type: 'timeout' }
  /** The driver gives up: transport error, malformed message, shutdown. */
  | { readonly type: 'abort'; readonly code: 'make.transport' | 'make.malformed' | 'make.aborted'; readonly detail?: string };

/**
 * Effects, as XState action objects `{ type, params }` in the result of `transition()`. The
 * machines' own implementations of them do nothing: the driver (or the model checker) performs
 * them. Exactly one `export` or one `fail` ends every handshake.
 */
export type MakeEffect =
  | { readonly type: 'send'; readonly params: { readonly message: MakeMessage } }
  | { readonly type: 'attest'; readonly params: { readonly reportData: MakeValue } }
  | { readonly type: 'verify'; readonly params: { readonly evidence: MakeValue; readonly peer: string } }
  | { readonly type: 'export'; readonly params: { readonly keys: ExportedKeys } }
  | { readonly type: 'fail'; readonly params: MakeFailure };

export const EFFECT_TYPES: readonly MakeEffect['type'][] = ['send', 'attest', 'verify', 'export', 'fail'];

/** Picks the protocol effects out of the actions `transition()` returned. */
export function effectsOf(actions: readonly { type: string; params?: unknown }[]): MakeEffect[] {
  return actions.filter((a) => (EFFECT_TYPES as readonly string[]).includes(a.type)).map((a) => ({ type: a.type, params: a.params }) as MakeEffect);
}

/** No-op implementations: the effects are data for the driver, not code run by the machine. */
export const effectActions = {
  send: (_: unknown, _params: { message: MakeMessage }) => {},
  attest: (_: unknown, _params: { reportData: MakeValue }) => {},
  verify: (_: unknown, _params: { evidence: MakeValue; peer: string }) => {},
  export: (_: unknown, _params: { keys: ExportedKeys }) => {},
  fail: (_: unknown, _params: MakeFailure) => {},
};

/** A failure a transition records before entering `failed`. */
export function failure(code: MakeFailureCode, detail?: string): MakeFailure {
  return detail === undefined ? { code } : { code, detail };
}

const lower = (s: string): string => s.toLowerCase();

/**
 * The claims as the policy's `isRevoked(component, claims)` takes them (it decides whether this
 * identity — platform, measurement, role — was revoked). Report data is opaque here (a term in the
 * model), so it is passed as hex only when it is bytes; revocation never looks at it.
 */
export function claimsForPolicy(c: VerifiedClaims): Claims {
  return {
    platform: c.platform,
    measurement: c.measurement,
    role: c.role,
    debug: c.debug,
    ...(c.signer !== undefined ? { signer: c.signer } : {}),
    reportData: c.reportData instanceof Uint8Array ? Buffer.from(c.reportData).toString('hex') : '',
  };
}

/** Appraisal predicates (true = acceptable). Measurement, platform, debug and signer are always checked. */
export const appraisal = {
  platform: (c: VerifiedClaims, ref: ReferenceValues): boolean => c.platform === ref.platform,
  measurement: (c: VerifiedClaims, ref: ReferenceValues): boolean => ref.measurements.some((m) => lower(m) === lower(c.measurement)),
  debug: (c: VerifiedClaims, ref: ReferenceValues): boolean => !c.debug || ref.allowDebug === true,
  signer: (c: VerifiedClaims, ref: ReferenceValues): boolean =>
    ref.signingKeys === undefined || (c.signer !== undefined && ref.signingKeys.some((k) => lower(k) === lower(c.signer as string))),
  role: (c: VerifiedClaims, ref: ReferenceValues): boolean => lower(c.role) === lower(ref.role),
};

/**
 * The appraisal of the peer's verified claims, in the order both machines check them: each guard
 * that holds fails the handshake with its code. One list so initiator and responder cannot drift.
 */
export const APPRAISAL_CHECKS = [
  ['platformWrong', 'make.platform'],
  ['measurementWrong', 'make.measurement'],
  ['debugRefused', 'make.debug'],
  ['signerWrong', 'make.signer'],
  ['roleWrong', 'make.role'],
  ['reportDataWrong', 'make.report-data'],
  ['peerRevoked', 'make.revoked'],
] as const satisfies readonly (readonly [string, MakeFailureCode])[];

/** The appraisal checks as XState transitions to `failed` (spread first into the state's `always`). */
export const appraisalFailures = () =>
  APPRAISAL_CHECKS.map(([guard, code]) => ({
    guard,
    target: 'failed' as const,
    actions: { type: 'recordFailure' as const, params: failure(code) },
  }));
