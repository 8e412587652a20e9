import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nobleCrypto, nodeCrypto } from '../../src/crypto/index.js';
import { bytesCrypto } from '../../src/make/bytes-crypto.js';

describe('MAKE key derivation (HKDF over the provider HMAC)', () => {
  for (const provider of [nodeCrypto, nobleCrypto]) {
    it(`gives the provider's HKDF-SHA-256 bytes (${provider.name})`, () => {
      const kdf = bytesCrypto(provider).kdf;
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), fc.string({ maxLength: 20 }), fc.integer({ min: 1, max: 200 }), (ikm, salt, label, n) => {
          const ours = kdf(ikm, salt, label, n) as Uint8Array;
          expect(ours.length).toBe(n);
          expect(Buffer.from(ours).toString('hex')).toBe(Buffer.from(provider.hkdfSha256(ikm, salt, new TextEncoder().encode(label), n)).toString('hex'));
        }),
        { numRuns: 200 },
      );
    });
  }

  it('matches RFC 5869 test case 3 (empty salt and info)', () => {
    for (const provider of [nodeCrypto, nobleCrypto]) {
      const okm = bytesCrypto(provider).kdf(new Uint8Array(22).fill(0x0b), new Uint8Array(0), '', 42) as Uint8Array;
      expect(Buffer.from(okm).toString('hex')).toBe('8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8');
    }
  });
});
