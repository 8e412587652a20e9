/**
 * attestflow — confidential workflows across mutually distrustful TEEs.
 *
 * Data flows one way: policy → (attestation + MAKE) → release → data plane. This module is the
 * public API; every export carries a doc comment. Concern modules add their exports below.
 */
export { AttestflowError, UsageError, isAttestflowError } from './errors.js';
export { VERSION } from './version.js';

// crypto
/** The cipher suite (X25519, Ed25519, HKDF-SHA-256, SHA-2): noble reference and node:crypto providers, identical bytes. */
export { nobleCrypto, nodeCrypto, defaultCrypto, CryptoError, bytesEqual, type CryptoProvider } from './crypto/index.js';

// wire
/** Deterministic strict CBOR encoding of MAKE messages and evidence; length-prefixed frames; typed WireError. */
export {
  WireError, WIRE_ERROR_CODES, type WireErrorCode, encodeMessage, decodeMessage, encodeEvidence, decodeEvidence,
  encodeCanonical, LIMITS as WIRE_LIMITS, encodeFrame, FrameDecoder, MAX_FRAME_PAYLOAD,
} from './wire/index.js';

// sim
/** The software TEE: an Ed25519-rooted attester and a verifier that trusts only the roots it is given. */
export { SimRoot, SimAttester, SimVerifier, SimEvidenceError, simRootFingerprint, type SimLaunchConfig } from './attestation/sim/index.js';

// make
/** MAKE: pure XState machines (initiator, responder) with injected crypto, byte crypto, parties, drivers. */
export {
  initiatorMachine, responderMachine, effectsOf, keySchedule, LABELS as MAKE_LABELS,
  type InitiatorInput, type ResponderInput, type MakeEffect, type MakeEvent, type MakeCrypto, type MakeValue, type VerifiedClaims, type ExportedKeys,
} from './make/machines/index.js';
export { MAKE_VERSION, MAKE_SUITE, type MakeMessage, type Msg1, type Msg2, type Msg3, type Msg4 } from './make/messages.js';
export { MakeError, MAKE_FAILURE_CODES, type MakeFailure, type MakeFailureCode } from './make/reasons.js';
export { bytesCrypto } from './make/bytes-crypto.js';
export { Party, keysDigest, toEdgeKeys, type PartyConfig, type TraceStep, type TraceSink, type MakeRole } from './make/party.js';
export { runLocal, pump, eventOfBytes, type Interceptor } from './make/local.js';
export { StaticHandshakePolicy, type StaticPolicySpec } from './make/static-policy.js';
export { ALL_DEFENCES, type Defences, type EdgeKeys, type SaKeys, type HandshakePolicy } from './make/types.js';
