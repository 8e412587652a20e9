/**
 * A generated workflow on software TEEs: a fresh sim root, one image measurement and role per
 * component, owners with fresh keys, and the policy text that trusts exactly that root. Used by
 * the bootstrap bench, the demo and the agent tests, so all three run the real policy, MAKE and
 * sim attestation code.
 */
import { createHash, randomBytes } from 'node:crypto';
import { SimRoot, type SimAttester } from '../attestation/sim/index.js';
import { defaultCrypto, type CryptoProvider } from '../crypto/index.js';
import { policyYaml, type GenEdge } from '../demo/policy-text.js';
import { CompiledPolicy } from '../policy/compile.js';
import { roleFromName } from '../policy/role.js';
import type { SimLaunchFile } from './sim-tee.js';

export interface SimComponentSpec {
  readonly name: string;
  readonly owner: string;
  readonly address?: string;
}

export interface SimWorldSpec {
  readonly workflow: string;
  readonly version?: number;
  readonly rekeyIntervalSeconds?: number;
  readonly components: readonly SimComponentSpec[];
  readonly edges: readonly GenEdge[];
  readonly secrets?: readonly { name: string; holder: string; releaseTo: readonly string[] }[];
}

/** The measurement of a component's (pretend) image: SHA-384 of a label and its name. */
export function simImageMeasurement(image: string): string {
  return createHash('sha384').update(`attestflow sim image\0${image}`).digest('hex');
}

export class SimWorld {
  readonly rootSeed: Uint8Array;
  readonly root: SimRoot;
  readonly policyText: string;
  readonly policy: CompiledPolicy;
  private readonly crypto: CryptoProvider;

  /** Owner name → public key (hex) used in the policy. */
  readonly owners: Readonly<Record<string, string>>;
  /** Owner name → Ed25519 seed, for owners this world generated (to sign approvals in tests and the demo). */
  readonly ownerSeeds: Readonly<Record<string, Uint8Array>>;

  /**
   * A fresh world, or (with `material`) the same world again — e.g. in another worker thread:
   * same root, same owners, hence the same policy text and digest.
   */
  constructor(readonly spec: SimWorldSpec, crypto: CryptoProvider = defaultCrypto, material?: { rootSeed: Uint8Array; owners: Readonly<Record<string, string>> }) {
    this.crypto = crypto;
    this.rootSeed = material ? material.rootSeed.slice() : new Uint8Array(randomBytes(32));
    this.root = SimRoot.fromSeed(this.rootSeed, crypto);
    const owners: Record<string, string> = { ...material?.owners };
    const seeds: Record<string, Uint8Array> = {};
    for (const c of spec.components) {
      if (owners[c.owner] !== undefined) continue;
      const seed = new Uint8Array(randomBytes(32));
      seeds[c.owner] = seed;
      owners[c.owner] = Buffer.from(crypto.ed25519Public(seed)).toString('hex');
    }
    this.owners = owners;
    this.ownerSeeds = seeds;
    this.policyText = policyYaml({
      workflow: spec.workflow,
      version: spec.version ?? 1,
      rekeyIntervalSeconds: spec.rekeyIntervalSeconds ?? 3600,
      simRoot: Buffer.from(this.root.publicKey).toString('hex'),
      owners,
      components: spec.components.map((c) => ({ ...c, measurement: simImageMeasurement(c.name) })),
      edges: spec.edges,
      ...(spec.secrets ? { secrets: spec.secrets } : {}),
    });
    this.policy = CompiledPolicy.fromText(this.policyText, `${spec.workflow}.yaml`);
  }

  /**
   * The launch description of a TEE running `image`'s genuine measurement in the role of `role`
   * (both default to the component itself). An impostor changes the image, a diverted TEE the role.
   */
  launchFile(component: string, opts: { image?: string; role?: string } = {}): SimLaunchFile {
    return {
      rootSeed: Buffer.from(this.rootSeed).toString('hex'),
      measurement: simImageMeasurement(opts.image ?? component),
      role: roleFromName('sim', opts.role ?? component),
    };
  }

  launch(component: string, opts: { image?: string; role?: string } = {}): SimAttester {
    const l = this.launchFile(component, opts);
    return this.root.launch({ measurement: Buffer.from(l.measurement, 'hex'), role: Buffer.from(l.role, 'hex') });
  }

  get cryptoProvider(): CryptoProvider {
    return this.crypto;
  }
}
