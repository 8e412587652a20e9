import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CompiledPolicy } from '../../src/policy/compile.js';
import { signApproval } from '../../src/policy/update.js';
import { repoRoot } from '../util/env.js';

const bin = join(repoRoot, 'bin', 'attestflow.js');
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
const demo = join(repoRoot, 'examples', 'demo.yaml');
const demoText = readFileSync(demo, 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'af-policy-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('attestflow policy', () => {
  it('check: a clean policy exits 0 with a summary', () => {
    const r = run('policy', 'check', demo);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${demo}: ok: workflow clinical-pipeline version 1, 3 components, 3 edges, 2 secrets\n`);
  });

  it('check: every problem at once, file:line:column, exit 1', () => {
    const bad = file(
      'bad.yaml',
      demoText
        .replace('to: analyze, protocol: tcp', 'to: analyse, protocol: tcp')
        .replace('address: 10.77.0.3', 'address: 10.77.0.3\n    colour: red')
        .replace('releaseTo: [analyze]\n  # The aud', 'releaseTo: []\n  # The aud'),
    );
    const r = run('policy', 'check', bad);
    expect(r.status).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toEqual([
      `${bad}:47:5: error [unknown-field]: unknown field 'colour' in component 'report' (allowed: name, owner, platform, measurements, role, minTcb, acceptedTcbStatuses, allowDebug, signingKeys, address)`,
      `${bad}:50:25: error [unknown-component]: edge to 'analyse': no component has that name (components: analyze, ingest, report); did you mean 'analyze'?`,
      `${bad}:58:16: error [released-to-nobody]: secret 'records-key' is released to nobody: name at least one component in releaseTo, or remove the secret`,
      `${bad}: 3 problem(s)`,
    ]);
    const j = run('policy', 'check', bad, '--json');
    expect(j.status).toBe(1);
    expect((JSON.parse(j.stdout) as { problems: unknown[] }).problems).toHaveLength(3);
  });

  it('check --previous: a version that does not increase is a problem', () => {
    const r = run('policy', 'check', demo, '--previous', demo);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/:7:12: error \[version-not-increasing\]: version 1 does not increase the version in force \(1\)/);
    const v2 = file('v2.yaml', demoText.replace('  version: 1', '  version: 2'));
    expect(run('policy', 'check', v2, '--previous', demo).status).toBe(0);
    expect(run('policy', 'check', v2, '--previous-version', '2').status).toBe(1);
    expect(run('policy', 'check', v2, '--previous-version', 'two').status).toBe(2);
  });

  it('digest: the same for a reformatted file, different after a change; invalid policy exits 1', () => {
    const d = run('policy', 'digest', demo);
    expect(d.status).toBe(0);
    expect(d.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    const reformatted = file(
      'reformatted.yaml',
      `# same meaning, other writing\n${demoText
        .replace(/^#.*\n/gm, '')
        .replace('  name: clinical-pipeline\n  version: 1', '  version: 1   # first\n  name: "clinical-pipeline"')
        .replace('rekeyIntervalSeconds: 60', "rekeyIntervalSeconds: '60'")}`,
    );
    expect(run('policy', 'digest', reformatted).stdout).toBe(d.stdout);
    const changed = file('changed.yaml', demoText.replace('port: 7002', 'port: 7004'));
    expect(run('policy', 'digest', changed).stdout).not.toBe(d.stdout);
    const bad = run('policy', 'digest', file('bad2.yaml', demoText.replace('port: 7002', 'port: nope')));
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/\[policy\.invalid\].*\n.*bad2\.yaml:\d+:\d+: error \[wrong-type\]/);
  });

  it('plan: JSON for one component; unknown component exits 1; missing file exits 2', () => {
    const r = run('policy', 'plan', demo, '--component', 'analyze');
    expect(r.status).toBe(0);
    const plan = JSON.parse(r.stdout) as { component: string; peers: string[] };
    expect(plan.component).toBe('analyze');
    expect(plan.peers).toEqual(['ingest', 'report']);
    expect(run('policy', 'plan', demo, '--component', 'nobody').status).toBe(1);
    expect(run('policy', 'check', join(dir, 'none.yaml')).status).toBe(2);
  });

  it('approve + verify-update: activates with all owners, refuses missing approvals and rollback, names revocations', () => {
    const keyFile = (o: string) => file(`${o}.key`, createHash('sha256').update(`attestflow demo owner ${o}`).digest('hex'));
    const v2 = file('v2u.yaml', demoText.replace('  version: 1', '  version: 2').replace('port: 7002', 'port: 7012').replace(/ {2}- \{ from: ingest, to: report.*\n/, ''));
    // Ed25519 is deterministic: the CLI's approval equals the library's, so one spawn checks the
    // command and the rest are signed in-process (each spawn costs a second on a loaded machine).
    const sign = (policy: string, o: string) => `${JSON.stringify(signApproval(o, Buffer.from(readFileSync(keyFile(o), 'utf8'), 'hex'), CompiledPolicy.fromText(readFileSync(policy, 'utf8'))))}\n`;
    const viaCli = run('policy', 'approve', v2, '--owner', 'lab', '--key', keyFile('lab'));
    expect(viaCli.status).toBe(0);
    expect(viaCli.stdout).toBe(sign(v2, 'lab'));
    const all = file('all.ndjson', ['hospital', 'lab', 'auditor'].map((o) => sign(v2, o)).join(''));
    const ok = run('policy', 'verify-update', v2, '--approvals', all, '--current', demo);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/version 2 activates \(digest [0-9a-f]{64}\); approved by auditor, hospital, lab\n/);
    const two = file('two.ndjson', ['hospital', 'lab'].map((o) => sign(v2, o)).join(''));
    const missing = run('policy', 'verify-update', v2, '--approvals', two, '--current', demo);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/\[policy\.approval\].*missing: auditor/);
    const v1all = file('v1all.ndjson', ['hospital', 'lab', 'auditor'].map((o) => sign(demo, o)).join(''));
    expect(run('policy', 'verify-update', demo, '--approvals', v1all, '--current', v2).stderr).toMatch(/\[policy\.rollback\]/);
    // Removing the component 'report' from v2 is named as a revocation.
    const v3 = file('v3u.yaml', readFileSync(v2, 'utf8').replace('  version: 2', '  version: 3').replace(/ {2}- name: report\n(.*\n){4}.*10\.77\.0\.3\n/, '').replace(/ {2}- \{ from: analyze, to: report.*\n/, '').replace(/ {2}# The auditor's report-signing key[^]*$/, ''));
    const v3all = file('v3all.ndjson', ['hospital', 'lab', 'auditor'].map((o) => sign(v3, o)).join(''));
    const rev = run('policy', 'verify-update', v3, '--approvals', v3all, '--current', v2);
    expect(rev.stdout).toMatch(/revokes report \(removed\)/);
    expect(run('policy', 'approve', v2, '--owner', 'mallory', '--key', keyFile('lab')).status).toBe(2);
  });

  it('--help lists policy and audit', () => {
    const r = run('--help');
    expect(r.stdout).toMatch(/\bpolicy\b/);
    expect(r.stdout).toMatch(/\baudit\b/);
  });
});
