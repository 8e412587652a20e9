/**
 * The fixed world every conformance case lives in: one sim root, the components and their TEEs,
 * the policy, and deterministic randomness derived from labels (so every run, and every vector,
 * is reproducible byte for byte).
 *
 * Components: `alice` (initiator) keys edges to `bob` and `carol`. `carol` runs the same image as
 * `bob` in another launch-time role, and `dave` the same image as `alice`: genuine TEEs that an
 * attacker may try to divert into the wrong role. `mallory` is in no policy.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { MAKE_SUITE } from '../make/messages.js';
import type { ComponentSpec, PolicySpec, RandomSpec, Role, SetupMessage, TeeSpec } from './protocol.js';
import { simRootPublicKey } from './reference.js';

const enc = new TextEncoder();

/** 32 deterministic bytes for a label, hex. */
export function derive(label: string): string {
  return Buffer.from(sha256(enc.encode(`attestflow-conformance/1 ${label}`))).toString('hex');
}

/** 48-byte measurement of an image (sim measurements have the SNP/TDX length). */
function measurement(image: string): string {
  return (derive(`image ${image}`) + derive(`image ${image} tail`)).slice(0, 96);
}

export const ROOT_SEED = derive('sim root');
/** A root no policy trusts (evidence from it must be refused). */
export const OTHER_ROOT_SEED = derive('other sim root');

/** Which image each component runs and its launch-time role. */
const COMPONENTS: Record<string, { image: string; role: string }> = {
  alice: { image: 'alice', role: 'alice' },
  dave: { image: 'alice', role: 'dave' },
  bob: { image: 'bob', role: 'bob' },
  carol: { image: 'bob', role: 'carol' },
  mallory: { image: 'mallory', role: 'mallory' },
};

export function componentSpec(name: string): ComponentSpec {
  const c = COMPONENTS[name];
  if (c === undefined) throw new Error(`no component ${name} in the conformance world`);
  return { measurement: measurement(c.image), role: derive(`role ${c.role}`) };
}

export const POLICY_VERSION = 3;

/** The policy of the world (version 3) or an older/other one for downgrade and mismatch cases. */
export function policy(opts: { version?: number; label?: string; revoked?: string[] } = {}): PolicySpec {
  const version = opts.version ?? POLICY_VERSION;
  const p: PolicySpec = {
    digest: derive(`policy ${opts.label ?? 'main'} v${version}`),
    version,
    components: { alice: componentSpec('alice'), bob: componentSpec('bob'), carol: componentSpec('carol'), dave: componentSpec('dave') },
    edges: [
      ['alice', 'bob'],
      ['alice', 'carol'],
      ['dave', 'bob'],
    ],
  };
  return opts.revoked === undefined ? p : { ...p, revoked: opts.revoked };
}

/** The genuine TEE of a component under the world's root (or another root). */
export function tee(component: string, opts: { rootSeed?: string; measurement?: string } = {}): TeeSpec {
  const c = componentSpec(component);
  const rootSeed = opts.rootSeed ?? ROOT_SEED;
  return {
    platform: 'sim',
    // The verifier always trusts the world's root; a TEE under another root is refused.
    rootPublicKey: simRootPublicKey(ROOT_SEED),
    rootSeed,
    attesterSeed: derive(`attester ${component} ${rootSeed}`),
    measurement: opts.measurement ?? c.measurement,
    role: c.role,
  };
}

/** Fixed randomness for one party in one session. */
export function random(label: string): RandomSpec {
  const spiBytes = Buffer.from(derive(`spi ${label}`), 'hex');
  return { ephemeral: derive(`ephemeral ${label}`), nonce: derive(`nonce ${label}`), spi: 256 + (spiBytes.readUInt32BE(0) % 0x7fff_ff00) };
}

export interface PartySpec {
  readonly session: string;
  readonly role: Role;
  readonly self: string;
  readonly peer?: string;
  /** Randomness label (defaults to session and role). */
  readonly random?: string;
  readonly policy?: PolicySpec;
  /** The TEE the party really runs in (defaults to the genuine TEE of `self`). */
  readonly tee?: TeeSpec;
  readonly epoch?: number;
  readonly suites?: readonly string[];
}

/** A setup line for one party. */
export function setupFor(p: PartySpec): SetupMessage {
  const base = {
    op: 'setup' as const,
    session: p.session,
    role: p.role,
    self: p.self,
    epoch: p.epoch ?? 1,
    suites: p.suites ?? [MAKE_SUITE],
    policy: p.policy ?? policy(),
    tee: p.tee ?? tee(p.self),
    random: random(p.random ?? `${p.session} ${p.role}`),
  };
  return p.peer === undefined ? base : { ...base, peer: p.peer };
}
