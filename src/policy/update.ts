/**
 * Policy updates: a version activates only with the owners' approvals (Ed25519 signatures over the
 * policy digest) and only if it is newer than the version in force (rollback protection).
 *
 * Whose approvals count: the new version's rule (its `approval.owners`, `threshold`, with the keys it
 * lists) AND, when a version is in force, the rule of the version in force with the keys *it*
 * lists — so nobody can swap owner keys or lower a threshold without the current owners agreeing.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { AttestflowError } from '../errors.js';
import type { CompiledPolicy, RevokedIdentity } from './compile.js';

/** Domain-separation label of approval signatures. */
export const APPROVAL_LABEL = 'attestflow/policy-approval/v1\0';

/** One owner's approval of one policy digest. */
export interface Approval {
  readonly owner: string;
  /** Ed25519 signature (64 bytes, lowercase hex) over {@link approvalMessage}. */
  readonly signature: string;
}

/** A refused update (codes `policy.rollback`, `policy.approval`, `policy.workflow`). */
export class PolicyUpdateError extends AttestflowError {}

/** The bytes an owner signs to approve a policy: label ‖ 32-byte digest. */
export function approvalMessage(digest: Uint8Array): Uint8Array {
  return concatBytes(utf8ToBytes(APPROVAL_LABEL), digest);
}

/** Signs an approval of `policy` with an owner's Ed25519 secret key (32-byte seed). */
export function signApproval(owner: string, secretKey: Uint8Array, policy: Pick<CompiledPolicy, 'digest'>): Approval {
  return { owner, signature: bytesToHex(ed25519.sign(approvalMessage(policy.digest), secretKey)) };
}

/** Owners of `rule` whose approval of `digest` verifies under the keys `keysOf` lists (distinct). */
export function validApprovers(policy: CompiledPolicy, digest: Uint8Array, approvals: readonly Approval[]): string[] {
  const rule = policy.document.approval;
  const out = new Set<string>();
  const msg = approvalMessage(digest);
  for (const a of approvals) {
    if (!rule.owners.includes(a.owner) || out.has(a.owner)) continue;
    const key = policy.document.owners.find((o) => o.name === a.owner)?.publicKey;
    if (key === undefined || !/^[0-9a-f]{128}$/i.test(a.signature)) continue;
    let ok = false;
    try {
      ok = ed25519.verify(hexToBytes(a.signature.toLowerCase()), msg, hexToBytes(key));
    } catch {
      ok = false; // malformed points are a failed signature, not a crash
    }
    if (ok) out.add(a.owner);
  }
  return [...out].sort();
}

function requireApprovals(rulePolicy: CompiledPolicy, next: CompiledPolicy, approvals: readonly Approval[], which: string): void {
  const got = validApprovers(rulePolicy, next.digest, approvals);
  const need = rulePolicy.document.approval.threshold;
  if (got.length < need) {
    const missing = rulePolicy.document.approval.owners.filter((o) => !got.includes(o));
    throw new PolicyUpdateError(
      'policy.approval',
      `version ${next.version} needs approvals from ${need} of ${rulePolicy.document.approval.owners.join(', ')} (${which} v${rulePolicy.version}); valid: ${got.join(', ') || 'none'}; missing: ${missing.join(', ')}`,
      { version: next.version, have: got.length, need },
    );
  }
}

/** The result of activating a version. */
export interface PolicyActivation {
  /** The new policy, carrying every revocation so far (see {@link CompiledPolicy.isRevoked}). */
  readonly policy: CompiledPolicy;
  readonly previous: CompiledPolicy | undefined;
  /** Identities revoked by this activation: removed components, and changed reference values. */
  readonly revoked: readonly RevokedIdentity[];
  /** Owners whose approvals were accepted. */
  readonly approvers: readonly string[];
}

/** The policy in force on a node, and the only way to replace it. */
export class PolicyStore {
  private active: CompiledPolicy | undefined;

  /** The policy in force (undefined before the first activation). */
  get current(): CompiledPolicy | undefined {
    return this.active;
  }

  /**
   * Takes `policy` as the version in force without checking approvals — for a node restarting from
   * a policy it activated before (or a tool told which version is in force).
   */
  adopt(policy: CompiledPolicy): void {
    this.active = policy;
  }

  /** Throws {@link PolicyUpdateError} unless `approvals` satisfy `policy`'s own rule. */
  checkApproved(policy: CompiledPolicy, approvals: readonly Approval[]): void {
    requireApprovals(policy, policy, approvals, 'its own rule');
  }

  /**
   * Activates `next` when it is newer than the version in force and carries the approvals both
   * rules require; otherwise throws {@link PolicyUpdateError} and changes nothing.
   */
  activate(next: CompiledPolicy, approvals: readonly Approval[]): PolicyActivation {
    const prev = this.active;
    if (prev !== undefined) {
      if (next.document.workflow.name !== prev.document.workflow.name) {
        throw new PolicyUpdateError('policy.workflow', `version ${next.version} is for workflow '${next.document.workflow.name}', not '${prev.document.workflow.name}'`);
      }
      if (next.version <= prev.version) {
        throw new PolicyUpdateError('policy.rollback', `version ${next.version} is not newer than the version in force (${prev.version}): refused (rollback protection)`, {
          version: next.version,
          current: prev.version,
        });
      }
    }
    requireApprovals(next, next, approvals, 'its own rule');
    if (prev !== undefined) requireApprovals(prev, next, approvals, 'the rule in force');
    const policy = prev === undefined ? next : next.after(prev);
    const revoked = policy.revocations.filter((r) => !(prev?.revocations ?? []).some((p) => p.component === r.component && p.refs === r.refs));
    this.active = policy;
    return { policy, previous: prev, revoked, approvers: validApprovers(next, next.digest, approvals) };
  }
}
