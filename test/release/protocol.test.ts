import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAttestflowError } from '../../src/errors.js';
import type { EdgeKeys } from '../../src/make/types.js';
import { openSecret, sealSecret } from '../../src/release/envelope.js';
import { decodeReleaseMessage, encodeReleaseMessage, type ReleaseMessage } from '../../src/release/protocol.js';

const keys: EdgeKeys = {
  edge: 'ingest->analyze',
  epoch: 3,
  initiatorToResponder: { spi: 300, key: new Uint8Array(16).fill(1), salt: new Uint8Array(3).fill(2) },
  responderToInitiator: { spi: 301, key: new Uint8Array(16).fill(3), salt: new Uint8Array(3).fill(4) },
};
const env = sealSecret(keys, 'ingest', 'records-key', new TextEncoder().encode('s3cret'));
const valid: ReleaseMessage[] = [
  { type: 'secret-request', secret: 'records-key' },
  { type: 'secret', envelope: env },
  { type: 'secret-refused', secret: 'records-key', reason: 'not-allowed' },
  { type: 'secret-revoked', secret: 'records-key' },
];
const typedOnly = (text: string) => {
  try {
    decodeReleaseMessage(text);
  } catch (e) {
    expect(isAttestflowError(e, 'release.bad-message')).toBe(true);
  }
};

describe('release messages', () => {
  it('round-trip, and a delivered envelope opens', () => {
    for (const m of valid) expect(decodeReleaseMessage(encodeReleaseMessage(m))).toEqual(m);
    const got = decodeReleaseMessage(encodeReleaseMessage(valid[1]!));
    if (got.type !== 'secret') throw new Error('type');
    expect(new TextDecoder().decode(openSecret(keys, got.envelope))).toBe('s3cret');
  });

  it('refuses extra or missing fields, wrong types, unknown reasons and types, oversize input', () => {
    const bad = [
      '{"type":"secret-request","secret":"k","extra":1}',
      '{"type":"secret-request"}',
      '{"type":"secret-request","secret":5}',
      '{"type":"secret-request","secret":"a b"}',
      '{"type":"secret-refused","secret":"k","reason":"because"}',
      '{"type":"hello"}',
      '[]',
      'null',
      '{',
      JSON.stringify({ type: 'secret', envelope: { ...env, epoch: -1 } }),
      JSON.stringify({ type: 'secret', envelope: { ...env, nonce: 'AB'.repeat(12) } }),
      JSON.stringify({ type: 'secret', envelope: { ...env, edge: 'ingest' } }),
      JSON.stringify({ type: 'secret-request', secret: 'k'.repeat(50_000) }),
    ];
    for (const b of bad) expect(() => decodeReleaseMessage(b), b.slice(0, 60)).toThrow(expect.objectContaining({ code: 'release.bad-message' }));
  });

  it('fuzz: random text and mutated valid messages end in typed errors only', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), typedOnly), { numRuns: 2000 });
    const mutated = fc.tuple(fc.constantFrom(...valid.map(encodeReleaseMessage)), fc.nat(), fc.nat(), fc.string({ maxLength: 4 })).map(([t, a, b, ins]) => {
      const i = a % (t.length + 1);
      return t.slice(0, i) + ins + t.slice(Math.min(t.length, i + (b % 6)));
    });
    fc.assert(fc.property(mutated, typedOnly), { numRuns: 3000 });
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => typedOnly(JSON.stringify(v) ?? 'null')), { numRuns: 2000 });
  });
});
