import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nobleCrypto, nodeCrypto, type CryptoProvider } from '../../src/crypto/index.js';
import { isAttestflowError } from '../../src/errors.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const b32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const bytes = fc.uint8Array({ maxLength: 300 });

/** Result or the error code, so failures must match too. */
function outcome(f: () => Uint8Array | boolean): string {
  try {
    const r = f();
    return typeof r === 'boolean' ? String(r) : hex(r);
  } catch (e) {
    if (isAttestflowError(e)) return `error:${e.code}`;
    throw e;
  }
}
function same(f: (p: CryptoProvider) => Uint8Array | boolean): void {
  expect(outcome(() => f(nodeCrypto))).toBe(outcome(() => f(nobleCrypto)));
}

describe('node:crypto and noble providers give byte-identical results', () => {
  it('X25519 public keys and shared secrets on random inputs', () => {
    fc.assert(fc.property(b32, b32, (a, b) => {
      same((p) => p.x25519Public(a));
      same((p) => p.x25519(a, b)); // b as a raw (possibly non-canonical) u-coordinate
      same((p) => p.x25519(a, p.x25519Public(b)));
    }), { numRuns: 100 });
  });
  it('X25519 agrees across providers and both sides', () => {
    fc.assert(fc.property(b32, b32, (a, b) => {
      const ab = nodeCrypto.x25519(a, nobleCrypto.x25519Public(b));
      const ba = nobleCrypto.x25519(b, nodeCrypto.x25519Public(a));
      expect(hex(ab)).toBe(hex(ba));
    }), { numRuns: 100 });
  });
  it('generated X25519 key pairs are consistent in both providers', () => {
    for (const p of [nodeCrypto, nobleCrypto]) {
      for (let k = 0; k < 20; k++) {
        const { secret, publicKey } = p.x25519Generate();
        expect(hex(nobleCrypto.x25519Public(secret))).toBe(hex(publicKey));
        expect(hex(nodeCrypto.x25519Public(secret))).toBe(hex(publicKey));
      }
    }
  });
  it('X25519 low-order shares fail with the same typed error', () => {
    const zero = new Uint8Array(32);
    const one = new Uint8Array(32); one[0] = 1;
    for (const share of [zero, one]) {
      expect(outcome(() => nodeCrypto.x25519(new Uint8Array(32).fill(7), share))).toBe('error:crypto.low-order');
      same((p) => p.x25519(new Uint8Array(32).fill(7), share));
    }
  });
  it('Ed25519 keys, signatures and verification on random inputs', () => {
    fc.assert(fc.property(b32, bytes, fc.uint8Array({ minLength: 64, maxLength: 64 }), (seed, msg, junk) => {
      same((p) => p.ed25519Public(seed));
      same((p) => p.ed25519Sign(seed, msg));
      const pk = nobleCrypto.ed25519Public(seed);
      const sig = nodeCrypto.ed25519Sign(seed, msg);
      expect(nobleCrypto.ed25519Verify(pk, msg, sig)).toBe(true);
      same((p) => p.ed25519Verify(pk, msg, sig));
      same((p) => p.ed25519Verify(pk, msg, junk));
      const flipped = sig.slice(); flipped[msg.length % 64]! ^= 1;
      same((p) => p.ed25519Verify(pk, msg, flipped));
      expect(nodeCrypto.ed25519Verify(pk, msg, flipped)).toBe(false);
    }), { numRuns: 60 });
  });
  it('SHA-256, SHA-512, HMAC and HKDF on random inputs', () => {
    fc.assert(fc.property(bytes, bytes, bytes, fc.integer({ min: 1, max: 255 }), (a, b, c, n) => {
      same((p) => p.sha256(a));
      same((p) => p.sha512(a));
      same((p) => p.hmacSha256(a, b));
      same((p) => p.hkdfSha256(a, b, c, n));
    }), { numRuns: 500 });
  });
  it('known answers (RFC 7748 §5.2, RFC 5869 A.1)', () => {
    for (const p of [nodeCrypto, nobleCrypto]) {
      const kAlice = Buffer.from('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', 'hex');
      expect(hex(p.x25519Public(kAlice))).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
      const kBobPub = Buffer.from('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f', 'hex');
      expect(hex(p.x25519(kAlice, kBobPub))).toBe('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');
      const okm = p.hkdfSha256(Buffer.alloc(22, 0x0b), Buffer.from('000102030405060708090a0b0c', 'hex'), Buffer.from('f0f1f2f3f4f5f6f7f8f9', 'hex'), 42);
      expect(hex(okm)).toBe('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
    }
  });
});
