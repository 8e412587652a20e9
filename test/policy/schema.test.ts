import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { policySchema } from '../../src/policy/schema.js';
import { repoRoot } from '../util/env.js';

// The published schema, used the way a user's editor or CI would: plain Ajv, no coercion, on the
// YAML read with the ordinary (core) schema.
const schemaFile = join(repoRoot, 'schema', 'policy.schema.json');
const published = JSON.parse(readFileSync(schemaFile, 'utf8')) as Record<string, unknown>;
const ajv = new Ajv({ allErrors: true, strict: true });
const validate = ajv.compile(published);
const examples = readdirSync(join(repoRoot, 'examples')).filter((f) => f.endsWith('.yaml'));
const load = (f: string) => parse(readFileSync(join(repoRoot, 'examples', f), 'utf8')) as Record<string, unknown>;

describe('published JSON Schema (schema/policy.schema.json)', () => {
  it('is a valid draft-07 schema that Ajv compiles in strict mode', () => {
    expect(ajv.validateSchema(published)).toBe(true);
    expect(published.$schema).toBe('http://json-schema.org/draft-07/schema#');
  });

  it('is the schema the checker uses', () => {
    expect(policySchema()).toEqual(published);
  });

  it('accepts every example policy', () => {
    expect(examples.length).toBeGreaterThan(0);
    for (const f of examples) {
      const ok = validate(load(f));
      expect(validate.errors ?? [], f).toEqual([]);
      expect(ok).toBe(true);
    }
  });

  it('rejects unknown fields, bad enums, bad hex, out-of-range ports, empty releaseTo, a role with both forms', () => {
    const demo = load('demo.yaml');
    const cases: [string, (d: any) => void, string][] = [
      ['unknown top-level field', (d) => (d.colour = 'red'), 'additionalProperties'],
      ['unknown component field', (d) => (d.components[0].image = 'x'), 'additionalProperties'],
      ['bad protocol', (d) => (d.edges[0].protocol = 'sctp'), 'enum'],
      ['port out of range', (d) => (d.edges[0].port = 70000), 'maximum'],
      ['odd hex', (d) => (d.components[0].measurements[0] = 'abc'), 'pattern'],
      ['released to nobody', (d) => (d.secrets[0].releaseTo = []), 'minItems'],
      ['two role forms', (d) => (d.components[0].role = { name: 'a', hex: 'aa' }), 'maxProperties'],
      ['missing measurements', (d) => delete d.components[0].measurements, 'required'],
      ['bad name', (d) => (d.components[0].name = 'a->b'), 'pattern'],
    ];
    for (const [what, mutate, keyword] of cases) {
      const d = structuredClone(demo);
      mutate(d);
      expect(validate(d), what).toBe(false);
      expect(validate.errors!.map((e) => e.keyword), what).toContain(keyword);
    }
  });
});
