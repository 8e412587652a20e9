import { verify as cryptoVerify, type X509Certificate } from 'node:crypto';
import { bytesEqual, fromHex, hex } from '../common/bytes.js';
import { orderChain } from '../common/chain.js';
import { EvidenceParseError, VerifierInputError } from '../common/errors.js';
import { Checks, type CheckReport, type Json } from '../common/report.js';
import { commonName, fingerprint256, parseCertificates, signedBy, validAt } from '../common/x509.js';
import { PINNED_ROOTS } from '../roots.js';
import type { PckInfo } from './pck.js';
import { tdxBodyField, type TdxQuote } from './quote.js';

/**
 * Intel PCS collateral (TCB Info, QE Identity). The signature covers the exact bytes of the
 * `tcbInfo` / `enclaveIdentity` member as served: JSON.parse + re-serialise would change them, so the
 * raw value text is located by scanning the document (strings and nesting aware) — no JSON library
 * exposes source spans, which is why this small scanner is hand-written.
 */
export type CollateralKind = 'tcbInfo' | 'enclaveIdentity';

export interface ParsedCollateral {
  readonly kind: CollateralKind;
  /** The raw bytes of the signed member value. */
  readonly signedBytes: Uint8Array;
  /** The parsed member value. */
  readonly body: Record<string, unknown>;
  /** 64-byte r‖s. */
  readonly signature: Uint8Array;
}

/** End index (exclusive) of the JSON value starting at `i` in `s`, or -1. */
function valueEnd(s: string, i: number): number {
  const open = s[i];
  if (open !== '{' && open !== '[') return -1;
  let depth = 0;
  for (let j = i; j < s.length; j++) {
    const ch = s[j];
    if (ch === '"') {
      for (j++; j < s.length && s[j] !== '"'; j++) if (s[j] === '\\') j++;
      continue;
    }
    if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') {
      depth--;
      if (depth === 0) return j + 1;
    }
  }
  return -1;
}

/** Parses TCB Info or QE Identity JSON; malformed input is an {@link EvidenceParseError}. */
export function parseCollateral(bytes: Uint8Array): ParsedCollateral {
  const text = Buffer.from(bytes).toString('latin1');
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (e) {
    throw new EvidenceParseError('tdx-collateral', `not JSON: ${(e as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new EvidenceParseError('tdx-collateral', 'collateral must be a JSON object');
  const d = doc as Record<string, unknown>;
  const kind: CollateralKind | undefined = 'tcbInfo' in d ? 'tcbInfo' : 'enclaveIdentity' in d ? 'enclaveIdentity' : undefined;
  if (kind === undefined) throw new EvidenceParseError('tdx-collateral', 'neither "tcbInfo" nor "enclaveIdentity" present');
  const body = d[kind];
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new EvidenceParseError('tdx-collateral', `"${kind}" must be an object`);
  const sigHex = d['signature'];
  const signature = typeof sigHex === 'string' ? fromHex(sigHex) : undefined;
  if (signature === undefined || signature.length !== 64) throw new EvidenceParseError('tdx-collateral', '"signature" must be 128 hex digits (r‖s)');
  // Locate the top-level member's raw value: the key at depth 1, then its value's span.
  const m = new RegExp(`^\\s*\\{\\s*"${kind}"\\s*:\\s*`).exec(text);
  let start = -1;
  if (m !== null) start = m[0].length;
  else {
    const k = text.indexOf(`"${kind}"`);
    const colon = k < 0 ? -1 : text.indexOf(':', k);
    if (colon >= 0) start = colon + 1;
    while (start > 0 && /\s/.test(text[start] ?? '')) start++;
  }
  const end = start < 0 ? -1 : valueEnd(text, start);
  if (end < 0) throw new EvidenceParseError('tdx-collateral', `cannot locate the raw "${kind}" value`);
  return { kind, signedBytes: bytes.subarray(start, end), body: body as Record<string, unknown>, signature };
}

export interface CollateralCheckInput {
  /** The TCB Info or QE Identity JSON, exactly as served. */
  readonly json: Uint8Array;
  /** The signing chain (TCB Signing certificate and root, any order, PEM or DER). */
  readonly chain: Uint8Array;
  /** A root to require instead of the pinned Intel SGX Root CA (compared byte for byte). */
  readonly root?: Uint8Array;
  readonly at?: Date;
}

export interface CollateralCheckResult extends CheckReport {
  readonly parsed?: ParsedCollateral;
}

/** The collateral checks of the corpus README: parse, signature, signer_issued_by_pinned_root, chain_root_matches_pinned. */
export function checkCollateral(input: CollateralCheckInput): CollateralCheckResult {
  const c = new Checks();
  const at = input.at ?? new Date();
  let p: ParsedCollateral;
  try {
    p = parseCollateral(input.json);
  } catch (e) {
    if (!(e instanceof EvidenceParseError)) throw e;
    const msg = e.message.replace(/^tdx-collateral: /, '');
    c.set('parse', false, msg);
    return c.report('tdx-collateral', null, msg);
  }
  c.set('parse', true);
  const chain = orderChain(parseCertificates(input.chain).certs);
  const signer = chain[0];
  const chainRoot = chain.length > 1 ? chain[chain.length - 1] : undefined;
  if (signer === undefined) throw new VerifierInputError('tdx-collateral: empty signing chain');
  let sigOk = false;
  try {
    sigOk = cryptoVerify('sha256', p.signedBytes, { key: signer.publicKey, dsaEncoding: 'ieee-p1363' }, p.signature);
  } catch {
    sigOk = false;
  }
  c.set('signature', sigOk, `${p.kind} signature does not verify with ${commonName(signer.subject)}`);
  let pinnedRoot: X509Certificate | undefined;
  if (input.root !== undefined) pinnedRoot = parseCertificates(input.root).certs[0];
  else if (chainRoot !== undefined && fingerprint256(chainRoot) === PINNED_ROOTS['intel-sgx-root-ca']) pinnedRoot = chainRoot;
  c.set(
    'signer_issued_by_pinned_root',
    pinnedRoot !== undefined && signedBy(signer, pinnedRoot.publicKey) && validAt(signer, at),
    pinnedRoot === undefined ? 'no pinned root' : validAt(signer, at) ? 'signer is not issued by the pinned root' : `signer is not valid at ${at.toISOString()}`,
  );
  c.set(
    'chain_root_matches_pinned',
    chainRoot !== undefined && pinnedRoot !== undefined && bytesEqual(new Uint8Array(chainRoot.raw), new Uint8Array(pinnedRoot.raw)) && validAt(chainRoot, at),
    'the chain root is not the pinned root',
  );
  const b = p.body;
  const str = (k: string): string | null => (typeof b[k] === 'string' ? (b[k] as string) : null);
  const num = (k: string): number | null => (typeof b[k] === 'number' ? (b[k] as number) : null);
  const fields: Record<string, Json> = {
    kind: p.kind,
    id: str('id'),
    version: num('version'),
    fmspc: str('fmspc')?.toLowerCase() ?? null,
    tcb_evaluation_data_number: num('tcbEvaluationDataNumber'),
    issue_date: str('issueDate'),
    next_update: str('nextUpdate'),
    signed_text_length: p.signedBytes.length,
    signature: hex(p.signature),
    signer_cn: commonName(signer.subject),
  };
  return { ...c.report('tdx-collateral', fields), parsed: p };
}

/** Collateral for appraising a quote: TCB Info, QE Identity, and their signing chain. */
export interface CollateralInput {
  /** The TCB Info, or several (e.g. one per FMSPC): the one for the quote's FMSPC is used. */
  readonly tcbInfo: Uint8Array | readonly Uint8Array[];
  readonly qeIdentity: Uint8Array;
  readonly chain: Uint8Array;
}

export interface CollateralResult {
  readonly checks: Readonly<Record<string, boolean>>;
  readonly reasons: Readonly<Record<string, string>>;
  /** Status of the matching TDX TCB level (e.g. `UpToDate`, `OutOfDate`), null when none matched. */
  readonly tcbStatus: string | null;
  /** Status of the QE's TCB level, null when none matched. */
  readonly qeTcbStatus: string | null;
  /** Status of the TDX module's TCB level (TDX module version > 0), null otherwise. */
  readonly tdxModuleTcbStatus: string | null;
  readonly advisoryIds: readonly string[];
}

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const svns = (v: unknown): number[] => (Array.isArray(v) ? v.map((x) => (isRec(x) && typeof x['svn'] === 'number' ? x['svn'] : Number.POSITIVE_INFINITY)) : []);

/**
 * The TDX TCB level of a platform (Intel's TCB level matching for TDX): the first level, in the
 * order given, whose SGX components and PCESVN are ≤ the PCK certificate's and whose TDX components
 * are ≤ TEE_TCB_SVN (from index 2 when the TDX module major version, byte 1, is non-zero).
 */
export function matchTdxTcbLevel(tcbInfo: Rec, pck: PckInfo, teeTcbSvn: Uint8Array): Rec | undefined {
  const levels = Array.isArray(tcbInfo['tcbLevels']) ? tcbInfo['tcbLevels'] : [];
  const from = teeTcbSvn[1]! > 0 ? 2 : 0;
  for (const lvl of levels) {
    if (!isRec(lvl) || !isRec(lvl['tcb'])) continue;
    const t = lvl['tcb'];
    const sgx = svns(t['sgxtcbcomponents']);
    const tdx = svns(t['tdxtcbcomponents']);
    if (sgx.length !== 16 || tdx.length !== 16 || typeof t['pcesvn'] !== 'number') continue;
    if (!sgx.every((s, i) => pck.sgxTcbComponents[i]! >= s) || pck.pceSvn < t['pcesvn']) continue;
    let ok = true;
    for (let i = from; i < 16; i++) if (teeTcbSvn[i]! < tdx[i]!) ok = false;
    if (ok) return lvl;
  }
  return undefined;
}

/** True when every byte of `val` masked with hex `maskHex` equals hex `wantHex`. */
function maskedEqual(val: Uint8Array, wantHex: unknown, maskHex: unknown): boolean {
  const want = typeof wantHex === 'string' ? fromHex(wantHex) : undefined;
  const mask = typeof maskHex === 'string' ? fromHex(maskHex) : undefined;
  if (want === undefined || mask === undefined || want.length !== val.length || mask.length !== val.length) return false;
  return val.every((x, i) => (x & mask[i]!) === want[i]);
}

/**
 * The TDX module check of TCB Info v3: MRSIGNERSEAM and SEAM_ATTRIBUTES must match `tdxModule`;
 * for a module version (TEE_TCB_SVN byte 1) above 0, the identity `TDX_<version>` of
 * `tdxModuleIdentities` must match too and its TCB levels (by ISVSVN = byte 0) give the module's status.
 */
export function tdxModuleStatus(tcbInfo: Rec, q: TdxQuote): { ok: boolean; status: string | null; reason: string } {
  const mrsignerseam = tdxBodyField(q, 'mrsignerseam', 48);
  const seamAttributes = tdxBodyField(q, 'seamAttributes', 8);
  const mod = tcbInfo['tdxModule'];
  if (!isRec(mod)) return { ok: false, status: null, reason: 'TCB Info has no tdxModule' };
  const matches = (m: Rec): boolean => {
    const signer = typeof m['mrsigner'] === 'string' ? fromHex(m['mrsigner']) : undefined;
    return signer !== undefined && bytesEqual(signer, mrsignerseam) && maskedEqual(seamAttributes, m['attributes'], m['attributesMask']);
  };
  if (!matches(mod)) return { ok: false, status: null, reason: 'MRSIGNERSEAM or SEAM_ATTRIBUTES differ from the TCB Info tdxModule' };
  const svn = tdxBodyField(q, 'teeTcbSvn', 16);
  const version = svn[1]!;
  if (version === 0) return { ok: true, status: null, reason: '' };
  const id = `TDX_${version.toString(16).toUpperCase().padStart(2, '0')}`;
  const ids = Array.isArray(tcbInfo['tdxModuleIdentities']) ? tcbInfo['tdxModuleIdentities'] : [];
  const ident = ids.find((x): x is Rec => isRec(x) && typeof x['id'] === 'string' && x['id'].toUpperCase() === id);
  if (ident === undefined) return { ok: false, status: null, reason: `no TDX module identity ${id} in the TCB Info` };
  if (!matches(ident)) return { ok: false, status: null, reason: `the TDX module does not match identity ${id}` };
  for (const lvl of Array.isArray(ident['tcbLevels']) ? ident['tcbLevels'] : []) {
    if (isRec(lvl) && isRec(lvl['tcb']) && typeof lvl['tcb']['isvsvn'] === 'number' && svn[0]! >= lvl['tcb']['isvsvn']) {
      const status = typeof lvl['tcbStatus'] === 'string' ? lvl['tcbStatus'] : null;
      return { ok: status !== null && status !== 'Revoked', status, reason: `TDX module ${id} TCB status ${status}` };
    }
  }
  return { ok: false, status: null, reason: `the TDX module ISVSVN ${svn[0]} is below every level of ${id}` };
}

/**
 * Verifies TCB Info and QE Identity (signature and chain, as {@link checkCollateral}), matches them
 * to the quote (FMSPC; QE MRSIGNER, ISVPRODID, masked MISCSELECT/ATTRIBUTES) and computes the TCB
 * status of the platform and of the QE. Collateral freshness (nextUpdate) is left to the caller.
 */
export function appraiseCollateral(q: TdxQuote, pck: PckInfo | undefined, input: CollateralInput, opts: { at: Date; root?: Uint8Array }): CollateralResult {
  const c = new Checks();
  const base = { chain: input.chain, at: opts.at, ...(opts.root !== undefined ? { root: opts.root } : {}) };
  const candidates = input.tcbInfo instanceof Uint8Array ? [input.tcbInfo] : [...input.tcbInfo];
  if (candidates.length === 0) throw new VerifierInputError('tdx: no TCB Info given');
  const results = candidates.map((json) => checkCollateral({ json, ...base }));
  const want = pck === undefined ? undefined : hex(pck.fmspc);
  const ti = results.find((r) => String(r.parsed?.body['fmspc'] ?? '').toLowerCase() === want) ?? results[0]!;
  const qi = checkCollateral({ json: input.qeIdentity, ...base });
  const tiOk = c.set('collateral_tcb_info_signature', ti.verdict === 'valid' && ti.parsed?.kind === 'tcbInfo', `TCB Info: ${ti.failingChecks.join(', ') || 'not a tcbInfo document'}`);
  const qiOk = c.set('collateral_qe_identity_signature', qi.verdict === 'valid' && qi.parsed?.kind === 'enclaveIdentity', `QE Identity: ${qi.failingChecks.join(', ') || 'not an enclaveIdentity document'}`);
  const tcbInfo = ti.parsed?.body ?? {};
  const fmspcOk = tiOk && pck !== undefined && String(tcbInfo['fmspc'] ?? '').toLowerCase() === hex(pck.fmspc) && tcbInfo['id'] === 'TDX';
  c.set('collateral_tcb_info_fmspc', fmspcOk, 'TCB Info is not the TDX TCB Info of the quote\'s FMSPC');
  let tcbStatus: string | null = null;
  let advisoryIds: string[] = [];
  if (fmspcOk && pck !== undefined) {
    const lvl = matchTdxTcbLevel(tcbInfo, pck, tdxBodyField(q, 'teeTcbSvn', 16));
    if (lvl !== undefined) {
      tcbStatus = typeof lvl['tcbStatus'] === 'string' ? lvl['tcbStatus'] : null;
      advisoryIds = Array.isArray(lvl['advisoryIDs']) ? lvl['advisoryIDs'].filter((x): x is string => typeof x === 'string') : [];
    }
  }
  c.set('collateral_tcb_level', tcbStatus !== null && tcbStatus !== 'Revoked', tcbStatus === 'Revoked' ? 'platform TCB is revoked' : 'no TCB level matches the platform');
  const mod = fmspcOk ? tdxModuleStatus(tcbInfo, q) : { ok: false, status: null, reason: 'no TCB Info for this quote' };
  c.set('collateral_tdx_module', mod.ok, mod.reason);
  // QE report body: MISCSELECT @16, ATTRIBUTES @48, MRSIGNER @128, ISVPRODID @256, ISVSVN @258.
  const qe = qi.parsed?.body ?? {};
  const r = q.qeReport;
  const dv = new DataView(r.buffer, r.byteOffset, r.byteLength);
  const masked = (val: Uint8Array, k: string, mk: string): boolean => maskedEqual(val, qe[k], qe[mk]);
  const mrsigner = typeof qe['mrsigner'] === 'string' ? fromHex(qe['mrsigner']) : undefined;
  const qeMatch =
    qiOk &&
    qe['id'] === 'TD_QE' &&
    mrsigner !== undefined &&
    bytesEqual(mrsigner, r.subarray(128, 160)) &&
    qe['isvprodid'] === dv.getUint16(256, true) &&
    masked(r.subarray(16, 20), 'miscselect', 'miscselectMask') &&
    masked(r.subarray(48, 64), 'attributes', 'attributesMask');
  c.set('collateral_qe_identity_match', qeMatch, 'the QE report does not match the QE Identity');
  let qeTcbStatus: string | null = null;
  if (qeMatch && Array.isArray(qe['tcbLevels'])) {
    const isvsvn = dv.getUint16(258, true);
    for (const lvl of qe['tcbLevels']) {
      if (isRec(lvl) && isRec(lvl['tcb']) && typeof lvl['tcb']['isvsvn'] === 'number' && isvsvn >= lvl['tcb']['isvsvn']) {
        qeTcbStatus = typeof lvl['tcbStatus'] === 'string' ? lvl['tcbStatus'] : null;
        break;
      }
    }
  }
  c.set('collateral_qe_tcb_level', qeTcbStatus !== null && qeTcbStatus !== 'Revoked', 'no QE TCB level matches the QE');
  return { checks: c.results, reasons: c.reasons, tcbStatus, qeTcbStatus, tdxModuleTcbStatus: mod.status, advisoryIds };
}
