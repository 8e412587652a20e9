/**
 * The compiled policy: the {@link HandshakePolicy} view MAKE binds and checks, and a plan per
 * component (peers to connect to, edges to key with protocol and port, secrets to hold and fetch)
 * that the agent and the data plane consume.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import type { Claims, ReferenceValues } from '../attestation/types.js';
import type { EdgeFlow } from '../dataplane/types.js';
import type { HandshakePolicy } from '../make/types.js';
import { canonicalJson, policyDigest } from './canonical.js';
import { checkPolicy, type CheckOptions } from './check.js';
import { PolicyError } from './errors.js';
import type { Component, Edge, EdgeProtocol, PolicyDocument } from './types.js';

/** One edge as one of its ends sees it. */
export interface EdgePlan {
  /** `from->to`. */
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly protocol: EdgeProtocol;
  readonly port: number;
  /** The component at the other end. */
  readonly peer: string;
  /** True when this component is `from`: it dials the peer and initiates MAKE. */
  readonly initiator: boolean;
  /** The data-plane flow, when the policy pins both components' addresses. */
  readonly flow?: EdgeFlow;
}

/** What one component does under a policy. */
export interface ComponentPlan {
  readonly component: string;
  readonly owner: string;
  readonly platform: Component['platform'];
  /** The role field this component must be launched with (lowercase hex). */
  readonly role: string;
  /** The component's own reference values (what its peers will demand). */
  readonly referenceValues: ReferenceValues;
  readonly workflow: string;
  readonly version: number;
  /** Policy digest, lowercase hex. */
  readonly digest: string;
  readonly rekeyIntervalSeconds: number;
  /** Edges this component initiates: connect to `peer` and run MAKE as initiator. */
  readonly connect: readonly EdgePlan[];
  /** Edges the peer initiates: accept MAKE from `peer` as responder. */
  readonly accept: readonly EdgePlan[];
  /** Every edge of the component (connect ∪ accept), each to be keyed in the data plane. */
  readonly edges: readonly EdgePlan[];
  /** Distinct peers, sorted. */
  readonly peers: readonly string[];
  /** Secrets this component holds and releases, with who may receive them. */
  readonly holds: readonly { readonly name: string; readonly releaseTo: readonly string[] }[];
  /** Secrets this component fetches, and from which holder. */
  readonly fetches: readonly { readonly name: string; readonly holder: string }[];
  /**
   * The release machine's view for this node (`ReleaseInput` of src/release without defences;
   * declared here structurally so data keeps flowing one way, policy → release).
   */
  readonly release: {
    readonly version: number;
    readonly secrets: readonly { readonly name: string; readonly allowed: readonly string[] }[];
    readonly edges: readonly { readonly id: string; readonly peer: string }[];
  };
}

/** The reference values of a component, as verifiers and MAKE use them. */
export function referenceValuesOf(c: Component): ReferenceValues {
  return {
    platform: c.platform,
    measurements: [...c.measurements],
    role: c.role,
    ...(c.minTcb !== undefined ? { minTcb: c.minTcb } : {}),
    ...(c.acceptedTcbStatuses !== undefined ? { acceptedTcbStatuses: [...c.acceptedTcbStatuses] } : {}),
    allowDebug: c.allowDebug,
    ...(c.signingKeys !== undefined ? { signingKeys: [...c.signingKeys] } : {}),
  };
}

/**
 * Identifier of a set of reference values (lowercase hex SHA-256 of their canonical JSON). The
 * release machine tracks sessions and revocations by it, so a component whose reference values
 * change is revoked under the old ones only.
 */
export function referenceValuesId(rv: ReferenceValues): string {
  const canon = {
    platform: rv.platform,
    measurements: [...rv.measurements].sort(),
    role: rv.role,
    allowDebug: rv.allowDebug === true,
    ...(rv.minTcb !== undefined ? { minTcb: rv.minTcb } : {}),
    ...(rv.signingKeys !== undefined ? { signingKeys: [...rv.signingKeys].sort() } : {}),
    ...(rv.acceptedTcbStatuses !== undefined ? { acceptedTcbStatuses: [...rv.acceptedTcbStatuses].sort() } : {}),
  };
  return bytesToHex(sha256(utf8ToBytes('attestflow/refs/v1\0' + canonicalJson(canon))));
}

/** True when claims satisfy the measurement, role and debug parts of reference values. */
export function claimsMatchIdentity(claims: Claims, rv: ReferenceValues): boolean {
  return (
    claims.platform === rv.platform &&
    rv.measurements.includes(claims.measurement.toLowerCase()) &&
    claims.role.toLowerCase() === rv.role &&
    (!claims.debug || rv.allowDebug === true)
  );
}

/**
 * A revoked identity: a component under one set of reference values (`refs`, their
 * {@link referenceValuesId}, with the `values`), or under every set (`refs: '*'`, removed).
 * Structurally a release-machine `Revocation`.
 */
export interface RevokedIdentity {
  readonly component: string;
  readonly refs: string;
  readonly values?: ReferenceValues;
}

/**
 * What moving from `prev` to `next` revokes: every component `next` removes (refs `*`), and every
 * component whose reference values change (its old values).
 */
export function revocationsBetween(prev: PolicyDocument, next: PolicyDocument): RevokedIdentity[] {
  const out: RevokedIdentity[] = [];
  for (const c of prev.components) {
    const n = next.components.find((x) => x.name === c.name);
    if (n === undefined) {
      out.push({ component: c.name, refs: '*' });
      continue;
    }
    const before = referenceValuesOf(c);
    const oldId = referenceValuesId(before);
    if (oldId !== referenceValuesId(referenceValuesOf(n))) out.push({ component: c.name, refs: oldId, values: before });
  }
  return out;
}

/** A checked, normalized policy with its digest: implements MAKE's {@link HandshakePolicy}. */
export class CompiledPolicy implements HandshakePolicy {
  readonly document: PolicyDocument;
  readonly digest: Uint8Array;
  readonly digestHex: string;
  readonly version: number;
  /** Identities revoked when this version replaced earlier ones. */
  readonly revocations: readonly RevokedIdentity[];
  private readonly byName: ReadonlyMap<string, Component>;
  private readonly edgeIds: ReadonlySet<string>;

  constructor(document: PolicyDocument, revocations: readonly RevokedIdentity[] = []) {
    this.document = document;
    this.digest = policyDigest(document);
    this.digestHex = bytesToHex(this.digest);
    this.version = document.workflow.version;
    this.revocations = revocations;
    this.byName = new Map(document.components.map((c) => [c.name, c]));
    this.edgeIds = new Set(document.edges.map((e) => e.id));
  }

  /** Parses and checks policy text; throws {@link PolicyError} listing every problem. */
  static fromText(text: string, file = '<policy>', options: CheckOptions = {}): CompiledPolicy {
    const r = checkPolicy(text, file, options);
    if (r.document === undefined) throw new PolicyError(r.problems);
    return new CompiledPolicy(r.document);
  }

  /** This policy carrying the revocations implied by replacing `prev` (plus those `prev` carried). */
  after(prev: CompiledPolicy): CompiledPolicy {
    const fresh = revocationsBetween(prev.document, this.document);
    const kept = prev.revocations.filter((r) => !fresh.some((f) => f.component === r.component && f.refs === r.refs));
    // A component added back after removal is no longer revoked as a whole; its old values stay revoked.
    const all = [...kept, ...fresh].filter((r) => !(r.refs === '*' && this.byName.has(r.component)));
    return new CompiledPolicy(this.document, all);
  }

  referenceValues(component: string): ReferenceValues | undefined {
    const c = this.byName.get(component);
    return c === undefined ? undefined : referenceValuesOf(c);
  }

  /** Identifier of a component's current reference values (see {@link referenceValuesId}). */
  referenceValuesId(component: string): string | undefined {
    const rv = this.referenceValues(component);
    return rv === undefined ? undefined : referenceValuesId(rv);
  }

  allowsEdge(from: string, to: string): boolean {
    return this.edgeIds.has(`${from}->${to}`);
  }

  /**
   * True when the component was removed, or when `claims` match reference values a later version
   * replaced and do not match the current ones (or the current ones are that revoked set again).
   */
  isRevoked(component: string, claims?: Claims): boolean {
    for (const r of this.revocations) {
      if (r.component !== component) continue;
      if (r.refs === '*') return true;
      if (claims !== undefined && r.values !== undefined && claimsMatchIdentity(claims, r.values)) {
        const now = this.referenceValues(component);
        // Still acceptable under the current values (e.g. a measurement was added): not revoked,
        // unless the current values are exactly the revoked set again — a revoked set stays
        // revoked, as in the release machine, which tracks identities by reference-values id.
        if (now === undefined || !claimsMatchIdentity(claims, now) || referenceValuesId(now) === r.refs) return true;
      }
    }
    return false;
  }

  /** Public keys (32 bytes each) of the software-TEE roots the policy trusts; empty when none. */
  simRootKeys(): Uint8Array[] {
    return this.document.trustedRoots.filter((r) => r.platform === 'sim' && r.publicKey !== undefined).map((r) => hexToBytes(r.publicKey!));
  }

  /** The edges of the policy. */
  get edges(): readonly Edge[] {
    return this.document.edges;
  }

  /** Component names, sorted. */
  get components(): readonly string[] {
    return this.document.components.map((c) => c.name);
  }

  /** The plan of one component; throws when the policy does not name it. */
  plan(component: string): ComponentPlan {
    const me = this.byName.get(component);
    if (me === undefined) throw new PolicyError([], `the policy does not name a component '${component}' (components: ${this.components.join(', ')})`, 'policy.unknown-component');
    const edgePlan = (e: Edge): EdgePlan => {
      const initiator = e.from === component;
      const src = this.byName.get(e.from)?.address;
      const dst = this.byName.get(e.to)?.address;
      return {
        id: e.id,
        from: e.from,
        to: e.to,
        protocol: e.protocol,
        port: e.port,
        peer: initiator ? e.to : e.from,
        initiator,
        ...(src !== undefined && dst !== undefined ? { flow: { edge: e.id, srcAddr: src, dstAddr: dst, protocol: e.protocol, dstPort: e.port } } : {}),
      };
    };
    const edges = this.document.edges.filter((e) => e.from === component || e.to === component).map(edgePlan);
    const holds = this.document.secrets.filter((s) => s.holder === component).map((s) => ({ name: s.name, releaseTo: [...s.releaseTo] }));
    const fetches = this.document.secrets.filter((s) => s.releaseTo.includes(component)).map((s) => ({ name: s.name, holder: s.holder }));
    return {
      component,
      owner: me.owner,
      platform: me.platform,
      role: me.role,
      referenceValues: referenceValuesOf(me),
      workflow: this.document.workflow.name,
      version: this.version,
      digest: this.digestHex,
      rekeyIntervalSeconds: this.document.rekeyIntervalSeconds,
      connect: edges.filter((e) => e.initiator),
      accept: edges.filter((e) => !e.initiator),
      edges,
      peers: [...new Set(edges.map((e) => e.peer))].sort(),
      holds,
      fetches,
      release: {
        version: this.version,
        secrets: holds.map((h) => ({ name: h.name, allowed: h.releaseTo })),
        edges: edges.map((e) => ({ id: e.id, peer: e.peer })),
      },
    };
  }
}
