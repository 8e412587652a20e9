import { existsSync, readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { VerifierInputError } from '../../attestation/common/errors.js';
import type { EvidenceEncoding } from '../../attestation/evidence/decode.js';
import { readCollateralDir, verifyEvidence, VERIFY_PLATFORMS, type VerifyPlatform } from '../../attestation/evidence/verify.js';
import type { CliCommand } from '../command.js';

interface VerifyOptions {
  platform?: string;
  cert?: string;
  chain?: string;
  root?: string;
  collateral?: string;
  at?: string;
  encoding?: string;
  jsonField?: string;
  binding?: string;
  json?: boolean;
}

const ENCODINGS: readonly EvidenceEncoding[] = ['auto', 'raw', 'hex', 'base64', 'json'];

function readFile(path: string, what: string): Uint8Array {
  if (!existsSync(path) || !statSync(path).isFile()) throw new UsageError(`${what}: no such file: ${path}`);
  return new Uint8Array(readFileSync(path));
}

/** Parses the CLI options into verifier inputs; every mistake is a UsageError (exit 2). */
function inputs(file: string, o: VerifyOptions) {
  if (o.platform === undefined) throw new UsageError(`--platform is required (${VERIFY_PLATFORMS.join('|')})`);
  if (!VERIFY_PLATFORMS.includes(o.platform as VerifyPlatform)) throw new UsageError(`--platform must be one of ${VERIFY_PLATFORMS.join('|')}, got '${o.platform}'`);
  const platform = o.platform as VerifyPlatform;
  if (o.encoding !== undefined && !ENCODINGS.includes(o.encoding as EvidenceEncoding)) throw new UsageError(`--encoding must be one of ${ENCODINGS.join('|')}`);
  let at: Date | undefined;
  if (o.at !== undefined) {
    at = new Date(o.at);
    if (Number.isNaN(at.getTime())) throw new UsageError(`--at: not a date: '${o.at}' (use ISO 8601, e.g. 2025-03-01T00:00:00Z)`);
  }
  if ((platform === 'snp' || platform === 'cca') && o.cert === undefined) throw new UsageError(`--platform ${platform} needs --cert (${platform === 'snp' ? 'the VCEK or VLEK' : 'the CPAK'})`);
  if (platform === 'tdx-collateral' && o.chain === undefined) throw new UsageError('--platform tdx-collateral needs --chain (the TCB signing chain)');
  if (o.collateral !== undefined && platform !== 'tdx') throw new UsageError('--collateral applies to --platform tdx only');
  if (o.collateral !== undefined && (!existsSync(o.collateral) || !statSync(o.collateral).isDirectory())) throw new UsageError(`--collateral: no such directory: ${o.collateral}`);
  const evidence = readFile(file, 'evidence');
  return {
    platform,
    evidence,
    ...(o.encoding !== undefined ? { encoding: o.encoding as EvidenceEncoding } : {}),
    ...(o.jsonField !== undefined ? { jsonField: o.jsonField } : {}),
    ...(o.cert !== undefined ? { cert: readFile(o.cert, '--cert') } : {}),
    ...(o.chain !== undefined ? { chain: readFile(o.chain, '--chain') } : {}),
    ...(o.root !== undefined ? { root: readFile(o.root, '--root') } : {}),
    ...(o.binding !== undefined ? { binding: readFile(o.binding, '--binding') } : {}),
    ...(at !== undefined ? { at } : {}),
  };
}

/** `attestflow evidence verify`: checks real TEE evidence and prints every check. */
export const evidenceCommand: CliCommand = {
  register(program: Command): void {
    const evidence = program.command('evidence').description('work with TEE attestation evidence (SEV-SNP, TDX, CCA)');
    evidence
      .command('verify')
      .description('verify SNP reports, TDX quotes, TDX collateral or CCA tokens; exit 0 valid, 1 invalid, 2 usage')
      .argument('<file>', 'the evidence (raw, hex, base64, or JSON holding it; Azure HCL reports are unwrapped)')
      .option('--platform <platform>', `one of ${VERIFY_PLATFORMS.join('|')}`)
      .option('--cert <file>', 'SNP: VCEK or VLEK (PEM/DER; extra certificates are the chain). CCA: the CPAK (PEM, JWK or trust-anchor JSON)')
      .option('--chain <file>', 'SNP: ASK/ASVK then ARK. tdx-collateral: the TCB signing chain')
      .option('--root <file>', 'require this root certificate instead of the pinned vendor roots')
      .option('--collateral <dir>', 'TDX: directory with TCB Info, QE Identity and their signing chain; adds the TCB status')
      .option('--at <date>', 'check certificate validity at this time (ISO 8601; default now)')
      .option('--encoding <encoding>', `how the file holds the evidence: ${ENCODINGS.join('|')} (default auto)`)
      .option('--json-field <path>', 'dotted JSON member holding the evidence (e.g. tdx.quote)')
      .option('--binding <file>', 'SNP: NONCE=/X25519_KEY= file; checks report_data = SHA-512(nonce ‖ key)')
      .option('--json', 'print {verdict, checks, failing_checks, fields} as JSON')
      .action((file: string, o: VerifyOptions) => {
        const input = inputs(file, o);
        let r;
        try {
          const collateral = o.collateral !== undefined ? readCollateralDir(o.collateral) : undefined;
          r = verifyEvidence({ ...input, ...(collateral !== undefined ? { collateral } : {}) });
        } catch (e) {
          // Unreadable certificates, keys or collateral given on the command line: a usage error.
          if (e instanceof VerifierInputError) throw new UsageError(e.message);
          throw e;
        }
        if (o.json === true) {
          const out = {
            platform: r.platform,
            verdict: r.verdict,
            checks: r.checks,
            failing_checks: r.failingChecks,
            fields: r.fields,
            ...(r.parseError !== undefined ? { parse_error: r.parseError } : {}),
            reasons: r.reasons,
          };
          process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        } else {
          for (const [k, v] of Object.entries(r.checks)) process.stdout.write(`${v ? 'ok  ' : 'FAIL'} ${k}${v ? '' : `: ${r.reasons[k] ?? ''}`}\n`);
          process.stdout.write(`${r.verdict}\n`);
        }
        if (r.verdict !== 'valid') {
          process.stderr.write(`attestflow: evidence invalid: failing check(s): ${r.failingChecks.join(', ')}\n`);
          process.exitCode = 1;
        }
      });
  },
};
