#!/usr/bin/env node
// MAKE handshake cost, medians of N runs, with ratios against the pure-JS (noble) provider in the
// same run. Needs a build (npm run build). Usage: node scripts/bench-make.mjs [N]
import {
  MakeListener, Party, SimRoot, SimVerifier, StaticHandshakePolicy, nobleCrypto, nodeCrypto, runInitiator, runLocal,
} from '../dist/index.js';

const N = Number(process.argv[2] ?? 30);
const hex = (b) => Buffer.from(b).toString('hex');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function world(crypto) {
  const root = SimRoot.fromSeed(new Uint8Array(32).fill(1), crypto);
  const verifier = new SimVerifier([root.publicKey], crypto);
  const m = new Uint8Array(48).fill(1);
  const ra = new Uint8Array(32).fill(0xa);
  const rb = new Uint8Array(32).fill(0xb);
  const ref = (role) => ({ platform: 'sim', measurements: [hex(m)], role: hex(role), signingKeys: [root.fingerprint] });
  const policy = new StaticHandshakePolicy({ digest: new Uint8Array(32).fill(7), version: 1, components: { a: ref(ra), b: ref(rb) }, edges: [['a', 'b']] });
  const cfg = (self, role) => ({ self, policy, attester: root.launch({ measurement: m, role }), verifiers: { sim: verifier }, crypto });
  return { a: cfg('a', ra), b: cfg('b', rb) };
}

async function local(crypto) {
  const w = world(crypto);
  const xs = [];
  for (let k = 0; k < N + 3; k++) {
    const t0 = performance.now();
    const i = Party.initiator(w.a, 'b', k);
    const r = Party.responder(w.b);
    await runLocal(i, r);
    if (!i.result?.ok || !r.result?.ok) throw new Error('handshake failed');
    if (k >= 3) xs.push(performance.now() - t0);
  }
  return median(xs);
}

async function tcp(crypto, parallel) {
  const w = world(crypto);
  const l = new MakeListener({ ...w.b, timeoutMs: 30_000 });
  const { port } = await l.listen(0, '127.0.0.1');
  const xs = [];
  try {
    for (let k = 0; k < N + 3; k++) {
      const t0 = performance.now();
      await Promise.all(Array.from({ length: parallel }, (_, j) => runInitiator({ ...w.a, host: '127.0.0.1', port, peer: 'b', epoch: k * parallel + j, timeoutMs: 30_000 })));
      if (k >= 3) xs.push((performance.now() - t0) / parallel);
    }
  } finally {
    await l.close();
  }
  return median(xs);
}

const rows = [
  ['in memory, node:crypto', await local(nodeCrypto)],
  ['in memory, noble (baseline)', await local(nobleCrypto)],
  ['TCP loopback, node:crypto', await tcp(nodeCrypto, 1)],
  ['TCP loopback, noble', await tcp(nobleCrypto, 1)],
  ['TCP loopback, node:crypto, 16 edges at once (per edge)', await tcp(nodeCrypto, 16)],
];
const base = rows[1][1];
console.log(`MAKE handshake, median of ${N} (both sides in one process, sim TEEs, full verification)`);
for (const [name, ms] of rows) console.log(`${name.padEnd(58)} ${ms.toFixed(2).padStart(8)} ms   ${(base / ms).toFixed(2)}x vs noble in memory`);
