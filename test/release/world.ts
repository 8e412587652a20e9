/**
 * The demo workflow (examples/demo.yaml) brought to life for release tests: the demo sim root,
 * a sim TEE per component launched with the policy's measurement and role, owner signing keys,
 * and helpers to run a real MAKE handshake (in memory, through the real wire encoding) under a
 * compiled policy.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256, sha384 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { SimRoot, SimVerifier, type SimAttester } from '../../src/attestation/sim/index.js';
import type { Claims } from '../../src/attestation/types.js';
import { nodeCrypto } from '../../src/crypto/index.js';
import { runLocal } from '../../src/make/local.js';
import { claimsForPolicy, type VerifiedClaims } from '../../src/make/machines/common.js';
import { Party } from '../../src/make/party.js';
import type { EdgeKeys } from '../../src/make/types.js';
import { CompiledPolicy } from '../../src/policy/compile.js';
import { roleBytesFromName } from '../../src/policy/role.js';
import { signApproval, type Approval } from '../../src/policy/update.js';
import { repoRoot } from '../util/env.js';

export const demoText = readFileSync(join(repoRoot, 'examples', 'demo.yaml'), 'utf8');
export const demoRoot = SimRoot.fromSeed(sha256(utf8ToBytes('attestflow demo sim root')), nodeCrypto);
export const ownerSeed = (o: string) => sha256(utf8ToBytes(`attestflow demo owner ${o}`));
export const imageOf = (label: string) => sha384(utf8ToBytes(`attestflow demo image ${label}`));
export const OWNERS = ['hospital', 'lab', 'auditor'] as const;

/** Launches a sim TEE running `image` in role `role`. */
export const launch = (image: string, role: string, debug = false): SimAttester =>
  demoRoot.launch({ measurement: imageOf(image), role: roleBytesFromName('sim', role), debug });

/** Approvals of `p` by the given owners. */
export const approve = (p: CompiledPolicy, owners: readonly string[] = OWNERS): Approval[] => owners.map((o) => signApproval(o, ownerSeed(o), p));

/** The demo policy with text edits, as a new version. */
export function demoVersion(version: number, edit: (t: string) => string = (t) => t): CompiledPolicy {
  return CompiledPolicy.fromText(edit(demoText.replace('  version: 1', `  version: ${version}`)), `demo-v${version}.yaml`);
}

export interface Handshake {
  readonly ok: boolean;
  readonly failure?: string;
  readonly session: string;
  readonly initiatorKeys?: EdgeKeys;
  readonly responderKeys?: EdgeKeys;
  /** What each side verified about the other. */
  readonly claimsOfResponder?: Claims;
  readonly claimsOfInitiator?: Claims;
}

/** Runs MAKE from `from` (attested by `fromTee`) to `to` (attested by `toTee`), both under their own policy view. */
export async function handshake(
  from: string,
  fromTee: SimAttester,
  fromPolicy: CompiledPolicy,
  to: string,
  toTee: SimAttester,
  toPolicy: CompiledPolicy,
  epoch = 0,
): Promise<Handshake> {
  const cfg = (self: string, attester: SimAttester, policy: CompiledPolicy) => ({
    self,
    policy,
    attester,
    verifiers: { sim: new SimVerifier(policy.simRootKeys(), nodeCrypto) },
    crypto: nodeCrypto,
  });
  const i = Party.initiator(cfg(from, fromTee, fromPolicy), to, epoch);
  const r = Party.responder(cfg(to, toTee, toPolicy));
  await runLocal(i, r);
  const ic = (i.snapshot.context as { peerClaims?: VerifiedClaims }).peerClaims;
  const rc = (r.snapshot.context as { peerClaims?: VerifiedClaims }).peerClaims;
  if (i.result?.ok && r.result?.ok) {
    return {
      ok: true,
      session: i.session,
      initiatorKeys: i.result.keys,
      responderKeys: r.result.keys,
      ...(ic ? { claimsOfResponder: claimsForPolicy(ic) } : {}),
      ...(rc ? { claimsOfInitiator: claimsForPolicy(rc) } : {}),
    };
  }
  // The side that detected the problem names it; the other one usually just times out.
  const codes = [i.result, r.result].flatMap((x) => (x && !x.ok ? [(x.failure as { code: string }).code] : []));
  return { ok: false, session: i.session, failure: codes.find((c) => c !== 'make.timeout') ?? codes[0] ?? 'unknown' };
}
