/**
 * Fuzz of the decoders: per message type (m1..m4) and for evidence, 100,000 inputs each — random
 * bytes, byte-level mutations of valid encodings, and structural mutations (fields replaced by
 * values of other types, added, dropped, duplicated). Every input must either decode to a value
 * that re-encodes to exactly the input (strictness) or fail with a typed WireError; a crash or a
 * foreign exception fails the property.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MakeMessageType } from '../../src/make/messages.js';
import { encodeCanonical, type CborValue } from '../../src/wire/cbor.js';
import { WIRE_ERROR_CODES, WireError } from '../../src/wire/errors.js';
import { decodeEvidence, decodeMessage, encodeEvidence, encodeMessage } from '../../src/wire/messages.js';
import { decodeStrict } from '../../src/wire/cbor.js';
import { arbEvidence, arbM1, arbM2, arbM3, arbM4 } from './arbitraries.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 100_000);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

type Mutation =
  | { k: 'flip'; at: number; bit: number }
  | { k: 'set'; at: number; v: number }
  | { k: 'cut'; at: number }
  | { k: 'insert'; at: number; bytes: Uint8Array }
  | { k: 'append'; bytes: Uint8Array }
  | { k: 'field'; at: number; v: CborValue }
  | { k: 'add'; key: string; v: CborValue }
  | { k: 'drop'; at: number }
  | { k: 'dup'; at: number };

const anyValue: fc.Arbitrary<CborValue> = fc.oneof(
  fc.nat(),
  fc.constantFrom(255, 256, 0xffff_ffff, 2 ** 40),
  fc.string({ maxLength: 10 }),
  fc.string({ minLength: 129, maxLength: 140 }),
  fc.uint8Array({ maxLength: 40 }),
  fc.constant(new Uint8Array(70_000)), // over every bound
  fc.array(fc.nat(), { maxLength: 3 }),
  fc.constant(new Map<string, CborValue>([['x', 1]])),
);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ k: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }),
  fc.record({ k: fc.constant('set' as const), at: fc.nat(), v: fc.nat({ max: 255 }) }),
  fc.record({ k: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ k: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ k: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ k: fc.constant('field' as const), at: fc.nat(), v: anyValue }),
  fc.record({ k: fc.constant('add' as const), key: fc.string({ maxLength: 4 }), v: anyValue }),
  fc.record({ k: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({ k: fc.constant('dup' as const), at: fc.nat() }),
);

/** Encodes a map keeping insertion order and allowing a duplicate (not canonical on purpose). */
function rawMap(entries: [string, CborValue][]): Uint8Array {
  const n = entries.length;
  const parts = [Uint8Array.from(n < 24 ? [0xa0 | n] : [0xb8, n]), ...entries.flatMap(([k, v]) => [encodeCanonical(k), encodeCanonical(v)])];
  return Buffer.concat(parts);
}

function mutate(base: Uint8Array, m: Mutation): Uint8Array {
  const b = base.slice();
  const at = (n: number) => (b.length === 0 ? 0 : n % b.length);
  switch (m.k) {
    case 'flip': b[at(m.at)]! ^= 1 << m.bit; return b;
    case 'set': b[at(m.at)] = m.v; return b;
    case 'cut': return b.subarray(0, at(m.at));
    case 'insert': { const i = at(m.at); return Buffer.concat([b.subarray(0, i), m.bytes, b.subarray(i)]); }
    case 'append': return Buffer.concat([b, m.bytes]);
    default: {
      let map: CborValue;
      try {
        map = decodeStrict(base);
      } catch {
        return b; // an earlier byte mutation broke the structure: nothing structural to change
      }
      if (!(map instanceof Map) || map.size === 0) return b;
      const entries = [...map.entries()];
      const i = m.k === 'add' ? 0 : m.at % entries.length;
      if (m.k === 'field') { entries[i] = [entries[i]![0], m.v]; return encodeCanonical(new Map(entries)); }
      if (m.k === 'add') return encodeCanonical(new Map([...entries, [m.key, m.v]]));
      if (m.k === 'drop') { entries.splice(i, 1); return encodeCanonical(new Map(entries)); }
      return rawMap([...entries.slice(0, i + 1), entries[i]!, ...entries.slice(i + 1)]);
    }
  }
}

const KNOWN = new Set<string>(WIRE_ERROR_CODES);

function fuzz(name: string, valid: fc.Arbitrary<Uint8Array>, decode: (b: Uint8Array) => unknown, reencode: (v: never) => Uint8Array) {
  it(`${name}: ${RUNS} random and mutated inputs end in a value or a typed error`, () => {
    // A pool of valid encodings to mutate, built once (keeps the run fast).
    const pool = fc.sample(valid, 64);
    const codes = new Map<string, number>();
    let ok = 0;
    let runs = 0;
    const input = fc.oneof(
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) },
      { weight: 4, arbitrary: fc.tuple(fc.nat({ max: pool.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([i, ms]) => ms.reduce(mutate, pool[i]!)) },
    );
    fc.assert(
      fc.property(input, (b) => {
        runs++;
        let v: unknown;
        try {
          v = decode(b);
        } catch (e) {
          if (!(e instanceof WireError) || !KNOWN.has(e.code)) throw new Error(`untyped failure: ${String(e)}`);
          codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
          return;
        }
        ok++;
        // Strict: an accepted input is the one canonical encoding of what it decodes to.
        if (hex(reencode(v as never)) !== hex(b)) throw new Error('accepted a non-canonical encoding');
      }),
      { numRuns: RUNS },
    );
    expect(runs).toBeGreaterThanOrEqual(RUNS);
    // The fuzz reaches deep: several distinct typed errors, not just "malformed".
    expect(codes.size).toBeGreaterThanOrEqual(6);
    process.stdout.write(`fuzz ${name}: ${runs} inputs, ${ok} accepted, errors ${JSON.stringify(Object.fromEntries(codes))}\n`);
  });
}

describe('wire fuzz', () => {
  const msgs: [MakeMessageType, fc.Arbitrary<Uint8Array>][] = [
    ['m1', arbM1.map(encodeMessage)],
    ['m2', arbM2.map(encodeMessage)],
    ['m3', arbM3.map(encodeMessage)],
    ['m4', arbM4.map(encodeMessage)],
  ];
  for (const [t, arb] of msgs) fuzz(t, arb, (b) => decodeMessage(b, t), encodeMessage);
  fuzz('evidence', arbEvidence.map(encodeEvidence), decodeEvidence, encodeEvidence);
});
