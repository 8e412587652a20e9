import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { policyDigestHex } from '../../src/policy/canonical.js';
import { checkPolicy } from '../../src/policy/check.js';
import { roleFromName } from '../../src/policy/role.js';
import { repoRoot } from '../util/env.js';

type Obj = { [k: string]: Val };
type Val = string | number | boolean | Val[] | Obj;

const hex = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => Buffer.from(b).toString('hex'));
const nameArb = fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/);

/** A random valid policy as plain data (what a person would write). */
const policyArb: fc.Arbitrary<Obj> = fc
  .record({
    wf: nameArb,
    version: fc.integer({ min: 1, max: 1000 }),
    rekey: fc.option(fc.integer({ min: 10, max: 86400 }), { nil: undefined }),
    comps: fc.uniqueArray(nameArb, { minLength: 2, maxLength: 4 }),
    owners: fc.uniqueArray(nameArb, { minLength: 1, maxLength: 3 }),
    seed: fc.array(fc.nat(), { minLength: 40, maxLength: 40 }),
    meas: fc.array(fc.array(hex(48), { minLength: 1, maxLength: 2 }), { minLength: 4, maxLength: 4 }),
    keys: fc.array(hex(32), { minLength: 4, maxLength: 4 }),
    root: hex(32),
    ports: fc.array(fc.integer({ min: 1, max: 65535 }), { minLength: 12, maxLength: 12 }),
  })
  .map((r) => {
    const pick = (i: number, n: number) => r.seed[i % r.seed.length]! % n;
    const components: Obj[] = r.comps.map((c, i) => ({
      name: c,
      owner: r.owners[pick(i, r.owners.length)]!,
      platform: 'sim',
      measurements: [...new Set(r.meas[i]!)],
      role: { name: `role-${c}` },
    }));
    const edges: Obj[] = [];
    let k = 0;
    for (const a of r.comps)
      for (const b of r.comps)
        if (a !== b && pick(k++, 3) !== 0) edges.push({ from: a, to: b, protocol: pick(k, 2) ? 'tcp' : 'udp', port: r.ports[k % 12]! });
    if (edges.length === 0) edges.push({ from: r.comps[0]!, to: r.comps[1]!, protocol: 'tcp', port: 443 });
    const e0 = edges[0]!;
    const secrets: Obj[] = [{ name: 'sec', holder: e0.from as string, releaseTo: [e0.to as string] }];
    const doc: Obj = {
      workflow: { name: r.wf, version: r.version },
      trustedRoots: [{ platform: 'sim', publicKey: r.root }],
      owners: r.owners.map((o, i) => ({ name: o, publicKey: r.keys[i]! })),
      approval: { owners: [...r.owners] },
      components,
      edges,
      secrets,
    };
    if (r.rekey !== undefined) doc.rekeyIntervalSeconds = r.rekey;
    return doc;
  });

const digestOf = (text: string): string => {
  const r = checkPolicy(text, 'p.yaml');
  if (!r.document) throw new Error(`invalid: ${JSON.stringify(r.problems.slice(0, 3))}`);
  return policyDigestHex(r.document);
};

/** Same meaning, different writing: key order, list order, hex case, role as name or bytes, defaults, quoting, style, comments. */
function rewrite(doc: Obj, rnd: () => number): string {
  const shuffle = <T>(xs: T[]): T[] => {
    const a = [...xs];
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  };
  const walk = (v: Val, key = ''): Val => {
    if (Array.isArray(v)) return shuffle(v.map((x) => walk(x)));
    if (typeof v === 'object') {
      const o: Obj = {};
      for (const k of shuffle(Object.keys(v))) o[k] = walk(v[k]!, k);
      if (key === '' && 'role' in o && rnd() < 0.5) {
        // Give the role as its exact bytes instead of its name.
        o.role = { hex: roleFromName('sim', (o.role as Obj).name as string) };
      }
      return o;
    }
    if (typeof v === 'string' && /^([0-9a-f]{2})+$/.test(v) && v.length >= 64 && rnd() < 0.5) return v.toUpperCase();
    return v;
  };
  const d = walk(doc) as Obj;
  if (d.rekeyIntervalSeconds === undefined && rnd() < 0.5) d.rekeyIntervalSeconds = 3600; // the default, written out
  if ((d.approval as Obj).threshold === undefined && rnd() < 0.5) (d.approval as Obj).threshold = ((d.approval as Obj).owners as Val[]).length; // ditto
  for (const c of d.components as Obj[]) if (c.allowDebug === undefined && rnd() < 0.3) c.allowDebug = false;
  const text = stringify(d, {
    indent: rnd() < 0.5 ? 2 : 4,
    flowCollectionPadding: rnd() < 0.5,
    defaultStringType: rnd() < 0.5 ? 'PLAIN' : rnd() < 0.5 ? 'QUOTE_DOUBLE' : 'QUOTE_SINGLE',
    collectionStyle: rnd() < 0.3 ? 'flow' : rnd() < 0.5 ? 'block' : 'any',
    lineWidth: 0,
  });
  // Comments between top-level entries and at the end.
  return `# policy ${Math.floor(rnd() * 1e6)}\n${text
    .split('\n')
    .map((l) => (l.length > 0 && !l.startsWith(' ') && !l.startsWith('-') && !l.startsWith('}') && !l.startsWith(']') && rnd() < 0.5 ? `# note\n${l}` : l))
    .join('\n')}\n# end\n`;
}

const rng = (seed: number) => {
  let s = seed >>> 0 || 1;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
};

/** Meaning-bearing changes; each returns the changed copy. */
const mutations: [string, (d: any) => void][] = [
  ['version', (d) => (d.workflow.version += 1)],
  ['workflow name', (d) => (d.workflow.name += 'x')],
  ['rekey interval', (d) => (d.rekeyIntervalSeconds = (d.rekeyIntervalSeconds ?? 3600) + 1)],
  ['measurement byte', (d) => (d.components[0].measurements[0] = (d.components[0].measurements[0][0] === '0' ? '1' : '0') + d.components[0].measurements[0].slice(1))],
  ['extra measurement', (d) => d.components[0].measurements.push('ee'.repeat(48))],
  ['role', (d) => (d.components[0].role = { name: 'other-role' })],
  ['allowDebug', (d) => (d.components[0].allowDebug = true)],
  ['minTcb', (d) => (d.components[0].minTcb = '01')],
  ['address', (d) => (d.components[0].address = '10.9.9.9')],
  ['owner of a component', (d) => (d.components[0].owner = d.owners.at(-1).name === d.components[0].owner ? d.owners[0].name : d.owners.at(-1).name)],
  ['port', (d) => (d.edges[0].port = d.edges[0].port === 1 ? 2 : d.edges[0].port - 1)],
  ['protocol', (d) => (d.edges[0].protocol = d.edges[0].protocol === 'tcp' ? 'udp' : 'tcp')],
  ['edge removed', (d) => d.edges.pop()],
  ['edge reversed', (d) => ([d.edges[0].from, d.edges[0].to] = [d.edges[0].to, d.edges[0].from])],
  ['secret renamed', (d) => (d.secrets[0].name = 'sec2')],
  ['secret recipient added', (d) => d.secrets[0].releaseTo.push(d.components.find((c: any) => !d.secrets[0].releaseTo.includes(c.name) && c.name !== d.secrets[0].holder)?.name ?? 'nobody')],
  ['owner key', (d) => (d.owners[0].publicKey = 'ff'.repeat(32))],
  ['sim root', (d) => (d.trustedRoots[0].publicKey = 'fe'.repeat(32))],
  ['threshold below all', (d) => d.approval.owners.length > 1 && (d.approval.threshold = d.approval.owners.length - 1)],
  ['component added', (d) => d.components.push({ name: 'zz9', owner: d.owners[0].name, platform: 'sim', measurements: ['aa'.repeat(48)], role: { name: 'zz9' } })],
];

describe('policy digest', () => {
  it('the demo digest is stable (pinned: changing the canonical form is a protocol change)', () => {
    const text = readFileSync(join(repoRoot, 'examples', 'demo.yaml'), 'utf8');
    expect(digestOf(text)).toBe('4f4139dd6c437488a4187ffd055b7593ba93b215259e10ff6ac5ed05ceda29e6');
  });

  it('is SHA-256 over the label and the canonical JSON written out here', () => {
    const m = 'aa'.repeat(48);
    const text = `workflow: {version: 7, name: w}
trustedRoots: [{platform: sim, publicKey: ${'bb'.repeat(32)}}]
owners: [{name: o, publicKey: ${'CC'.repeat(32)}}]
approval: {owners: [o]}
components:
  - {name: b, owner: o, platform: sim, measurements: [${m}], role: {hex: ${'01'.repeat(32)}}}
  - {name: a, owner: o, platform: sim, measurements: [${m}], role: {hex: ${'02'.repeat(32)}}, allowDebug: true}
edges: [{from: a, to: b, protocol: udp, port: 53}]
`;
    const canon =
      '{"approval":{"owners":["o"],"threshold":1},' +
      `"components":[{"allowDebug":true,"measurements":["${m}"],"name":"a","owner":"o","platform":"sim","role":"${'02'.repeat(32)}"},` +
      `{"allowDebug":false,"measurements":["${m}"],"name":"b","owner":"o","platform":"sim","role":"${'01'.repeat(32)}"}],` +
      '"edges":[{"from":"a","port":53,"protocol":"udp","to":"b"}],"format":"attestflow-policy/1",' +
      `"owners":[{"name":"o","publicKey":"${'cc'.repeat(32)}"}],"rekeyIntervalSeconds":3600,"secrets":[],` +
      `"trustedRoots":[{"platform":"sim","publicKey":"${'bb'.repeat(32)}"}],"workflow":{"name":"w","version":7}}`;
    const want = createHash('sha256').update('attestflow/policy/v1\0' + canon).digest('hex');
    expect(digestOf(text)).toBe(want);
  });

  it('does not change with formatting, key order, list order, comments, hex case, role form or written-out defaults', () => {
    fc.assert(
      fc.property(policyArb, fc.integer(), fc.integer(), (doc, s1, s2) => {
        const a = rewrite(doc, rng(s1));
        const b = rewrite(doc, rng(s2));
        expect(digestOf(a)).toBe(digestOf(b));
        expect(digestOf(a)).toBe(digestOf(stringify(doc)));
      }),
      { numRuns: 100 },
    );
  });

  it('changes with every meaning-bearing change', () => {
    let applied = 0;
    fc.assert(
      fc.property(policyArb, fc.constantFrom(...mutations), fc.integer(), (doc, [what, mutate], seed) => {
        const changed = structuredClone(doc);
        mutate(changed);
        fc.pre(JSON.stringify(changed) !== JSON.stringify(doc)); // the mutation did not apply here
        const r = checkPolicy(rewrite(changed, rng(seed)), 'p.yaml');
        fc.pre(r.document !== undefined); // a change that makes the policy invalid has no digest
        applied++;
        expect(policyDigestHex(r.document!), what).not.toBe(digestOf(stringify(doc)));
      }),
      { numRuns: 250 },
    );
    expect(applied).toBeGreaterThan(150);
  });
});
