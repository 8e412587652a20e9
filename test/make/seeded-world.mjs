// A MAKE world built from fixed seeds, in plain JS so a child process can use it with the built
// package while the test uses it with the sources: both sides get the same root, TEEs and policy.
export function seededWorld(lib) {
  const { SimRoot, SimVerifier, StaticHandshakePolicy, nodeCrypto } = lib;
  const hex = (b) => Buffer.from(b).toString('hex');
  const fill = (n, v) => new Uint8Array(n).fill(v);
  const root = SimRoot.fromSeed(fill(32, 42), nodeCrypto);
  const verifier = new SimVerifier([root.publicKey], nodeCrypto);
  const ref = (m, r) => ({ platform: 'sim', measurements: [hex(fill(48, m))], role: hex(fill(32, r)), signingKeys: [root.fingerprint] });
  const policy = new StaticHandshakePolicy({ digest: fill(32, 9), version: 4, components: { alpha: ref(1, 0xa), beta: ref(2, 0xb) }, edges: [['alpha', 'beta']] });
  const config = (self, m, r) => ({ self, policy, attester: root.launch({ measurement: fill(48, m), role: fill(32, r) }), verifiers: { sim: verifier }, crypto: nodeCrypto });
  return { alpha: config('alpha', 1, 0xa), beta: config('beta', 2, 0xb) };
}
