/**
 * attestflow — confidential workflows across mutually distrustful TEEs.
 *
 * Data flows one way: policy → (attestation + MAKE) → release → data plane. This module is the
 * public API; every export carries a doc comment. Concern modules add their exports below.
 */
export { AttestflowError, UsageError, isAttestflowError } from './errors.js';
export { VERSION } from './version.js';

// attestation
/** Contracts shared by attesters, verifiers and their users (MAKE, release, agent). */
export type { Platform, Evidence, Attester, Claims, ReferenceValues, Verifier } from './attestation/types.js';
/** Typed failures: unparseable evidence, a failed cryptographic check (named), bad verifier inputs. */
export { EvidenceParseError, EvidenceVerifyError, VerifierInputError } from './attestation/common/errors.js';
/** Every check by name, decoded fields and verdict of one piece of evidence (corpus vocabulary). */
export type { CheckReport, Verdict } from './attestation/common/report.js';
/** AMD SEV-SNP: report parsing (v2–v5, Milan/Genoa/Turin), VCEK/VLEK chain to the pinned ARK, HCL reports. */
export { parseSnpReport, decodeTcb, type SnpReport, type TcbLayout } from './attestation/snp/report.js';
export { checkSnp, snpClaims, SnpVerifier, type SnpCheckInput } from './attestation/snp/verify.js';
export { parseSnpCertTable } from './attestation/snp/cert-table.js';
/** Intel TDX: quotes v4/v5, QE binding, PCK chain to the Intel SGX Root CA; TCB Info / QE Identity collateral. */
export { parseTdxQuote, type TdxQuote } from './attestation/tdx/quote.js';
export { checkTdx, tdxClaims, TdxVerifier, type TdxCheckInput } from './attestation/tdx/verify.js';
export { checkCollateral, parseCollateral, appraiseCollateral, type CollateralInput } from './attestation/tdx/collateral.js';
/** Arm CCA: tokens (tags 399, 907, 18), realm token by its RAK, platform token by the CPAK, their binding. */
export { parseCcaToken, type CcaToken } from './attestation/cca/token.js';
export { checkCca, ccaClaims, CcaVerifier, loadCpak } from './attestation/cca/verify.js';
/** One entry point over all platforms (what `attestflow evidence verify` runs), and evidence file decoding. */
export { verifyEvidence, readCollateralDir, type VerifyEvidenceInput, type VerifyPlatform } from './attestation/evidence/verify.js';
export { decodeEvidenceFile, type EvidenceEncoding } from './attestation/evidence/decode.js';
/** Vendor roots pinned by SHA-256 fingerprint. */
export { PINNED_ROOTS, type RootName } from './attestation/roots.js';
/** Appraisal of verified claims against a component's reference values; throws naming the failing claim. */
export { appraise, AppraisalError, tcbAtLeast, type AppraisedClaim } from './attestation/appraise.js';
/** The configfs-tsm attester for real TEE guests (SNP, TDX, CCA). */
export { TsmAttester, TsmError, TSM_PROVIDERS, TSM_REPORT_ROOT, type TsmAttesterOptions } from './attestation/tsm/attester.js';

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

// policy
/** Workflow policy model: the validated, normalized document and its parts. */
export type { PolicyDocument, Component, Edge, EdgeProtocol, Secret, Owner, TrustedRoot, ApprovalRule, PolicyProblem } from './policy/types.js';
/** Edge identifier `from->to` and the default rekey interval. */
export { edgeId, DEFAULT_REKEY_INTERVAL_SECONDS } from './policy/types.js';
/** Checks policy text (YAML): every problem at once with file:line:column, or the normalized document. */
export { checkPolicy, MEASUREMENT_BYTES, TCB_BYTES, type CheckOptions, type CheckResult } from './policy/check.js';
/** The compiled policy (implements MAKE's HandshakePolicy) and per-component plans for the agent and data plane. */
export {
  CompiledPolicy,
  referenceValuesOf,
  referenceValuesId,
  revocationsBetween,
  claimsMatchIdentity,
  type ComponentPlan,
  type EdgePlan,
  type RevokedIdentity,
} from './policy/compile.js';
/** Canonical form and digest of a policy (what MAKE binds and owners sign). */
export { policyDigest, policyDigestHex, canonicalJson, canonicalPolicy, DIGEST_LABEL } from './policy/canonical.js';
/** Canonical launch-time role derivation from a role name. */
export { roleFromName, roleBytesFromName, ROLE_FIELD_BYTES, ROLE_LABEL } from './policy/role.js';
/** Policy errors and problem formatting. */
export { PolicyError, formatProblem } from './policy/errors.js';
/** Where the published JSON Schema of the policy lives, and its content. */
export { POLICY_SCHEMA_URL, policySchema } from './policy/schema.js';
/** Policy updates: owner approvals (Ed25519 over the digest), rollback protection, revocations. */
export { PolicyStore, PolicyUpdateError, signApproval, validApprovers, approvalMessage, APPROVAL_LABEL, type Approval, type PolicyActivation } from './policy/update.js';
// release
/** The release/revocation decision machine (pure XState v5) and its types. */
export {
  releaseMachine,
  isRevokedIn,
  type ReleaseMachine,
  type ReleaseContext,
  type ReleaseInput,
  type ReleaseEvent,
  type ReleaseEffect,
  type ReleaseDefences,
  type ReleaseSecret,
  type ReleaseEdge,
  type ReleaseSession,
  type Revocation,
  type ReleasedSecret,
  type InstalledKey,
  type RefusalReason,
  type EndReason,
} from './release/machine.js';
/** Drives the release machine for one component: audit first, then effects through the agent's port. */
export { ReleaseController, type ReleasePort, type EstablishedSession, type ReleaseControllerOptions } from './release/controller.js';
/** Data-plane keys through release: each edge epoch is a release session; only the controller's install-key / remove-key effects reach the data plane. */
export { KeyReleaseGate, type KeyedSession } from './release/key-release.js';
/** Secret-fetch messages over a MAKE session (strict decoding, typed errors). */
export {
  encodeReleaseMessage,
  decodeReleaseMessage,
  ReleaseProtocolError,
  MAX_RELEASE_MESSAGE,
  type ReleaseMessage,
  type SecretRequest,
  type SecretDelivery,
  type SecretRefusal,
  type SecretRevoked,
} from './release/protocol.js';
/** A released secret sealed to one MAKE session. */
export { sealSecret, openSecret, EnvelopeError, RELEASE_LABEL, type SecretEnvelope } from './release/envelope.js';
/** The append-only hash-chained audit log and its offline verifier. */
export {
  AuditLog,
  AuditError,
  verifyAuditLog,
  entryHash,
  readHead,
  headPath,
  GENESIS as AUDIT_GENESIS,
  type AuditEntry,
  type AuditEvent,
  type AuditValue,
  type AuditHead,
  type AuditProblem,
  type AuditVerdict,
} from './release/audit.js';
// dataplane
/**
 * The eBPF data plane: per-edge ESP (RFC 4303) with AES-CCM (RFC 4309) in tc programs; load,
 * attach, install/remove keys per edge, direction and epoch, counters, a digest of the loaded
 * programs for evidence, the RFC 4309 reference codec (node:crypto) and the benchmark.
 */
export {
  Dataplane, DataplaneError, edgeId as dataplaneEdgeId, selectorFor, saInstallsFor, espSeal, espOpen, espHeader, buildPacket, parseFrame,
  benchDataplane, benchDataplaneRuns, formatDataplaneBench, formatDataplaneRuns, VERDICTS,
  type Counters, type DataplaneMeasurement, type DataplaneOptions, type InstalledSa, type MapLayout, type ProgramName,
  type TestRunResult, type EspKeys, type Opened, type DataplaneBenchResult, type DataplaneBenchRuns, type Verdict as DataplaneVerdict, type EdgeFlow, type SaInstall,
} from './dataplane/index.js';

// --- model checking (src/model) -------------------------------------------------------------
/** Breadth-first exhaustive explorer for any finite transition system (exact visited set, digest, shortest counterexamples). */
export { explore, formatTrace, type TransitionSystem, type Invariant, type ExploreOptions, type ExploreResult, type Violation, type TraceStep as ModelTraceStep } from './model/explorer.js';
/** XState v5's pure transition() with the actor scope built once per machine (same results, much faster). */
export { pureStepper, type PureStepper } from './model/pure.js';
/** The composed MAKE + release world with a Dolev–Yao attacker, its bounds, the mutants, and the spec drift check. */
export { MakeWorld, DEFAULT_BOUNDS, type Bounds, type World } from './model/world.js';
export { checkModel, checkMutants, CONFIGS as MODEL_CONFIGS, type CheckReport as ModelCheckReport, type MutantReport } from './model/run.js';
export { INVARIANT_NAMES } from './model/invariants.js';
export { checkDrift, type DriftReport } from './model/drift.js';

// conformance
/**
 * The MAKE conformance suite: the cases (reference peer and network attacker against any
 * implementation), the runner that drives an implementation over the line-based JSON protocol
 * (conformance/PROTOCOL.md), the adapter that exposes this implementation over it, and the vectors.
 */
export { CASES } from './conformance/cases.js';
export {
  runConformance, runCase, formatResult, formatSummary, STEP_TIMEOUT_MS,
  type ConformanceCase, type CaseResult, type RunOptions, type Expectation,
} from './conformance/runner.js';
export { runAdapter } from './conformance/adapter.js';
export { PROTOCOL_ID as CONFORMANCE_PROTOCOL, ConformanceError, type SetupMessage, type RunnerMessage, type ImplMessage } from './conformance/protocol.js';
export { generateVectors, writeVectors, checkVectors } from './conformance/vectors.js';

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

// agent
/** The node agent: keys every edge of a component with MAKE, installs data-plane keys, rekeys each epoch, follows policy updates. */
export { Agent, type AgentOptions, type AgentStatus, type EdgeStatusView, type EdgeSide, type EdgeStatus } from './agent/agent.js';
/** The agent's collaborators (MAKE, data plane) behind small interfaces, and its plan. */
export type { AgentPlan, PlannedEdge, Endpoint, Keyer, KeySink, HandshakeResult, ResponderEvents, ListenHandle, PacketCount, SecretRef } from './agent/ports.js';
/** MAKE over TCP as the agent uses it; key sinks for the kernel data plane and for memory. */
export { MakeTcpKeyer, type MakeKeyerOptions, type SessionChannel, type SessionHook } from './agent/make-keyer.js';
/** Release of secrets over established MAKE sessions (request, sealed delivery, audited refusal). */
export { SecretExchange, secretFingerprint, type SecretExchangeOptions } from './agent/secrets.js';
export { DataplaneKeySink } from './agent/dataplane-keys.js';
export { MemoryKeySink } from './agent/memory-keys.js';
/** The `attestflow agent` daemon: policy store, TEE, MAKE, data plane, status endpoint, SIGHUP updates, SIGTERM cleanup. */
export { Daemon, loadPolicy, readApprovals, type DaemonOptions } from './agent/daemon.js';
/** From the policy's component plan to the agent's; the default MAKE port. */
export { agentPlanFrom, policyResolver, DEFAULT_MAKE_PORT, type PeerResolver } from './agent/plan.js';
/** Bounded exponential backoff with jitter. */
export { DEFAULT_BACKOFF, nextDelay, checkBackoff, type BackoffPolicy } from './agent/backoff.js';
/** Metrics in the Prometheus text format; the local status endpoint and its client. */
export { Metrics, parsePrometheus, type Labels, type Collector } from './agent/metrics.js';
export { startStatusServer, parseStatusAddress, formatStatusAddress, DEFAULT_STATUS_ADDRESS, type StatusAddress, type StatusServer } from './agent/status-server.js';
export { fetchStatus, formatStatus, StatusUnavailableError, type FetchedStatus } from './agent/status-client.js';
/** JSON-lines logging. */
export { jsonLogger, silentLogger, type Logger, type LogLevel } from './agent/log.js';
/** Agent errors (`agent.*`). */
export { AgentError, UnexpectedPeerError, HandshakeTimeoutError, AgentStateError } from './agent/errors.js';
/** Software TEE launch files, and generated workflows on software TEEs (bench, demo, tests). */
export { parseSimLaunch, launchSimTee, loadSimTee, verifiersFor, type SimLaunchFile } from './agent/sim-tee.js';
export { SimWorld, simImageMeasurement, type SimWorldSpec, type SimComponentSpec } from './agent/sim-world.js';
/** The cluster bootstrap benchmark. */
export { runBootstrap, bootstrapEdges, simBootstrapWorld, REFERENCE as BOOTSTRAP_REFERENCE, type BootstrapRun } from './agent/bootstrap.js';
export { runBootstrapThreads } from './agent/bootstrap-threads.js';
export { bootstrapReport, formatBootstrapReport, type BootstrapReport } from './agent/bootstrap-report.js';
// demo
/** The local demo: network namespaces, agents, workload, refusals, cleanup. */
export { Demo, DemoError, formatTable, type DemoOptions, type DemoResult, type DemoRow } from './demo/run.js';
