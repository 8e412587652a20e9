import * as asn1js from 'asn1js';

/**
 * Small DER readers for the values inside vendor extensions (AMD SPLs and hwID, Intel SGX extension).
 * asn1js does the decoding; these only select the expected type and return undefined otherwise.
 */

function parse(der: Uint8Array): asn1js.AsnType | undefined {
  const r = asn1js.fromBER(der);
  if (r.offset === -1 || r.offset !== der.byteLength) return undefined;
  return r.result;
}

/** A DER INTEGER small enough for a JS number. */
export function derInteger(der: Uint8Array): number | undefined {
  const v = parse(der);
  if (!(v instanceof asn1js.Integer)) return undefined;
  const n = Number(v.toBigInt());
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The contents of a DER OCTET STRING. */
export function derOctets(der: Uint8Array): Uint8Array | undefined {
  const v = parse(der);
  if (!(v instanceof asn1js.OctetString)) return undefined;
  return new Uint8Array(v.valueBlock.valueHexView);
}

/** The text of a DER IA5String (or UTF8String). */
export function derString(der: Uint8Array): string | undefined {
  const v = parse(der);
  if (v instanceof asn1js.IA5String || v instanceof asn1js.Utf8String || v instanceof asn1js.PrintableString) return v.valueBlock.value;
  return undefined;
}

/** A value of an OID-keyed SEQUENCE OF SEQUENCE { OID, value } (Intel's SGX extension), recursively. */
export type OidTree = Map<string, asn1js.AsnType>;

/** Reads `SEQUENCE OF SEQUENCE { OBJECT IDENTIFIER, ANY }` into a map; undefined when not that shape. */
export function oidSequence(v: asn1js.AsnType | Uint8Array): OidTree | undefined {
  const node = v instanceof Uint8Array ? parse(v) : v;
  if (!(node instanceof asn1js.Sequence)) return undefined;
  const out: OidTree = new Map();
  for (const item of node.valueBlock.value) {
    if (!(item instanceof asn1js.Sequence) || item.valueBlock.value.length !== 2) return undefined;
    const [oid, val] = item.valueBlock.value;
    if (!(oid instanceof asn1js.ObjectIdentifier) || val === undefined) return undefined;
    out.set(oid.valueBlock.toString(), val);
  }
  return out;
}

/** Bytes of an OCTET STRING node. */
export function nodeOctets(v: asn1js.AsnType | undefined): Uint8Array | undefined {
  return v instanceof asn1js.OctetString ? new Uint8Array(v.valueBlock.valueHexView) : undefined;
}

/** Number of an INTEGER (or ENUMERATED) node. */
export function nodeInteger(v: asn1js.AsnType | undefined): number | undefined {
  if (v instanceof asn1js.Integer || v instanceof asn1js.Enumerated) {
    const n = Number(v.toBigInt());
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return undefined;
}
