import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { policyDigest } from '../../src/policy/canonical.js';
import { checkPolicy } from '../../src/policy/check.js';
import { verifyAuditLog } from '../../src/release/audit.js';
import { repoRoot } from '../util/env.js';

const demo = readFileSync(join(repoRoot, 'examples', 'demo.yaml'), 'utf8');

/** The checker's contract: problems or a document, never an exception. */
function total(text: string): void {
  const r = checkPolicy(text, 'f.yaml');
  if (r.document) {
    expect(r.problems).toEqual([]);
    expect(policyDigest(r.document)).toHaveLength(32);
  } else {
    expect(r.problems.length).toBeGreaterThan(0);
    for (const p of r.problems) {
      expect(p.line).toBeGreaterThanOrEqual(1);
      expect(p.column).toBeGreaterThanOrEqual(1);
      expect(p.message.length).toBeGreaterThan(0);
    }
  }
}

// A grammar-aware mutation of the demo: delete, duplicate or replace a span, or insert YAML syntax.
const tokens = ['{', '}', '[', ']', ':', '- ', '\n', '  ', '&a ', '*a', '<<: *a', '!!str ', '!!binary ', '? ', '|', '>', '#', '"', "'", '~', 'null', '0x1F', '1e3', '-1', 'true', '', 'name', 'to'];
const mutated = fc
  .array(
    fc.record({
      at: fc.nat(demo.length),
      len: fc.nat(40),
      kind: fc.constantFrom('delete', 'dup', 'insert'),
      tok: fc.constantFrom(...tokens),
    }),
    { minLength: 1, maxLength: 4 },
  )
  .map((ops) =>
    ops.reduce((t, o) => {
      const at = Math.min(o.at, t.length);
      if (o.kind === 'delete') return t.slice(0, at) + t.slice(at + o.len);
      if (o.kind === 'dup') return t.slice(0, at + o.len) + t.slice(at, at + o.len) + t.slice(at + o.len);
      return t.slice(0, at) + o.tok + t.slice(at);
    }, demo),
  );

describe('policy checker fuzz: typed problems only, never a crash', () => {
  it('random text', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), total), { numRuns: 500 });
  });

  it('mutated demo policy', () => {
    fc.assert(fc.property(mutated, total), { numRuns: 600 });
  });

  it('random YAML values in every field', () => {
    const anyValue = fc.jsonValue({ maxDepth: 3 });
    const doc = fc.dictionary(fc.constantFrom('workflow', 'components', 'edges', 'secrets', 'owners', 'approval', 'trustedRoots', 'rekeyIntervalSeconds', 'x'), anyValue);
    fc.assert(fc.property(doc, (d) => total(stringify(d))), { numRuns: 500 });
  });

  it('alias bombs and odd tags are problems, not exceptions', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`)].join('\n');
    total(bomb);
    total('workflow: !!js/function "function(){}"\n');
    total('workflow: {name: x, version: !!int "3"}\n');
    total(`${demo}\n---\nsecond: document\n`);
  });
});

describe('audit verifier fuzz', () => {
  it('random text never throws', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (t) => {
        expect(typeof verifyAuditLog(t).ok).toBe('boolean');
      }),
      { numRuns: 1000 },
    );
  });

  it('random JSON lines never throw and are never accepted as a non-empty valid log', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue({ maxDepth: 3 }), { minLength: 1, maxLength: 5 }), (vals) => {
        const v = verifyAuditLog(`${vals.map((x) => JSON.stringify(x) ?? 'null').join('\n')}\n`);
        expect(v.ok).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});
