/**
 * A two-component world for MAKE tests: one sim root, TEEs for `alpha` and `beta` (and a `gamma`
 * running beta's image in another role), a policy allowing alpha->beta.
 */
import { SimRoot, SimVerifier, type SimAttester } from '../../src/attestation/sim/index.js';
import type { ReferenceValues } from '../../src/attestation/types.js';
import { nodeCrypto } from '../../src/crypto/index.js';
import type { PartyConfig, TraceSink } from '../../src/make/party.js';
import { StaticHandshakePolicy } from '../../src/make/static-policy.js';
import type { Defences } from '../../src/make/types.js';

const fill = (n: number, v: number) => new Uint8Array(n).fill(v);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

export interface World {
  readonly root: SimRoot;
  readonly verifier: SimVerifier;
  readonly attesters: Record<'alpha' | 'beta' | 'gamma' | 'betaAsGamma', SimAttester>;
  readonly measurements: { alphaImage: Uint8Array; betaImage: Uint8Array };
  readonly roles: { alpha: Uint8Array; beta: Uint8Array; gamma: Uint8Array };
  policy(version?: number, digest?: Uint8Array): StaticHandshakePolicy;
  config(self: string, attester: SimAttester, policy: StaticHandshakePolicy, extra?: { defences?: Defences; trace?: TraceSink }): PartyConfig;
}

export function makeWorld(seed = 1): World {
  const root = SimRoot.fromSeed(fill(32, seed), nodeCrypto);
  const verifier = new SimVerifier([root.publicKey], nodeCrypto);
  const alphaImage = fill(48, 0xa1);
  const betaImage = fill(48, 0xb1);
  const roles = { alpha: fill(32, 0x0a), beta: fill(32, 0x0b), gamma: fill(32, 0x0c) };
  const attesters = {
    alpha: root.launch({ measurement: alphaImage, role: roles.alpha }),
    beta: root.launch({ measurement: betaImage, role: roles.beta }),
    // gamma runs beta's image in gamma's role (the diversion target).
    gamma: root.launch({ measurement: betaImage, role: roles.gamma }),
    // a genuine TEE launched with gamma's role whose host tells it it is beta.
    betaAsGamma: root.launch({ measurement: betaImage, role: roles.gamma }),
  };
  const ref = (m: Uint8Array, r: Uint8Array): ReferenceValues => ({ platform: 'sim', measurements: [hex(m)], role: hex(r), signingKeys: [root.fingerprint] });
  return {
    root,
    verifier,
    attesters,
    measurements: { alphaImage, betaImage },
    roles,
    policy: (version = 3, digest = fill(32, 0xd0 + version)) =>
      new StaticHandshakePolicy({
        digest,
        version,
        components: { alpha: ref(alphaImage, roles.alpha), beta: ref(betaImage, roles.beta), gamma: ref(betaImage, roles.gamma) },
        edges: [['alpha', 'beta'], ['alpha', 'gamma']],
      }),
    config: (self, attester, policy, extra) => ({
      self,
      policy,
      attester,
      verifiers: { sim: verifier },
      crypto: nodeCrypto,
      ...(extra?.defences ? { defences: extra.defences } : {}),
      ...(extra?.trace ? { trace: extra.trace } : {}),
    }),
  };
}
