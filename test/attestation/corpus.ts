import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { VerifyEvidenceInput, VerifyPlatform } from '../../src/attestation/evidence/verify.js';
import { vectorsDir } from '../util/env.js';

/** One entry of `../shared/vectors/expected.json` (the fields the tests use). */
export interface CorpusEntry {
  id: string;
  platform: VerifyPlatform;
  path: string;
  encoding: string;
  evidence_at: { json_field?: string; offset?: number; length?: number } | null;
  files: Record<string, string>;
  expected: 'valid' | 'invalid';
  failing_checks: string[];
  checks: Record<string, boolean>;
  fields: Record<string, unknown> | null;
  parse_error?: string;
  now: string;
  trust_anchor: 'production' | 'test';
}

export const corpus: CorpusEntry[] = JSON.parse(readFileSync(join(vectorsDir, 'expected.json'), 'utf8')) as CorpusEntry[];

export const vec = (rel: string): Uint8Array => new Uint8Array(readFileSync(join(vectorsDir, rel)));
export const vecPath = (rel: string): string => join(vectorsDir, rel);

/** How the entry's evidence is stored, as options of verifyEvidence / the CLI. */
export function encodingOf(e: CorpusEntry): Pick<VerifyEvidenceInput, 'encoding' | 'jsonField'> {
  switch (e.encoding) {
    case 'hex':
      return { encoding: 'hex' };
    case 'base64':
      return { encoding: 'base64' };
    case 'base64-json':
      return { encoding: 'json', jsonField: e.evidence_at?.json_field ?? '' };
    case 'json-byte-array/hcl-wrapped':
      return { encoding: 'json', jsonField: e.evidence_at?.json_field ?? '' };
    default:
      // raw, hcl-wrapped (the SNP verifier finds the report by the HCL magic), json, cbor.
      return { encoding: 'raw' };
  }
}

/** The verifier inputs for an entry: evidence plus the files it lists, at its pinned `now`. */
export function inputOf(e: CorpusEntry): VerifyEvidenceInput {
  const f = e.files;
  const opt = (k: string): Uint8Array | undefined => (f[k] !== undefined && f[k] !== 'embedded' ? vec(f[k]!) : undefined);
  const parts: Record<string, Uint8Array | undefined> = {
    cert: opt('vcek') ?? opt('vlek') ?? opt('cpak'),
    chain: opt('ask_ark_chain') ?? opt('signing_chain'),
    root: opt('pinned_ark') ?? opt('pinned_root'),
    binding: opt('binding_inputs'),
  };
  const defined = Object.fromEntries(Object.entries(parts).filter(([, v]) => v !== undefined)) as Partial<VerifyEvidenceInput>;
  return { platform: e.platform, evidence: vec(e.path), at: new Date(e.now), ...encodingOf(e), ...defined };
}
