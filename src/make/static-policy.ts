/**
 * A HandshakePolicy from plain data, for tools, tests and conformance runs that do not start from a
 * policy file (src/policy compiles the real one). Revocation is mutable, as in the agent.
 */
import type { Claims, ReferenceValues } from '../attestation/types.js';
import type { HandshakePolicy } from './types.js';

export interface StaticPolicySpec {
  readonly digest: Uint8Array;
  readonly version: number;
  readonly components: Readonly<Record<string, ReferenceValues>>;
  /** Allowed directed edges `[from, to]`. */
  readonly edges: readonly (readonly [string, string])[];
}

export class StaticHandshakePolicy implements HandshakePolicy {
  readonly digest: Uint8Array;
  readonly version: number;
  private readonly components: Map<string, ReferenceValues>;
  private readonly edges: Set<string>;
  private readonly revoked = new Set<string>();

  constructor(spec: StaticPolicySpec) {
    this.digest = spec.digest.slice();
    this.version = spec.version;
    this.components = new Map(Object.entries(spec.components));
    this.edges = new Set(spec.edges.map(([a, b]) => `${a}->${b}`));
  }
  referenceValues(component: string): ReferenceValues | undefined {
    return this.components.get(component);
  }
  allowsEdge(from: string, to: string): boolean {
    return this.edges.has(`${from}->${to}`);
  }
  isRevoked(component: string, _claims?: Claims): boolean {
    return this.revoked.has(component);
  }
  /** Marks a component revoked: handshakes with it fail from now on. */
  revoke(component: string): void {
    this.revoked.add(component);
  }
}
