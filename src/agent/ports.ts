/**
 * The agent's collaborators, each behind a small interface so the same Agent runs as a daemon
 * (real TCP MAKE, kernel data plane) or by the thousand in one process (bootstrap bench: loopback
 * MAKE, in-memory key table). Adapters to the concrete modules live in `adapters/`.
 */
import type { Claims } from '../attestation/types.js';
import type { EdgeFlow, SaInstall } from '../dataplane/types.js';
import type { EdgeKeys } from '../make/types.js';

/** A MAKE control endpoint. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** One directed edge of the workflow as this node sees it. */
export interface PlannedEdge {
  /** `from->to`, as named in the policy. */
  readonly edge: string;
  readonly from: string;
  readonly to: string;
  /** The responder's MAKE endpoint; needed on the initiating side only. */
  readonly peer?: Endpoint;
  /** Data-plane selector of the edge; without one, keys are kept by the agent but not installed. */
  readonly flow?: EdgeFlow;
}

/** What this node must do, compiled from the workflow policy for one component. */
export interface AgentPlan {
  readonly component: string;
  readonly policyVersion: number;
  /** A new epoch (fresh evidence, fresh keys) starts this often. */
  readonly rekeyIntervalMs: number;
  /** Edges this component initiates (from = component). */
  readonly initiate: readonly PlannedEdge[];
  /** Edges this component answers (to = component). */
  readonly accept: readonly PlannedEdge[];
  /** Secrets released to this component, received over the MAKE session with their holder. */
  readonly secrets?: readonly SecretRef[];
}

/** A secret this component may receive, and the component that holds it. */
export interface SecretRef {
  readonly name: string;
  readonly holder: string;
}

/** A finished, verified handshake: keys for the edge, and who the peer proved to be. */
export interface HandshakeResult {
  readonly keys: EdgeKeys;
  readonly peer: { readonly component: string; readonly claims: Claims };
}

/** Notifications from the responder side of MAKE. */
export interface ResponderEvents {
  established(result: HandshakeResult): void;
  failed(reason: unknown, info?: { edge?: string; peer?: string }): void;
}

export interface ListenHandle {
  readonly endpoint: Endpoint;
  close(): Promise<void>;
}

/**
 * MAKE, as the agent uses it. Implementations verify the peer's evidence against the policy and
 * bind it to the transcript before resolving; a promise that resolves is a verified peer.
 */
export interface Keyer {
  initiate(edge: PlannedEdge, epoch: number, signal: AbortSignal): Promise<HandshakeResult>;
  listen(events: ResponderEvents): Promise<ListenHandle>;
}

/** The data plane's key table, as the agent uses it. */
export interface KeySink {
  install(sa: SaInstall): Promise<void>;
  remove(sa: Pick<SaInstall, 'flow' | 'direction' | 'epoch' | 'spi'>): Promise<void>;
  /** Packet counters by direction and verdict, when the sink has any. */
  counters?(): Promise<readonly PacketCount[]>;
}

/** One data-plane packet counter. */
export interface PacketCount {
  readonly direction: 'in' | 'out';
  readonly verdict: string;
  readonly value: number;
}

/**
 * Release's say over data-plane keys (a `KeyReleaseGate` over the node's `ReleaseController`). The
 * agent asks; the release machine decides (appraised session, component allowed on this edge, not
 * revoked) and audits; the install and remove happen only when the controller performs its
 * `install-key` / `remove-key` effects, which the daemon wires to {@link Agent.performKeyEffect}.
 */
export interface KeyRelease {
  /**
   * A verified session `session` exported keys for `r.keys.edge` at `r.keys.epoch`: open and
   * appraise it, then `INSTALL_KEY`. Resolves with the machine's refusal reason, or undefined when
   * its `install-key` effect was performed.
   */
  release(session: string, r: HandshakeResult): Promise<string | undefined>;
  /** The keys of `session` retire (overlap over, edge left, stop): `RETIRE_KEY`, then the session closes. */
  retire(session: string, edge: string, epoch: number): Promise<void>;
}
