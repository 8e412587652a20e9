import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cliBin, runCli } from '../util/cli.js';
import { corpus, vecPath, type CorpusEntry } from './corpus.js';

const bin = cliBin;

/** The CLI arguments that verify a corpus entry, built from its `files`, encoding and `now`. */
function argsOf(e: CorpusEntry): string[] {
  const a = ['evidence', 'verify', vecPath(e.path), '--platform', e.platform, '--at', e.now, '--json'];
  const f = e.files;
  const cert = f['vcek'] ?? f['vlek'] ?? f['cpak'];
  if (cert !== undefined) a.push('--cert', vecPath(cert));
  const chain = f['ask_ark_chain'] ?? f['signing_chain'];
  if (chain !== undefined) a.push('--chain', vecPath(chain));
  const root = f['pinned_ark'] ?? f['pinned_root'];
  if (root !== undefined) a.push('--root', vecPath(root));
  if (f['binding_inputs'] !== undefined) a.push('--binding', vecPath(f['binding_inputs']));
  // No --encoding: the CLI must recognise hex, base64, JSON wrappers and HCL reports by itself.
  return a;
}

const run = (args: string[]) => runCli(...args);

describe('attestflow evidence verify over the whole corpus', () => {
  // Started up front, two at a time (the machine has two cores); each test awaits its own run.
  const results = new Map<string, Promise<Awaited<ReturnType<typeof run>>>>();
  const lanes: Promise<unknown>[] = [Promise.resolve(), Promise.resolve()];
  corpus.forEach((e, i) => {
    const p = lanes[i % 2]!.then(() => run(argsOf(e)));
    lanes[i % 2] = p;
    results.set(e.id, p);
  });

  it.each(corpus.map((e) => [e.id, e] as const))('%s', async (_id, e) => {
    const r = await results.get(e.id)!;
    expect(r.status, r.stderr).toBe(e.expected === 'valid' ? 0 : 1);
    const out = JSON.parse(r.stdout) as { verdict: string; checks: Record<string, boolean>; failing_checks: string[]; fields: unknown };
    expect(out.verdict).toBe(e.expected);
    expect(out.checks).toEqual(e.checks);
    expect(out.failing_checks).toEqual(e.failing_checks);
    expect(out.fields).toEqual(e.fields);
    if (e.expected === 'invalid') expect(r.stderr).toContain(`failing check(s): ${e.failing_checks.join(', ')}`);
  });
});

describe('attestflow evidence verify: usage errors exit 2', () => {
  const snp = corpus.find((e) => e.id === 'snp-gosevguest-milan-v2')!;
  const cases: [string, string[]][] = [
    ['no --platform', ['evidence', 'verify', vecPath(snp.path)]],
    ['unknown platform', ['evidence', 'verify', vecPath(snp.path), '--platform', 'sgx']],
    ['snp without --cert', ['evidence', 'verify', vecPath(snp.path), '--platform', 'snp']],
    ['missing evidence file', ['evidence', 'verify', '/nonexistent/report.bin', '--platform', 'tdx']],
    ['bad --at', ['evidence', 'verify', vecPath(snp.path), '--platform', 'tdx', '--at', 'yesterday']],
    ['unknown option', ['evidence', 'verify', vecPath(snp.path), '--platform', 'tdx', '--frobnicate']],
    ['collateral for snp', ['evidence', 'verify', vecPath(snp.path), '--platform', 'snp', '--cert', vecPath(snp.files['vcek']!), '--collateral', '/tmp']],
  ];
  it.each(cases)('%s', (_name, args) => {
    const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.length).toBeGreaterThan(0);
  });

  it('without --at, certificates are checked now: an expired VLEK fails its chain check', () => {
    const e = corpus.find((x) => x.id === 'snp-coco-milan-v3-vlek')!;
    const args = argsOf(e).filter((_, i, a) => a[i] !== '--at' && a[i - 1] !== '--at');
    const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout).failing_checks).toEqual(['key_cert_signed_by_ask']);
  });

  it('a certificate file that holds no certificate is a usage error', () => {
    const r = spawnSync(process.execPath, [bin, 'evidence', 'verify', vecPath(snp.path), '--platform', 'snp', '--cert', vecPath('snp/teekit-qvl/sev-gcp-x25519-bound.txt')], { encoding: 'utf8' });
    expect(r.status).toBe(2);
  });

  it('--collateral adds the verified TCB status (quote with DEBUG, its FMSPC picked from the directory)', () => {
    const e = corpus.find((x) => x.id === 'tdx-coco-quote4-debug')!;
    const r = spawnSync(process.execPath, [bin, ...argsOf(e), '--collateral', vecPath('tdx/go-tdx-guest')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { checks: Record<string, boolean>; fields: Record<string, unknown> };
    expect(out.checks['collateral_tcb_info_signature']).toBe(true);
    expect(out.checks['collateral_qe_identity_match']).toBe(true);
    expect(typeof out.fields['tcb_status']).toBe('string');
    const missing = spawnSync(process.execPath, [bin, ...argsOf(e), '--collateral', vecPath('cca/tf-m-tools')], { encoding: 'utf8' });
    expect(missing.status).toBe(2);
  });

  it('Azure IMDS vcek.pem (VCEK, ASK, ARK in one file) needs no --chain; the ARK is checked against the pinned Milan root', () => {
    const r = spawnSync(
      process.execPath,
      [bin, 'evidence', 'verify', vecPath('snp/coco-trustee/az-snp-vtpm/hcl-report.bin'), '--platform', 'snp', '--cert', vecPath('snp/coco-trustee/az-snp-vtpm/vcek.pem'), '--at', '2025-03-01T00:00:00Z', '--json'],
      { encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).checks).toMatchObject({ ark_matches_pinned: true, hcl_runtime_claims_binding: true });
  });

  it('human output names the failing check', () => {
    const e = corpus.find((x) => x.id === 'snp-mut-sig-r-corrupted')!;
    const r = spawnSync(process.execPath, [bin, ...argsOf(e).filter((a) => a !== '--json')], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/FAIL report_signature/);
    expect(r.stdout.trim().endsWith('invalid')).toBe(true);
  });
});
