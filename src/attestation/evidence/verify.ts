import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { checkCca } from '../cca/verify.js';
import { VerifierInputError } from '../common/errors.js';
import type { CheckReport } from '../common/report.js';
import { parseCertificates, commonName } from '../common/x509.js';
import { checkSnp } from '../snp/verify.js';
import { checkCollateral, type CollateralInput } from '../tdx/collateral.js';
import { checkTdx } from '../tdx/verify.js';
import { decodeEvidenceFile, type EvidenceEncoding } from './decode.js';

/** What `attestflow evidence verify` checks. */
export type VerifyPlatform = 'snp' | 'tdx' | 'cca' | 'tdx-collateral';
export const VERIFY_PLATFORMS: readonly VerifyPlatform[] = ['snp', 'tdx', 'cca', 'tdx-collateral'];

/** Inputs of {@link verifyEvidence}, as bytes (the CLI reads files; library users pass bytes). */
export interface VerifyEvidenceInput {
  readonly platform: VerifyPlatform;
  readonly evidence: Uint8Array;
  readonly encoding?: EvidenceEncoding;
  readonly jsonField?: string;
  /** SNP: VCEK/VLEK. CCA: the CPAK. */
  readonly cert?: Uint8Array;
  /** SNP: ASK/ASVK + ARK. Collateral: the TCB signing chain. */
  readonly chain?: Uint8Array;
  /** A root to require instead of the pinned vendor roots. */
  readonly root?: Uint8Array;
  /** TDX: signed TCB Info + QE Identity + signing chain. */
  readonly collateral?: CollateralInput;
  /** SNP: teekit's `NONCE=`/`X25519_KEY=` binding inputs. */
  readonly binding?: Uint8Array;
  readonly at?: Date;
}

function parseBinding(b: Uint8Array): { nonce: Uint8Array; key: Uint8Array } {
  const kv = new Map<string, string>();
  for (const line of Buffer.from(b).toString('utf8').split(/\r?\n/)) {
    const i = line.indexOf('=');
    if (i > 0) kv.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  const nonce = kv.get('NONCE');
  const key = kv.get('X25519_KEY');
  if (nonce === undefined || key === undefined) throw new VerifierInputError('binding inputs need NONCE= and X25519_KEY= lines');
  return { nonce: Buffer.from(nonce, 'hex'), key: Buffer.from(key, 'hex') };
}

/** Checks one piece of evidence and reports every check (see {@link CheckReport}). */
export function verifyEvidence(input: VerifyEvidenceInput): CheckReport {
  const at = input.at !== undefined ? { at: input.at } : {};
  const root = input.root !== undefined ? { root: input.root } : {};
  switch (input.platform) {
    case 'snp': {
      if (input.cert === undefined) throw new VerifierInputError('snp needs the VCEK or VLEK certificate (--cert)');
      return checkSnp({
        evidence: decodeEvidenceFile(input.evidence, input.encoding, input.jsonField),
        keyCert: input.cert,
        ...(input.chain !== undefined ? { chain: input.chain } : {}),
        ...root,
        ...at,
        ...(input.binding !== undefined ? { x25519Binding: parseBinding(input.binding) } : {}),
      });
    }
    case 'tdx':
      return checkTdx({ quote: decodeEvidenceFile(input.evidence, input.encoding, input.jsonField), ...root, ...at, ...(input.collateral !== undefined ? { collateral: input.collateral } : {}) });
    case 'cca':
      if (input.cert === undefined) throw new VerifierInputError('cca needs the platform key CPAK (--cert)');
      return checkCca({ token: decodeEvidenceFile(input.evidence, input.encoding ?? 'raw', input.jsonField), cpak: input.cert });
    case 'tdx-collateral':
      if (input.chain === undefined) throw new VerifierInputError('tdx-collateral needs the TCB signing chain (--chain)');
      return checkCollateral({ json: input.evidence, chain: input.chain, ...root, ...at });
  }
}

/**
 * Reads TDX collateral from a directory: every JSON file holding `tcbInfo` (the verifier picks the
 * one for the quote's FMSPC), the one holding `enclaveIdentity`, and the PEM file with the TCB
 * Signing certificate.
 */
export function readCollateralDir(dir: string): CollateralInput {
  const tcbInfo: Uint8Array[] = [];
  let qeIdentity: Uint8Array | undefined;
  let chain: Uint8Array | undefined;
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (!statSync(p).isFile() || statSync(p).size > 1 << 20) continue;
    const b = new Uint8Array(readFileSync(p));
    const t = Buffer.from(b).toString('utf8');
    if (t.includes('-----BEGIN CERTIFICATE-----')) {
      try {
        if (parseCertificates(b).certs.some((c) => (commonName(c.subject) ?? '').includes('TCB Signing'))) chain ??= b;
      } catch {
        /* not a certificate file */
      }
      continue;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(t);
    } catch {
      continue;
    }
    if (typeof doc !== 'object' || doc === null) continue;
    const d = doc as Record<string, unknown>;
    if (d['tcbInfo'] !== undefined) tcbInfo.push(b);
    if (d['enclaveIdentity'] !== undefined) qeIdentity ??= b;
  }
  if (tcbInfo.length === 0 || qeIdentity === undefined || chain === undefined) {
    throw new VerifierInputError(`collateral directory ${dir} needs a tcbInfo JSON, an enclaveIdentity JSON and the TCB signing chain PEM`);
  }
  return { tcbInfo, qeIdentity, chain };
}
