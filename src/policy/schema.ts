/**
 * Structural validation against the published JSON Schema (`schema/policy.schema.json`), so the
 * schema users see and the checker the CLI runs cannot disagree. Ajv does the validating; this
 * file turns its errors into problems a person can act on, at the right line and column.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { DocPath, PolicySource } from './source.js';
import { didYouMean } from './hints.js';
import type { PolicyProblem } from './types.js';

/** Where the published schema lives (same relative place from `src/policy` and `dist/policy`). */
export const POLICY_SCHEMA_URL = new URL('../../schema/policy.schema.json', import.meta.url);

let compiled: ValidateFunction | undefined;

/** The published JSON Schema of the policy, parsed. */
export function policySchema(): Record<string, unknown> {
  return JSON.parse(readFileSync(POLICY_SCHEMA_URL, 'utf8')) as Record<string, unknown>;
}

function validator(): ValidateFunction {
  // coerceTypes: YAML scalars arrive as strings; the schema says which are integers or booleans.
  compiled ??= new Ajv({ allErrors: true, strict: true, coerceTypes: true, verbose: true }).compile(policySchema());
  return compiled;
}

const pathOf = (pointer: string): (string | number)[] =>
  pointer === ''
    ? []
    : pointer
        .slice(1)
        .split('/')
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
        .map((s) => (/^\d+$/.test(s) ? Number(s) : s));

/** Describes where a path is, in words: "component 'analyze'", "edge 2", "workflow". */
function describe(data: unknown, path: DocPath): string {
  const [top, index] = path;
  const item = (): unknown => {
    const list = (data as Record<string, unknown> | undefined)?.[top as string];
    return Array.isArray(list) && typeof index === 'number' ? list[index] : undefined;
  };
  const named = (kind: string) => {
    const it = item() as Record<string, unknown> | undefined;
    return typeof it?.name === 'string' ? `${kind} '${it.name}'` : `${kind} #${(index as number) + 1}`;
  };
  switch (top) {
    case undefined:
      return 'the policy';
    case 'components':
      return typeof index === 'number' ? named('component') : 'components';
    case 'owners':
      return typeof index === 'number' ? named('owner') : 'owners';
    case 'secrets':
      return typeof index === 'number' ? named('secret') : 'secrets';
    case 'edges': {
      const it = item() as Record<string, unknown> | undefined;
      if (typeof index !== 'number') return 'edges';
      return typeof it?.from === 'string' && typeof it?.to === 'string' ? `edge ${it.from}->${it.to}` : `edge #${index + 1}`;
    }
    case 'trustedRoots':
      return typeof index === 'number' ? `trusted root #${index + 1}` : 'trustedRoots';
    default:
      return String(top);
  }
}

const typeWords: Record<string, string> = {
  integer: 'a whole number',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping (field: value)',
};

function toProblem(src: PolicySource, e: ErrorObject): PolicyProblem | undefined {
  const path = pathOf(e.instancePath);
  const field = path[path.length - 1];
  const where = describe(src.data, path);
  const fieldName = typeof field === 'string' ? `'${field}'` : `item ${Number(field) + 1}`;
  switch (e.keyword) {
    case 'additionalProperties': {
      const extra = String(e.params.additionalProperty);
      const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return src.problem(path, 'unknown-field', `unknown field '${extra}' in ${where} (allowed: ${allowed.join(', ')})${didYouMean(extra, allowed)}`, extra);
    }
    case 'required': {
      const missing = String(e.params.missingProperty);
      if (path[0] === 'components' && path.length === 2 && (missing === 'measurements' || missing === 'role')) {
        return src.problem(path, 'missing-reference-value', `${where} has no ${missing}: every component needs its reference values (measurements and role)`);
      }
      return src.problem(path, 'missing-field', `${where} is missing the required field '${missing}'`);
    }
    case 'type':
      return src.problem(path, 'wrong-type', `${fieldName} in ${where} must be ${typeWords[String(e.params.type)] ?? String(e.params.type)}`);
    case 'enum':
      return src.problem(path, 'bad-value', `${fieldName} in ${where} must be one of ${(e.params.allowedValues as unknown[]).join(', ')} (got '${String(e.data)}')`);
    case 'pattern': {
      const p = String(e.params.pattern);
      const kind = p.startsWith('^([0-9A-Fa-f]{2})+')
        ? 'hex: an even number of digits 0-9, a-f'
        : p.startsWith('^[A-Za-z0-9]')
          ? 'a name: letters, digits, _ . - (starting with a letter or digit, at most 64)'
          : 'an IPv4 address like 10.0.0.1';
      const code = kind.startsWith('hex') ? 'bad-hex' : kind.startsWith('a name') ? 'bad-name' : 'bad-address';
      return src.problem(path, code, `${fieldName} in ${where} must be ${kind} (got '${String(e.data)}')`);
    }
    case 'minimum':
    case 'maximum':
      return src.problem(path, 'out-of-range', `${fieldName} in ${where} must be ${e.keyword === 'minimum' ? '>=' : '<='} ${String(e.params.limit)} (got ${String(e.data)})`);
    case 'minItems':
      if (path[0] === 'secrets' && field === 'releaseTo') {
        return src.problem(path, 'released-to-nobody', `${where} is released to nobody: name at least one component in releaseTo, or remove the secret`);
      }
      if (path[0] === 'components' && field === 'measurements') {
        return src.problem(path, 'missing-reference-value', `${where} lists no measurements: give at least one accepted measurement`);
      }
      return src.problem(path, 'empty-list', `${fieldName} in ${where} must list at least ${String(e.params.limit)}`);
    case 'minProperties':
    case 'maxProperties':
      return src.problem(path, 'bad-role', `the role of ${where} needs exactly one of 'name' (a role name) or 'hex' (the field's bytes)`);
    default:
      return src.problem(path, 'schema', `${where}: ${e.message ?? e.keyword}`);
  }
}

/**
 * Validates `src.data` against the schema (converting integer and boolean fields in place) and
 * returns the problems, one per schema violation.
 */
export function schemaProblems(src: PolicySource): PolicyProblem[] {
  if (src.data === null || typeof src.data !== 'object' || Array.isArray(src.data)) {
    return [src.problem([], 'wrong-type', 'the policy must be a mapping with workflow, components, edges, ... at the top level')];
  }
  const validate = validator();
  if (validate(src.data)) return [];
  const out: PolicyProblem[] = [];
  for (const e of validate.errors ?? []) {
    const p = toProblem(src, e);
    if (p) out.push(p);
  }
  return out;
}
