/** fast-check arbitraries for valid MAKE messages and evidence (shared by wire tests and fuzz). */
import fc from 'fast-check';
import type { Evidence, Platform } from '../../src/attestation/types.js';
import type { MakeMessage } from '../../src/make/messages.js';

const b32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const name = fc.stringMatching(/^[A-Za-z0-9._:-]{1,20}$/);
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const spi = fc.integer({ min: 256, max: 0xffff_ffff });
const ev = fc.uint8Array({ maxLength: 300 });

export const arbM1 = fc.record({
  type: fc.constant('m1' as const), version: fc.integer({ min: 0, max: 255 }), suite: fc.stringMatching(/^[\x21-\x7e]{1,40}$/),
  nonce: b32, share: b32, initiator: name, responder: name, policyDigest: b32, policyVersion: u32, epoch: u32, spi,
});
export const arbM2 = fc.record({ type: fc.constant('m2' as const), nonce: b32, share: b32, policyDigest: b32, policyVersion: u32, spi, evidence: ev, mac: b32 });
export const arbM3 = fc.record({ type: fc.constant('m3' as const), evidence: ev, mac: b32 });
export const arbM4 = fc.record({ type: fc.constant('m4' as const), confirm: b32 });
export const arbMessage: fc.Arbitrary<MakeMessage<Uint8Array>> = fc.oneof(arbM1, arbM2, arbM3, arbM4);

export const arbEvidence: fc.Arbitrary<Evidence> = fc.record(
  {
    platform: fc.constantFrom<Platform>('snp', 'tdx', 'cca', 'sim'),
    data: fc.uint8Array({ maxLength: 400 }),
    auxiliary: fc.dictionary(fc.stringMatching(/^[a-z]{1,10}$/), fc.uint8Array({ maxLength: 50 }), { minKeys: 1, maxKeys: 3 }),
  },
  { requiredKeys: ['platform', 'data'] },
);
