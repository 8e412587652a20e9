import { EvidenceParseError } from '../common/errors.js';

/**
 * The SNP certificate table (GHCB spec, "SNP extended guest request"): entries of a 16-byte GUID,
 * u32 offset and u32 length, ended by an all-zero entry, followed by the DER certificates. Hosts
 * hand it to guests with the report (configfs-tsm `auxblob`).
 */
export const SNP_CERT_GUIDS: Readonly<Record<string, 'vcek' | 'vlek' | 'ask' | 'ark'>> = {
  '63da758d-e664-4564-adc5-f4b93be8accd': 'vcek',
  'a8074bc2-a25a-483e-aae6-39c045a0b8a1': 'vlek',
  '4ab7b379-bbac-4fe4-a02f-05aef327c782': 'ask',
  'c0b406a4-a803-4952-9743-3fb6014cd0ae': 'ark',
};

function guidString(b: Uint8Array): string {
  // GUIDs are stored little-endian in their first three fields.
  const h = (x: Uint8Array) => Buffer.from(x).toString('hex');
  const le = (x: Uint8Array) => h(Uint8Array.from(x).reverse());
  return `${le(b.subarray(0, 4))}-${le(b.subarray(4, 6))}-${le(b.subarray(6, 8))}-${h(b.subarray(8, 10))}-${h(b.subarray(10, 16))}`;
}

/** Certificates of a table by role (unknown GUIDs are kept under their GUID). */
export function parseSnpCertTable(table: Uint8Array): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const dv = new DataView(table.buffer, table.byteOffset, table.byteLength);
  for (let off = 0; ; off += 24) {
    if (off + 24 > table.length) throw new EvidenceParseError('snp', `certificate table truncated at offset ${off}`);
    const guid = table.subarray(off, off + 16);
    const o = dv.getUint32(off + 16, true);
    const l = dv.getUint32(off + 20, true);
    if (guid.every((x) => x === 0)) break;
    if (o + l > table.length || o < off + 24) throw new EvidenceParseError('snp', `certificate table entry at ${off} points outside the table`);
    const g = guidString(guid);
    out.set(SNP_CERT_GUIDS[g] ?? g, table.subarray(o, o + l));
  }
  return out;
}
