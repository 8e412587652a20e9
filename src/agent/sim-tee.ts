/**
 * The software TEE as the agent uses it: a launch description (which sim root endorses the TEE,
 * the image measurement, the launch-time role) read from a file the host writes before starting
 * the agent — the sim counterpart of the platform's launch configuration. Verifiers come from the
 * policy: the sim root is trusted only when the policy lists it.
 */
import { readFileSync } from 'node:fs';
import type { Verifier, Platform } from '../attestation/types.js';
import { SimRoot, SimVerifier, type SimAttester } from '../attestation/sim/index.js';
import type { CryptoProvider } from '../crypto/index.js';
import type { CompiledPolicy } from '../policy/compile.js';
import { AgentError } from './errors.js';

/** What a sim TEE launch file holds (hex strings). */
export interface SimLaunchFile {
  /** Seed of the sim root that endorses this TEE (the "vendor" key; development only). */
  readonly rootSeed: string;
  /** 48-byte image measurement. */
  readonly measurement: string;
  /** 32-byte launch-time role field. */
  readonly role: string;
  readonly debug?: boolean;
}

const HEX = /^([0-9a-f]{2})+$/;

export function parseSimLaunch(text: string, file = '<sim launch>'): SimLaunchFile {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new AgentError('agent.sim-launch', `${file}: not JSON`);
  }
  const o = v as Partial<Record<keyof SimLaunchFile, unknown>>;
  const need = (k: 'rootSeed' | 'measurement' | 'role', bytes: number): string => {
    const x = o[k];
    if (typeof x !== 'string' || !HEX.test(x) || x.length !== bytes * 2) throw new AgentError('agent.sim-launch', `${file}: ${k} must be ${bytes} bytes of lowercase hex`);
    return x;
  };
  if (typeof v !== 'object' || v === null) throw new AgentError('agent.sim-launch', `${file}: not an object`);
  const out: SimLaunchFile = { rootSeed: need('rootSeed', 32), measurement: need('measurement', 48), role: need('role', 32), debug: o.debug === true };
  return out;
}

export function launchSimTee(l: SimLaunchFile, crypto?: CryptoProvider): SimAttester {
  const root = SimRoot.fromSeed(Buffer.from(l.rootSeed, 'hex'), crypto);
  return root.launch({ measurement: Buffer.from(l.measurement, 'hex'), role: Buffer.from(l.role, 'hex'), debug: l.debug === true });
}

export function loadSimTee(file: string, crypto?: CryptoProvider): SimAttester {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new AgentError('agent.sim-launch', `cannot read ${file}: ${(e as Error).message}`);
  }
  return launchSimTee(parseSimLaunch(text, file), crypto);
}

/** Verifiers for the platforms the policy trusts; the sim verifier only with the listed sim roots. */
export function verifiersFor(policy: CompiledPolicy, crypto?: CryptoProvider): Partial<Record<Platform, Verifier>> {
  const simRoots = policy.document.trustedRoots.filter((r) => r.platform === 'sim' && r.publicKey !== undefined).map((r) => Buffer.from(r.publicKey as string, 'hex'));
  const out: Partial<Record<Platform, Verifier>> = {};
  if (simRoots.length > 0) out.sim = new SimVerifier(simRoots.map((b) => new Uint8Array(b)), crypto);
  return out;
}
