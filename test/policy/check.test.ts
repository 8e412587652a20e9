import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkPolicy } from '../../src/policy/check.js';
import { roleFromName } from '../../src/policy/role.js';
import type { PolicyProblem } from '../../src/policy/types.js';
import { repoRoot } from '../util/env.js';

const demo = readFileSync(join(repoRoot, 'examples', 'demo.yaml'), 'utf8');
const HEX32 = 'ab'.repeat(32);
const M48 = 'ab'.repeat(48);
const OWNER = '11'.repeat(32);

/** A small valid policy; tests change one thing at a time. */
const base = (patch: { components?: string; edges?: string; secrets?: string; extra?: string; version?: number } = {}) => `workflow:
  name: wf
  version: ${patch.version ?? 2}
trustedRoots:
  - platform: sim
    publicKey: ${HEX32}
owners:
  - name: alice
    publicKey: ${OWNER}
approval:
  owners: [alice]
components:
${
  patch.components ??
  `  - name: a
    owner: alice
    platform: sim
    measurements: [${M48}]
    role: { name: a }
  - name: b
    owner: alice
    platform: sim
    measurements: [${'cd'.repeat(48)}]
    role: { name: b }`
}
edges:
${patch.edges ?? '  - { from: a, to: b, protocol: tcp, port: 80 }'}
secrets:
${patch.secrets ?? '  - { name: s, holder: a, releaseTo: [b] }'}
${patch.extra ?? ''}`;

const codes = (ps: readonly PolicyProblem[]) => ps.map((p) => p.code);
const at = (ps: readonly PolicyProblem[], code: string) => ps.find((p) => p.code === code);

describe('policy check', () => {
  it('the demo policy is clean and normalizes', () => {
    const r = checkPolicy(demo, 'demo.yaml');
    expect(r.problems).toEqual([]);
    const d = r.document!;
    expect(d.components.map((c) => c.name)).toEqual(['analyze', 'ingest', 'report']);
    expect(new Set(d.components.map((c) => c.owner)).size).toBe(3);
    expect(d.components.every((c) => c.platform === 'sim')).toBe(true);
    expect(d.edges.map((e) => `${e.id}/${e.protocol}/${e.port}`)).toEqual(['analyze->report/tcp/7002', 'ingest->analyze/tcp/7001', 'ingest->report/udp/7003']);
    expect(d.components.find((c) => c.name === 'ingest')!.role).toBe(roleFromName('sim', 'ingest'));
    expect(d.approval).toEqual({ owners: ['auditor', 'hospital', 'lab'], threshold: 3 });
    expect(d.rekeyIntervalSeconds).toBe(60);
  });

  it('the small base policy is clean (so every failure below comes from its one change)', () => {
    expect(checkPolicy(base(), 'p.yaml').problems).toEqual([]);
  });

  it('unknown component in an edge: file, line, column and the known names', () => {
    const r = checkPolicy(base({ edges: '  - { from: a, to: bee, protocol: tcp, port: 80 }' }), 'p.yaml');
    const p = at(r.problems, 'unknown-component')!;
    expect(p).toMatchObject({ file: 'p.yaml', line: 24, column: 20 });
    expect(p.message).toBe("edge to 'bee': no component has that name (components: a, b); did you mean 'b'?");
    const typo = checkPolicy(base().replace('  owners: [alice]', '  owners: [alcie]'), 'p.yaml');
    expect(typo.problems.map((x) => x.message)).toEqual(["approval names 'alcie', who is not among the owners (alice); did you mean 'alice'?"]);
    const field = checkPolicy(base().replace('  version: 2', '  verison: 2'), 'p.yaml');
    expect(field.problems.map((x) => x.message)).toContain("unknown field 'verison' in workflow (allowed: name, version); did you mean 'version'?");
    expect(r.document).toBeUndefined();
  });

  it('an edge to itself', () => {
    const r = checkPolicy(base({ edges: '  - { from: a, to: a, protocol: tcp, port: 80 }' }), 'p.yaml');
    expect(codes(r.problems)).toContain('self-edge');
    expect(at(r.problems, 'self-edge')).toMatchObject({ line: 24, column: 5 });
  });

  it('duplicate names of components, secrets, owners, edges', () => {
    const comps = `  - { name: a, owner: alice, platform: sim, measurements: [${M48}], role: { name: a } }
  - { name: a, owner: alice, platform: sim, measurements: [${M48}], role: { name: a2 } }
  - { name: b, owner: alice, platform: sim, measurements: [${M48}], role: { name: b } }`;
    const r = checkPolicy(
      base({
        components: comps,
        edges: '  - { from: a, to: b, protocol: tcp, port: 80 }\n  - { from: a, to: b, protocol: udp, port: 81 }',
        secrets: '  - { name: s, holder: a, releaseTo: [b] }\n  - { name: s, holder: b, releaseTo: [a] }',
      }),
      'p.yaml',
    );
    const dups = r.problems.filter((p) => p.code === 'duplicate-name');
    expect(dups.map((p) => p.message)).toEqual([
      "component name 'a' is already used at line 13; names must be unique",
      "secret name 's' is already used at line 20; names must be unique",
    ]);
    expect(dups[0]).toMatchObject({ line: 14, column: 13 });
    expect(at(r.problems, 'duplicate-edge')).toMatchObject({ line: 18, column: 5 });
  });

  it('a secret released to nobody', () => {
    const r = checkPolicy(base({ secrets: '  - { name: s, holder: a, releaseTo: [] }' }), 'p.yaml');
    const p = at(r.problems, 'released-to-nobody')!;
    expect(p.message).toBe("secret 's' is released to nobody: name at least one component in releaseTo, or remove the secret");
    expect(p).toMatchObject({ line: 26, column: 38 });
  });

  it('missing reference values: no role, no measurements', () => {
    const comps = `  - { name: a, owner: alice, platform: sim, measurements: [${M48}] }
  - { name: b, owner: alice, platform: sim, measurements: [], role: { name: b } }`;
    const r = checkPolicy(base({ components: comps }), 'p.yaml');
    const ms = r.problems.filter((p) => p.code === 'missing-reference-value').map((p) => `${p.line}:${p.column} ${p.message}`);
    expect(ms).toEqual([
      "13:5 component 'a' has no role: every component needs its reference values (measurements and role)",
      "14:59 component 'b' lists no measurements: give at least one accepted measurement",
    ]);
  });

  it('bad hex lengths, per platform', () => {
    const comps = `  - { name: a, owner: alice, platform: sim, measurements: [abcd], role: { name: a } }
  - { name: b, owner: alice, platform: tdx, measurements: [${'00'.repeat(48)}], role: { hex: ${'00'.repeat(32)} }, minTcb: "00" }`;
    const r = checkPolicy(base({ components: comps, extra: 'rekeyIntervalSeconds: 60' }), 'p.yaml');
    const hex = r.problems.filter((p) => p.code === 'bad-hex-length').map((p) => p.message);
    expect(hex).toEqual([
      'a sim measurement must be 48 bytes (96 hex digits); got 2 bytes (4 hex digits)',
      'a tdx role field must be 48 bytes (96 hex digits); got 32 bytes (64 hex digits)',
      'a tdx minTcb must be 16 bytes (32 hex digits); got 1 bytes (2 hex digits)',
    ]);
    // tdx has no trusted root in this policy: also reported, in the same run.
    expect(codes(r.problems)).toContain('untrusted-platform');
    // Odd-length or non-hex strings are a different problem.
    const r2 = checkPolicy(base().replace(`publicKey: ${OWNER}`, 'publicKey: 12g4'), 'p.yaml');
    expect(at(r2.problems, 'bad-hex')).toMatchObject({ line: 9, column: 16 });
  });

  it('hex made only of digits is never read as a number', () => {
    const digits = '12'.repeat(48);
    const r = checkPolicy(base().replace(`measurements: [${M48}]`, `measurements: [${digits}]`), 'p.yaml');
    expect(r.problems).toEqual([]);
    expect(r.document!.components[0]!.measurements).toEqual([digits]);
  });

  it('unknown fields, at the key, with what is allowed', () => {
    const r = checkPolicy(base({ extra: 'colour: blue' }).replace('  version: 2', '  version: 2\n  owner: me'), 'p.yaml');
    const u = r.problems.filter((p) => p.code === 'unknown-field');
    expect(u.map((p) => [p.line, p.column, p.message])).toEqual([
      [4, 3, "unknown field 'owner' in workflow (allowed: name, version)"],
      [28, 1, "unknown field 'colour' in the policy (allowed: workflow, rekeyIntervalSeconds, trustedRoots, owners, approval, components, edges, secrets)"],
    ]);
  });

  it('a non-increasing version, against the version in force', () => {
    expect(codes(checkPolicy(base({ version: 3 }), 'p.yaml', { previousVersion: 2 }).problems)).toEqual([]);
    for (const v of [1, 2]) {
      const r = checkPolicy(base({ version: v }), 'p.yaml', { previousVersion: 2 });
      expect(r.problems).toEqual([
        {
          file: 'p.yaml',
          line: 3,
          column: 12,
          code: 'version-not-increasing',
          message: `version ${v} does not increase the version in force (2); an update must raise it (rollback protection)`,
        },
      ]);
    }
  });

  it('reports every problem at once, sorted by position', () => {
    const bad = demo
      .replace('to: analyze, protocol: tcp', 'to: analyse, protocol: tcp')
      .replace('releaseTo: [analyze]\n  # The aud', 'releaseTo: []\n  # The aud')
      .replace('address: 10.77.0.3', 'address: 10.77.0.3\n    colour: red')
      .replace('5dd0bc864af9a6b1a87fe116e1975fdebf30b1bf86db8e2141802549479a60bad04563adcbd5089280f488649c51e48b', 'c549')
      .replace("  - name: report\n    owner", '  - name: analyze\n    owner')
      .replace('{ from: analyze, to: report', '{ from: analyze, to: analyze');
    const r = checkPolicy(bad, 'demo.yaml', { previousVersion: 1 });
    expect(new Set(codes(r.problems))).toEqual(
      new Set(['version-not-increasing', 'bad-hex-length', 'duplicate-name', 'unknown-field', 'unknown-component', 'self-edge', 'released-to-nobody']),
    );
    const lines = r.problems.map((p) => p.line);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
  });

  it('the software TEE is trusted only when its root is listed', () => {
    const noRoot = base().replace(/trustedRoots:\n {2}- platform: sim\n {4}publicKey: [0-9a-f]+\n/, 'trustedRoots: []\n');
    const r = checkPolicy(noRoot, 'p.yaml');
    expect(r.problems.filter((p) => p.code === 'untrusted-platform')).toHaveLength(2);
    const noKey = base().replace(`    publicKey: ${HEX32}\n`, '');
    expect(codes(checkPolicy(noKey, 'p.yaml').problems)).toContain('missing-root-key');
  });

  it('same role twice (diversion), unknown owner, secret with no edge, impossible threshold', () => {
    const comps = `  - { name: a, owner: alice, platform: sim, measurements: [${M48}], role: { name: x } }
  - { name: b, owner: bob, platform: sim, measurements: [${M48}], role: { hex: ${roleFromName('sim', 'x')} } }
  - { name: c, owner: alice, platform: sim, measurements: [${M48}], role: { name: c } }`;
    const r = checkPolicy(
      base({ components: comps, secrets: '  - { name: s, holder: a, releaseTo: [c] }' }).replace('  owners: [alice]', '  owners: [alice]\n  threshold: 2'),
      'p.yaml',
    );
    expect(new Set(codes(r.problems))).toEqual(new Set(['duplicate-role', 'unknown-owner', 'no-edge-for-secret', 'bad-threshold']));
  });

  it('YAML syntax errors and duplicate keys carry positions', () => {
    const r = checkPolicy('workflow: {name: x\n', 'p.yaml');
    expect(r.problems.length).toBeGreaterThan(0);
    expect(r.problems.every((p) => p.code === 'yaml-syntax' && p.line >= 1)).toBe(true);
    const d = checkPolicy(base().replace('  name: wf', '  name: wf\n  name: wf2'), 'p.yaml');
    expect(at(d.problems, 'duplicate-field')).toMatchObject({ line: 3, column: 3 });
  });

  it('a document that is not a mapping', () => {
    for (const text of ['', '- a\n- b\n', 'just a string\n']) {
      const r = checkPolicy(text, 'p.yaml');
      expect(codes(r.problems)).toEqual(['wrong-type']);
    }
  });
});

describe('policy check: YAML features that could mislead', () => {
  it('aliases are refused with their position', () => {
    const r = checkPolicy(base().replace('  owners: [alice]', '  owners: &o [alice]').replace('releaseTo: [b]', 'releaseTo: *o'), 'p.yaml');
    expect(r.problems.map((p) => [p.code, p.line])).toEqual([['yaml-alias', 26]]);
  });
});
