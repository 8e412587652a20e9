/**
 * The checked-in vectors are what the reference implementation generates (so they cannot drift),
 * and they are right on their own terms: recomputed here from the published primitives with
 * @noble directly, and the transcript's evidence verifies and commits to its own transcript.
 */
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { encode } from 'cbor2';
import { cp, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SimVerifier } from '../src/attestation/sim/index.js';
import { bytesCrypto } from '../src/make/bytes-crypto.js';
import * as ks from '../src/make/machines/schedule.js';
import { checkVectors, generateVectors } from '../src/conformance/vectors.js';
import { decodeEvidence, decodeMessage } from '../src/wire/index.js';
import { repoRoot } from '../test/util/env.js';

const dir = join(repoRoot, 'conformance', 'vectors');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const load = async (name: string): Promise<any> => JSON.parse(await readFile(join(dir, name), 'utf8'));

const temps: string[] = [];
afterAll(async () => {
  for (const t of temps) await rm(t, { recursive: true, force: true });
});

describe('conformance vectors', () => {
  it('equal a fresh generation from the reference implementation (regenerate: attestflow conformance vectors --dir conformance/vectors)', async () => {
    expect(await checkVectors(dir)).toEqual([]);
  });

  it('the drift check notices a changed, a missing and a stray file', async () => {
    const t = await mkdtemp(join(tmpdir(), 'af-conf-vectors-'));
    temps.push(t);
    await cp(dir, t, { recursive: true });
    const ks1 = await readFile(join(t, 'key-schedule.json'), 'utf8');
    await writeFile(join(t, 'key-schedule.json'), ks1.replace(/"th4": "(.)/, (_m, c: string) => `"th4": "${c === '0' ? '1' : '0'}`));
    await unlink(join(t, 'encoding.json'));
    await writeFile(join(t, 'old.json'), '{}\n');
    expect((await checkVectors(t)).sort()).toEqual(['encoding.json (missing)', 'key-schedule.json', 'old.json (not generated any more)']);
  });

  it('generation is deterministic', async () => {
    const a = await generateVectors();
    const b = await generateVectors();
    expect([...a.entries()]).toEqual([...b.entries()]);
  });

  it('key schedule: DH, key confirmation and ESP keys recomputed with @noble from the published labels', async () => {
    const v = await load('key-schedule.json');
    const { inputs: i, outputs: o, labels } = v;
    const dh = x25519.getSharedSecret(unhex(i.initiatorSecret), unhex(i.message2Core.share));
    expect(hex(dh)).toBe(o.dh);
    expect(hex(x25519.getPublicKey(unhex(i.initiatorSecret)))).toBe(i.message1.share);
    const th4 = unhex(o.th4);
    const kdf = (label: string, n: number) => hex(hkdf(sha256, dh, th4, utf8(label), n));
    expect(o.keys.initiatorToResponder.key).toBe(kdf(labels.i2rKey, 16));
    expect(o.keys.initiatorToResponder.salt).toBe(kdf(labels.i2rSalt, 3));
    expect(o.keys.responderToInitiator.key).toBe(kdf(labels.r2iKey, 16));
    expect(o.keys.responderToInitiator.salt).toBe(kdf(labels.r2iSalt, 3));
    expect(o.keys.initiatorToResponder.spi).toBe(i.message2Core.spi);
    expect(o.keys.responderToInitiator.spi).toBe(i.message1.spi);
    // Transcript parts are one deterministic CBOR array [label, ...parts].
    const kc = hkdf(sha256, dh, th4, utf8(labels.confirmKey), 32);
    expect(hex(hmac(sha256, kc, encode([labels.confirm, th4], { cde: true })))).toBe(o.confirm);
    const th2 = unhex(o.th2);
    expect(hex(hkdf(sha256, dh, th2, utf8(labels.macKeyR), 32))).toBe(o.macKeyR);
    expect(hex(hmac(sha256, unhex(o.macKeyR), encode([labels.macR, th2, 'bob', unhex(i.responderEvidence)], { cde: true })))).toBe(o.macR);
  });

  it('encodings decode back to their fields', async () => {
    const v = await load('encoding.json');
    expect(v.messages.map((m: { type: string }) => m.type)).toEqual(['m1', 'm2', 'm3', 'm4']);
    for (const m of v.messages) {
      const d = decodeMessage(unhex(m.encoding)) as unknown as Record<string, unknown>;
      for (const [k, want] of Object.entries(m.fields as Record<string, unknown>)) {
        const got = d[k];
        expect(got instanceof Uint8Array ? hex(got) : got, `${m.type}.${k}`).toEqual(want);
      }
    }
  });

  for (const name of ['transcript.json', 'transcript-epoch7.json']) {
    it(`${name}: message 1 uses the setup's randomness, evidence verifies under the root and commits to this transcript, keys follow`, async () => {
      const v = await load(name);
      const si = v.setup.initiator;
      const sr = v.setup.responder;
      const [f1, f2, f3, f4] = v.frames.map((f: { frame: string }) => decodeMessage(unhex(f.frame)));
      if (f1?.type !== 'm1' || f2?.type !== 'm2' || f3?.type !== 'm3' || f4?.type !== 'm4') throw new Error('frames are not m1..m4');
      expect(hex(f1.nonce)).toBe(si.random.nonce);
      expect(hex(f1.share)).toBe(hex(x25519.getPublicKey(unhex(si.random.ephemeral))));
      expect(f1.spi).toBe(si.random.spi);
      expect(f2.spi).toBe(sr.random.spi);
      expect(f1.epoch).toBe(si.epoch);
      const c = bytesCrypto();
      const h2 = ks.th2(c, ks.th1(c, f1), f2);
      const verifier = new SimVerifier([unhex(si.tee.rootPublicKey)]);
      const claimsR = await verifier.verify(decodeEvidence(f2.evidence));
      expect(claimsR.reportData).toBe(hex(ks.reportDataR(c, h2, sr.self, f2.policyDigest) as Uint8Array));
      expect(claimsR.role).toBe(sr.tee.role);
      expect(claimsR.measurement).toBe(sr.tee.measurement);
      const h3 = ks.th3(c, h2, f2.evidence, f2.mac);
      const claimsI = await verifier.verify(decodeEvidence(f3.evidence));
      expect(claimsI.reportData).toBe(hex(ks.reportDataI(c, h3, si.self, f1.policyDigest) as Uint8Array));
      const dh = x25519.getSharedSecret(unhex(si.random.ephemeral), f2.share);
      const h4 = ks.th4(c, h3, f3.evidence, f3.mac) as Uint8Array;
      expect(hex(f4.confirm)).toBe(hex(ks.confirmTag(c, dh, h4) as Uint8Array));
      expect(v.keys.initiatorToResponder.key).toBe(hex(hkdf(sha256, dh, h4, utf8('MAKE1 esp i2r key'), 16)));
      expect(v.keys.edge).toBe(`${si.self}->${sr.self}`);
    });
  }
});
