/**
 * A tiny schema for CBOR maps with text keys: exactly the listed fields, each with a type and
 * bounds. Hand-written because it is ~80 lines and the error codes must be ours, per field.
 */
import { WireError } from './errors.js';

export type FieldSpec =
  | { readonly kind: 'bytes'; readonly length?: number; readonly max?: number }
  | { readonly kind: 'text'; readonly max: number; readonly pattern?: RegExp; readonly oneOf?: readonly string[] }
  | { readonly kind: 'uint'; readonly min?: number; readonly max: number }
  | { readonly kind: 'bytesMap'; readonly minEntries: number; readonly maxEntries: number; readonly keyMax: number; readonly valueMax: number };

export interface MapSchema {
  readonly name: string;
  readonly fields: Readonly<Record<string, FieldSpec>>;
  readonly optional?: readonly string[];
}

const textBytes = (s: string): number => Buffer.byteLength(s, 'utf8');

function checkField(schema: MapSchema, key: string, spec: FieldSpec, v: unknown): unknown {
  const where = { message: schema.name, field: key };
  const wrong = (want: string) => new WireError('wire.wrong-type', `${schema.name}.${key} must be ${want}`, where);
  switch (spec.kind) {
    case 'bytes': {
      if (!(v instanceof Uint8Array)) throw wrong('a byte string');
      if (spec.length !== undefined && v.length !== spec.length) {
        if (v.length > spec.length) throw new WireError('wire.oversize', `${schema.name}.${key} must be ${spec.length} bytes`, { ...where, length: v.length });
        throw new WireError('wire.bad-length', `${schema.name}.${key} must be ${spec.length} bytes`, { ...where, length: v.length });
      }
      if (spec.max !== undefined && v.length > spec.max) {
        throw new WireError('wire.oversize', `${schema.name}.${key} is over ${spec.max} bytes`, { ...where, length: v.length });
      }
      return v;
    }
    case 'text': {
      if (typeof v !== 'string') throw wrong('a text string');
      if (textBytes(v) > spec.max) throw new WireError('wire.oversize', `${schema.name}.${key} is over ${spec.max} bytes`, where);
      if (spec.oneOf !== undefined && !spec.oneOf.includes(v)) throw new WireError('wire.out-of-range', `${schema.name}.${key} is not one of ${spec.oneOf.join(', ')}`, where);
      if (spec.pattern !== undefined && !spec.pattern.test(v)) throw new WireError('wire.out-of-range', `${schema.name}.${key} has characters outside ${spec.pattern}`, where);
      return v;
    }
    case 'uint': {
      if (typeof v !== 'number' || !Number.isInteger(v)) throw wrong('an integer');
      if (v < (spec.min ?? 0) || v > spec.max) throw new WireError('wire.out-of-range', `${schema.name}.${key} must be in ${spec.min ?? 0}..${spec.max}`, { ...where, value: v });
      return v;
    }
    case 'bytesMap': {
      if (!(v instanceof Map)) throw wrong('a map');
      if (v.size < spec.minEntries) throw new WireError('wire.out-of-range', `${schema.name}.${key} needs at least ${spec.minEntries} entries (omit it instead)`, where);
      if (v.size > spec.maxEntries) throw new WireError('wire.oversize', `${schema.name}.${key} has over ${spec.maxEntries} entries`, where);
      const out: Record<string, Uint8Array> = Object.create(null) as Record<string, Uint8Array>;
      for (const [k, x] of v) {
        if (typeof k !== 'string') throw wrong('a map with text keys');
        if (textBytes(k) > spec.keyMax) throw new WireError('wire.oversize', `${schema.name}.${key} has a key over ${spec.keyMax} bytes`, where);
        if (!(x instanceof Uint8Array)) throw wrong('a map of byte strings');
        if (x.length > spec.valueMax) throw new WireError('wire.oversize', `${schema.name}.${key}.${k} is over ${spec.valueMax} bytes`, where);
        out[k] = x;
      }
      return out;
    }
  }
}

/** Validates a decoded item against the schema; returns the fields as a plain record. */
export function checkMap(schema: MapSchema, item: unknown): Record<string, unknown> {
  if (!(item instanceof Map)) throw new WireError('wire.wrong-type', `${schema.name} must be a CBOR map`, { message: schema.name });
  const out: Record<string, unknown> = {};
  for (const k of item.keys()) {
    if (typeof k !== 'string' || !Object.hasOwn(schema.fields, k)) {
      throw new WireError('wire.unknown-field', `${schema.name} has an unknown field ${JSON.stringify(typeof k === 'string' ? k : String(k))}`, { message: schema.name });
    }
  }
  for (const [k, spec] of Object.entries(schema.fields)) {
    if (!item.has(k)) {
      if (schema.optional?.includes(k)) continue;
      throw new WireError('wire.missing-field', `${schema.name} lacks field ${k}`, { message: schema.name, field: k });
    }
    out[k] = checkField(schema, k, spec, item.get(k));
  }
  return out;
}
