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
export {
  runInitiator, MakeListener, runOnSocket, type MakeResult, type InitiatorOptions, type ListenerOptions, type TimingOptions,
} from './make/driver.js';
export { ndjsonTrace, readTrace, teeTrace } from './make/trace.js';
export { ALL_DEFENCES, type Defences, type EdgeKeys, type SaKeys, type HandshakePolicy } from './make/types.js';

// dataplane
/**
 * The eBPF data plane: per-edge ESP (RFC 4303) with AES-CCM (RFC 4309) in tc programs; load,
 * attach, install/remove keys per edge, direction and epoch, counters, a digest of the loaded
 * programs for evidence, the RFC 4309 reference codec (node:crypto) and the benchmark.
 */
export {
  Dataplane, DataplaneError, edgeId, selectorFor, saInstallsFor, espSeal, espOpen, espHeader, buildPacket, parseFrame,
  benchDataplane, formatDataplaneBench, VERDICTS,
  type Counters, type DataplaneMeasurement, type DataplaneOptions, type InstalledSa, type MapLayout, type ProgramName,
  type TestRunResult, type EspKeys, type Opened, type DataplaneBenchResult, type Verdict, type EdgeFlow, type SaInstall,
} from './dataplane/index.js';

// bench
/**
 * The benchmark suite behind `attestflow bench all`: plaintext TCP, the eBPF data plane and
 * user-space mTLS 1.3 on the same workloads (latency, throughput, a three-stage pipeline) in network
 * namespaces, with medians and ratios to plaintext from the same run, and JSON/SVG/markdown output.
 */
export { runBench, DEFAULT_OPTIONS as BENCH_DEFAULT_OPTIONS, QUICK_OPTIONS as BENCH_QUICK_OPTIONS, type BenchOptions, type Progress as BenchProgress } from './bench/run.js';
export { markdownTable as benchMarkdownTable, svgChart as benchSvgChart, writeResults as writeBenchResults } from './bench/report.js';
export { BenchError } from './bench/errors.js';
export type { BenchReport, WorkloadResult, TransportFigure, TransportName, MachineInfo, HandshakeCost, MissingTransport, RunFailure } from './bench/types.js';
