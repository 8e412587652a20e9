/**
 * The MAKE messages and evidence on the wire: one deterministic CBOR map each, text keys, field `t`
 * naming the message. Decoding is strict (see cbor.ts, schema.ts); every failure is a WireError.
 */
import type { Evidence, Platform } from '../attestation/types.js';
import type { MakeMessage, MakeMessageType, Msg1, Msg2, Msg3, Msg4 } from '../make/messages.js';
import { decodeStrict, encodeCanonical } from './cbor.js';
import { WireError } from './errors.js';
import { checkMap, type FieldSpec, type MapSchema } from './schema.js';

/** Bounds. A frame carries one message; evidence is the largest field. */
export const LIMITS = Object.freeze({
  maxMessage: 65_536,
  maxEvidence: 49_152,
  maxEvidenceData: 32_768,
  maxAuxEntries: 8,
  maxAuxValue: 16_384,
  maxName: 128,
  maxSuite: 64,
  maxU32: 0xffff_ffff,
});

/** Component names: letters, digits and `._:-` (no `>`, so `a->b` edge ids stay unambiguous). */
export const COMPONENT_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
const PLATFORMS: readonly Platform[] = ['snp', 'tdx', 'cca', 'sim'];

const bytes32: FieldSpec = { kind: 'bytes', length: 32 };
const u32: FieldSpec = { kind: 'uint', max: LIMITS.maxU32 };
const spi: FieldSpec = { kind: 'uint', min: 256, max: LIMITS.maxU32 };
const name: FieldSpec = { kind: 'text', max: LIMITS.maxName, pattern: COMPONENT_PATTERN };
const tag = (n: number): FieldSpec => ({ kind: 'uint', min: n, max: n });

const TYPE_NUMBER: Record<MakeMessageType, number> = { m1: 1, m2: 2, m3: 3, m4: 4 };
const TYPE_OF_NUMBER: Record<number, MakeMessageType> = { 1: 'm1', 2: 'm2', 3: 'm3', 4: 'm4' };

export const SCHEMAS: Readonly<Record<MakeMessageType, MapSchema>> = {
  m1: {
    name: 'm1',
    fields: {
      t: tag(1), v: { kind: 'uint', max: 255 }, s: { kind: 'text', max: LIMITS.maxSuite, pattern: /^[\x21-\x7e]+$/ },
      n: bytes32, x: bytes32, i: name, r: name, pd: bytes32, pv: u32, e: u32, spi,
    },
  },
  m2: { name: 'm2', fields: { t: tag(2), n: bytes32, y: bytes32, pd: bytes32, pv: u32, spi, ev: { kind: 'bytes', max: LIMITS.maxEvidence }, mac: bytes32 } },
  m3: { name: 'm3', fields: { t: tag(3), ev: { kind: 'bytes', max: LIMITS.maxEvidence }, mac: bytes32 } },
  m4: { name: 'm4', fields: { t: tag(4), c: bytes32 } },
};

const EVIDENCE_SCHEMA: MapSchema = {
  name: 'evidence',
  fields: {
    p: { kind: 'text', max: 8, oneOf: PLATFORMS },
    d: { kind: 'bytes', max: LIMITS.maxEvidenceData },
    a: { kind: 'bytesMap', minEntries: 1, maxEntries: LIMITS.maxAuxEntries, keyMax: 64, valueMax: LIMITS.maxAuxValue },
  },
  optional: ['a'],
};

/** Copies into a plain Uint8Array (cbor2 would tag a Buffer subclass differently). */
const plain = (b: Uint8Array): Uint8Array => (b.constructor === Uint8Array ? b : new Uint8Array(b));

function asBytes(v: unknown, what: string): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new WireError('wire.wrong-type', `${what} must be bytes to encode`);
  return plain(v);
}

function fieldsOf(m: MakeMessage<unknown>): Map<string, unknown> {
  switch (m.type) {
    case 'm1':
      return new Map<string, unknown>([
        ['t', 1], ['v', m.version], ['s', m.suite], ['n', asBytes(m.nonce, 'm1.n')], ['x', asBytes(m.share, 'm1.x')],
        ['i', m.initiator], ['r', m.responder], ['pd', asBytes(m.policyDigest, 'm1.pd')], ['pv', m.policyVersion],
        ['e', m.epoch], ['spi', m.spi],
      ]);
    case 'm2':
      return new Map<string, unknown>([
        ['t', 2], ['n', asBytes(m.nonce, 'm2.n')], ['y', asBytes(m.share, 'm2.y')], ['pd', asBytes(m.policyDigest, 'm2.pd')],
        ['pv', m.policyVersion], ['spi', m.spi], ['ev', asBytes(m.evidence, 'm2.ev')], ['mac', asBytes(m.mac, 'm2.mac')],
      ]);
    case 'm3':
      return new Map<string, unknown>([['t', 3], ['ev', asBytes(m.evidence, 'm3.ev')], ['mac', asBytes(m.mac, 'm3.mac')]]);
    case 'm4':
      return new Map<string, unknown>([['t', 4], ['c', asBytes(m.confirm, 'm4.c')]]);
  }
}

/**
 * Encodes a message. Values must be bytes; the result is re-checked against the schema so a
 * message we send is one we would accept (no oversize evidence, no bad names).
 */
export function encodeMessage(m: MakeMessage<unknown>): Uint8Array {
  const map = fieldsOf(m);
  checkMap(SCHEMAS[m.type], map);
  const out = encodeCanonical(map);
  if (out.length > LIMITS.maxMessage) throw new WireError('wire.oversize', `message ${m.type} is over ${LIMITS.maxMessage} bytes`);
  return out;
}

function build(type: MakeMessageType, f: Record<string, unknown>): MakeMessage<Uint8Array> {
  const b = (k: string) => f[k] as Uint8Array;
  const n = (k: string) => f[k] as number;
  switch (type) {
    case 'm1':
      return {
        type, version: n('v'), suite: f.s as string, nonce: b('n'), share: b('x'), initiator: f.i as string,
        responder: f.r as string, policyDigest: b('pd'), policyVersion: n('pv'), epoch: n('e'), spi: n('spi'),
      } satisfies Msg1<Uint8Array>;
    case 'm2':
      return { type, nonce: b('n'), share: b('y'), policyDigest: b('pd'), policyVersion: n('pv'), spi: n('spi'), evidence: b('ev'), mac: b('mac') } satisfies Msg2<Uint8Array>;
    case 'm3':
      return { type, evidence: b('ev'), mac: b('mac') } satisfies Msg3<Uint8Array>;
    case 'm4':
      return { type, confirm: b('c') } satisfies Msg4<Uint8Array>;
  }
}

/**
 * Decodes one message. With `expected`, a well-formed message of another type is
 * `wire.unexpected-message`. Throws only {@link WireError}.
 */
export function decodeMessage(bytes: Uint8Array, expected?: MakeMessageType): MakeMessage<Uint8Array> {
  if (!(bytes instanceof Uint8Array)) throw new WireError('wire.wrong-type', 'message must be bytes');
  if (bytes.length > LIMITS.maxMessage) throw new WireError('wire.oversize', `message is over ${LIMITS.maxMessage} bytes`, { length: bytes.length });
  const item = decodeStrict(bytes);
  if (!(item instanceof Map)) throw new WireError('wire.wrong-type', 'a MAKE message must be a CBOR map');
  const t = item.get('t');
  if (typeof t !== 'number' || !Number.isInteger(t)) throw new WireError(item.has('t') ? 'wire.wrong-type' : 'wire.missing-field', 'message type field t must be an integer');
  const type = TYPE_OF_NUMBER[t];
  if (type === undefined) throw new WireError('wire.out-of-range', `unknown message type ${t}`);
  if (expected !== undefined && type !== expected) {
    throw new WireError('wire.unexpected-message', `expected ${expected}, got ${type}`, { expected, got: type });
  }
  return build(type, checkMap(SCHEMAS[type], item));
}

export const messageTypeNumber = (t: MakeMessageType): number => TYPE_NUMBER[t];

/** Encodes evidence deterministically (the bytes MAKE carries and binds into its transcript). */
export function encodeEvidence(e: Evidence): Uint8Array {
  const map = new Map<string, unknown>([['p', e.platform], ['d', plain(e.data)]]);
  if (e.auxiliary !== undefined && Object.keys(e.auxiliary).length > 0) {
    map.set('a', new Map(Object.entries(e.auxiliary).map(([k, v]) => [k, plain(v)])));
  }
  checkMap(EVIDENCE_SCHEMA, map);
  const out = encodeCanonical(map);
  if (out.length > LIMITS.maxEvidence) throw new WireError('wire.oversize', `evidence is over ${LIMITS.maxEvidence} bytes`);
  return out;
}

export function decodeEvidence(bytes: Uint8Array): Evidence {
  if (!(bytes instanceof Uint8Array)) throw new WireError('wire.wrong-type', 'evidence must be bytes');
  if (bytes.length > LIMITS.maxEvidence) throw new WireError('wire.oversize', `evidence is over ${LIMITS.maxEvidence} bytes`);
  const f = checkMap(EVIDENCE_SCHEMA, decodeStrict(bytes));
  const ev: Evidence = { platform: f.p as Platform, data: f.d as Uint8Array };
  return f.a === undefined ? ev : { ...ev, auxiliary: f.a as Record<string, Uint8Array> };
}
