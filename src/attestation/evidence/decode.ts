import { fromHex } from '../common/bytes.js';
import { EvidenceParseError } from '../common/errors.js';

/** How evidence is stored in a file (see the corpus README's `encoding`). */
export type EvidenceEncoding = 'auto' | 'raw' | 'hex' | 'base64' | 'json';

/** Members that commonly hold evidence in JSON wrappers (GCP `tdx.quote`, Azure `report`, ...). */
const JSON_CANDIDATES = ['tdx.quote', 'quote', 'report', 'evidence', 'attestation_report', 'token'];

function at(doc: unknown, path: string): unknown {
  let cur = doc;
  for (const k of path.split('.')) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

function bytesOf(v: unknown): Uint8Array | undefined {
  if (Array.isArray(v) && v.length > 0 && v.every((x) => Number.isInteger(x) && x >= 0 && x <= 255)) return Uint8Array.from(v as number[]);
  if (typeof v === 'string') {
    const h = fromHex(v);
    if (h !== undefined && h.length > 0) return h;
    if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(v.trim())) return new Uint8Array(Buffer.from(v.trim(), 'base64'));
  }
  return undefined;
}

const isText = (b: Uint8Array): boolean => b.every((x) => x === 9 || x === 10 || x === 13 || (x >= 0x20 && x < 0x7f));

/**
 * The evidence bytes in a file: raw, ASCII hex (whitespace and `0x` ignored), base64 text, or a JSON
 * member (`jsonField`, dotted; by default the first of a few well-known members) holding base64, hex
 * or an array of byte values. `auto` tries JSON, hex, base64, then raw — binary evidence is never
 * all printable text, so the order cannot misread a binary file.
 */
export function decodeEvidenceFile(file: Uint8Array, encoding: EvidenceEncoding = 'auto', jsonField?: string): Uint8Array {
  const text = () => Buffer.from(file).toString('utf8');
  if (encoding === 'raw') return file;
  if (encoding === 'hex') {
    const b = fromHex(text());
    if (b === undefined) throw new EvidenceParseError('evidence', 'file is not hex');
    return b;
  }
  if (encoding === 'base64') {
    const t = text().replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(t)) throw new EvidenceParseError('evidence', 'file is not base64');
    return new Uint8Array(Buffer.from(t, 'base64'));
  }
  const printable = isText(file);
  const trimmed = printable ? text().trim() : '';
  if (encoding === 'json' || (encoding === 'auto' && printable && trimmed.startsWith('{'))) {
    let doc: unknown;
    try {
      doc = JSON.parse(trimmed);
    } catch (e) {
      throw new EvidenceParseError('evidence', `file is not JSON: ${(e as Error).message}`);
    }
    for (const path of jsonField !== undefined ? [jsonField] : JSON_CANDIDATES) {
      const b = bytesOf(at(doc, path));
      if (b !== undefined) return b;
    }
    throw new EvidenceParseError('evidence', `no evidence in JSON member ${jsonField ?? JSON_CANDIDATES.join(', ')}`);
  }
  if (encoding === 'auto' && printable && trimmed.length > 0) {
    const h = fromHex(trimmed);
    if (h !== undefined) return h;
    const t = trimmed.replace(/\s+/g, '');
    if (/^[A-Za-z0-9+/]+={0,2}$/.test(t)) return new Uint8Array(Buffer.from(t, 'base64'));
  }
  return file;
}
