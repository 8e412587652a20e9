/**
 * Spec-to-code drift check. Parses spec/*.tla with the tree-sitter TLA+ grammar (its WASM build
 * through web-tree-sitter: no native build, no Java) and fails on any syntax error; then checks,
 * both ways, that every TLA+ action maps to machine events that exist and every machine event to
 * an action (or a stated reason), that every invariant a TLC config checks is a defined operator
 * mapped to an existing checker predicate and every checker predicate is configured somewhere,
 * and that spec/README.md names every action and invariant.
 *
 * This is not SANY: it checks syntax and names, not levels or semantics (`npm run tlc` does that
 * when a tla2tools.jar is provided).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Node as TsNode, Parser as TsParser } from 'web-tree-sitter';
import { AttestflowError } from '../errors.js';
import { initiatorMachine } from '../make/machines/initiator.js';
import { responderMachine } from '../make/machines/responder.js';
import { releaseMachine } from '../release/machine.js';
import { INVARIANT_NAMES } from './invariants.js';
import { ACTIONS, INVARIANT_MAP, UNMODELLED_EVENTS, type MachineName } from './mapping.js';

export interface SpecOperator {
  readonly name: string;
  readonly line: number;
  /** The body primes a variable or says UNCHANGED: it is an action (or a disjunction of actions). */
  readonly isAction: boolean;
}

export interface SpecModule {
  readonly name: string;
  readonly file: string;
  readonly extends: readonly string[];
  readonly constants: readonly string[];
  readonly variables: readonly string[];
  readonly operators: readonly SpecOperator[];
  /** Every name the module declares anywhere: operators, parameters, bound and LET names, record fields. */
  readonly declared: readonly string[];
  /** Names the module refers to, with the line of their first use (module names of EXTENDS excluded). */
  readonly references: ReadonlyMap<string, number>;
  readonly syntaxErrors: readonly string[];
}

export interface TlcConfig {
  readonly file: string;
  /** The module it checks: the file name up to the first dot. */
  readonly module: string;
  readonly constants: readonly string[];
  readonly init?: string;
  readonly next?: string;
  readonly invariants: readonly string[];
}

export interface DriftReport {
  readonly modules: readonly SpecModule[];
  readonly configs: readonly TlcConfig[];
  /** Each problem found; empty when spec and code agree. */
  readonly problems: readonly string[];
  readonly actions: number;
  readonly events: number;
  readonly invariants: number;
}

/** Operators of the standard modules (Naturals, Integers, Sequences, FiniteSets, TLC, Bags). */
const STANDARD_NAMES = new Set([
  'Nat', 'Int', 'Real', 'Seq', 'Len', 'Append', 'Head', 'Tail', 'SubSeq', 'SelectSeq', 'Cardinality', 'IsFiniteSet',
  'Print', 'PrintT', 'Assert', 'ToString', 'JavaTime', 'TLCGet', 'TLCSet', 'Permutations', 'SortSeq', 'RandomElement', 'Any', 'TLCEval',
  'BagToSet', 'SetToBag', 'BagIn', 'EmptyBag', 'BagCardinality', 'CopiesIn', 'SubBag', 'BagOfAll', 'BagUnion',
]);

let parser: TsParser | undefined;

async function tlaParser(): Promise<TsParser> {
  if (parser !== undefined) return parser;
  let ts: typeof import('web-tree-sitter');
  try {
    ts = await import('web-tree-sitter');
  } catch (e) {
    throw new AttestflowError('model.drift-parser', 'web-tree-sitter is not installed (a dev dependency): run npm ci in a checkout', {}, { cause: e });
  }
  const require = createRequire(import.meta.url);
  let wasm: string;
  try {
    wasm = require.resolve('@tlaplus/tree-sitter-tlaplus/tree-sitter-tlaplus.wasm');
  } catch (e) {
    throw new AttestflowError('model.drift-parser', '@tlaplus/tree-sitter-tlaplus is not installed (a dev dependency): run npm ci in a checkout', {}, { cause: e });
  }
  await ts.Parser.init();
  const p = new ts.Parser();
  p.setLanguage(await ts.Language.load(wasm));
  parser = p;
  return p;
}

function walk(n: TsNode, visit: (n: TsNode) => void): void {
  visit(n);
  for (const c of n.children) if (c !== null) walk(c, visit);
}

function namesIn(n: TsNode, type: string): string[] {
  const out: string[] = [];
  for (const c of n.children) if (c !== null && c.type === type) out.push(c.text);
  return out;
}

/** Parses one .tla file: syntax errors with line and column, declarations, operators. */
export async function parseModule(file: string, text: string): Promise<SpecModule> {
  const tree = (await tlaParser()).parse(text);
  if (tree === null) throw new AttestflowError('model.drift-parse', `${file}: the parser returned nothing`);
  const root = tree.rootNode;
  const syntaxErrors: string[] = [];
  walk(root, (n) => {
    if (n.type === 'ERROR' || n.isMissing) {
      const p = n.startPosition;
      syntaxErrors.push(`${file}:${p.row + 1}:${p.column + 1}: syntax error near ${JSON.stringify(n.text.slice(0, 40))}`);
    }
  });
  const mod = root.children.find((c) => c?.type === 'module') ?? null;
  if (mod === null) {
    return { name: '', file, extends: [], constants: [], variables: [], operators: [], declared: [], references: new Map(), syntaxErrors: [...syntaxErrors, `${file}: no module`] };
  }
  // In this grammar a declaration is an `identifier` and a use an `identifier_ref`.
  const declared = new Set<string>();
  const references = new Map<string, number>();
  const collect = (n: TsNode, inExtends: boolean): void => {
    if (n.type === 'identifier') declared.add(n.text);
    else if (n.type === 'identifier_ref' && !inExtends && !references.has(n.text)) references.set(n.text, n.startPosition.row + 1);
    for (const c of n.children) if (c !== null) collect(c, inExtends || n.type === 'extends');
  };
  collect(mod, false);
  const name = mod.childForFieldName('name')?.text ?? '';
  const ext: string[] = [];
  const constants: string[] = [];
  const variables: string[] = [];
  const operators: SpecOperator[] = [];
  for (const c of mod.children) {
    if (c === null) continue;
    if (c.type === 'extends') ext.push(...namesIn(c, 'identifier_ref'));
    else if (c.type === 'constant_declaration') constants.push(...namesIn(c, 'identifier'), ...c.children.filter((x) => x?.type === 'operator_declaration').map((x) => x?.childForFieldName('name')?.text ?? ''));
    else if (c.type === 'variable_declaration') variables.push(...namesIn(c, 'identifier'));
    else if (c.type === 'operator_definition') {
      const opName = c.childForFieldName('name')?.text ?? '';
      let isAction = false;
      walk(c, (n) => {
        if (n.type === 'prime' || n.type === 'unchanged') isAction = true;
      });
      operators.push({ name: opName, line: c.startPosition.row + 1, isAction });
    }
  }
  return { name, file, extends: ext, constants, variables, operators, declared: [...declared], references, syntaxErrors };
}

/** Parses a TLC .cfg (the subset TLC configs here use: CONSTANTS, INIT, NEXT, INVARIANT(S)). */
export function parseConfig(file: string, text: string): TlcConfig {
  const words = text.replace(/\\\*.*$/gm, '').replace(/\(\*[\s\S]*?\*\)/g, '');
  const constants: string[] = [];
  const invariants: string[] = [];
  let init: string | undefined;
  let next: string | undefined;
  let section = '';
  for (const raw of words.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const head = /^(CONSTANTS?|INIT|NEXT|INVARIANTS?|PROPERTY|PROPERTIES|SPECIFICATION|CHECK_DEADLOCK|SYMMETRY|VIEW|CONSTRAINTS?|ACTION_CONSTRAINTS?)\b\s*(.*)$/.exec(line);
    let rest = line;
    if (head !== null) {
      section = (head[1] as string).replace(/S$/, '');
      rest = head[2] as string;
    }
    if (rest === '') continue;
    if (section === 'CONSTANT') {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*(=|<-)/.exec(rest);
      if (m) constants.push(m[1] as string);
    } else if (section === 'INIT') init = rest.split(/\s+/)[0];
    else if (section === 'NEXT') next = rest.split(/\s+/)[0];
    else if (section === 'INVARIANT') invariants.push(...rest.split(/\s+/).filter((x) => x !== ''));
  }
  const base = file.split('/').pop() ?? file;
  return { file, module: base.split('.')[0] as string, constants, invariants, ...(init !== undefined ? { init } : {}), ...(next !== undefined ? { next } : {}) };
}

const MACHINES: Readonly<Record<MachineName, { events: readonly string[] }>> = {
  initiator: initiatorMachine,
  responder: responderMachine,
  release: releaseMachine,
};

/** Runs the whole drift check over a spec directory. */
export async function checkDrift(specDir: string): Promise<DriftReport> {
  const problems: string[] = [];
  const files = readdirSync(specDir).sort();
  const modules: SpecModule[] = [];
  for (const f of files.filter((x) => x.endsWith('.tla'))) {
    const m = await parseModule(`spec/${f}`, readFileSync(join(specDir, f), 'utf8'));
    problems.push(...m.syntaxErrors);
    if (m.name !== f.replace(/\.tla$/, '')) problems.push(`spec/${f}: module is named ${m.name}, not after its file`);
    modules.push(m);
  }
  const byName = new Map(modules.map((m) => [m.name, m]));
  const standard = new Set(['Naturals', 'Integers', 'Sequences', 'FiniteSets', 'TLC', 'Bags', 'Reals']);
  /** Everything a module sees: its own definitions and those of what it extends. */
  const scope = (name: string, seen = new Set<string>()): { ops: Map<string, SpecOperator>; decls: Set<string> } => {
    const m = byName.get(name);
    const ops = new Map<string, SpecOperator>();
    const decls = new Set<string>();
    if (m === undefined || seen.has(name)) return { ops, decls };
    seen.add(name);
    for (const e of m.extends) {
      if (standard.has(e)) continue;
      if (!byName.has(e)) problems.push(`${m.file}: EXTENDS unknown module ${e}`);
      const s = scope(e, seen);
      for (const [k, v] of s.ops) ops.set(k, v);
      for (const d of s.decls) decls.add(d);
    }
    for (const o of m.operators) {
      if (ops.has(o.name)) problems.push(`${m.file}:${o.line}: ${o.name} redefines an operator of an extended module`);
      ops.set(o.name, o);
    }
    for (const d of [...m.constants, ...m.variables]) decls.add(d);
    return { ops, decls };
  };

  // Names: every reference resolves to a declaration in the module, what it extends, or the
  // standard modules (a typo in an operator name is otherwise only found by SANY).
  const declaredIn = (name: string, seen = new Set<string>()): Set<string> => {
    const m = byName.get(name);
    const out = new Set<string>();
    if (m === undefined || seen.has(name)) return out;
    seen.add(name);
    for (const e of m.extends) for (const d of declaredIn(e, seen)) out.add(d);
    for (const d of m.declared) out.add(d);
    return out;
  };
  for (const m of modules) {
    const known = declaredIn(m.name);
    for (const [ref, line] of m.references) {
      if (!known.has(ref) && !STANDARD_NAMES.has(ref)) problems.push(`${m.file}:${line}: ${ref} is not defined`);
    }
  }

  // Actions → events (and the mapping's own rows → actions that exist).
  const specActions = new Map<string, string>();
  for (const m of modules) for (const o of m.operators) if (o.isAction) specActions.set(o.name, `${m.file}:${o.line}`);
  for (const [name, where] of specActions) {
    const map = ACTIONS[name];
    if (map === undefined) {
      problems.push(`${where}: action ${name} has no mapping in src/model/mapping.ts`);
      continue;
    }
    if (map.kind === 'event') {
      for (const { machine, event } of map.events) {
        if (!MACHINES[machine].events.includes(event)) problems.push(`${where}: action ${name} maps to ${machine} event ${event}, which the machine does not accept`);
      }
    }
  }
  const allOps = new Set(modules.flatMap((m) => m.operators.map((o) => o.name)));
  for (const [name, map] of Object.entries(ACTIONS)) {
    // Disjunctions such as Next mention no variable themselves: they need only exist.
    if (map.kind === 'structure' ? !allOps.has(name) : !specActions.has(name)) problems.push(`src/model/mapping.ts: ${name} is not an action of any spec module`);
  }

  // Events → actions (or a reason they are not modelled).
  const mapped = new Set<string>();
  for (const a of Object.values(ACTIONS)) if (a.kind === 'event') for (const e of a.events) mapped.add(`${e.machine} ${e.event}`);
  let events = 0;
  for (const [machine, def] of Object.entries(MACHINES)) {
    for (const e of def.events) {
      events++;
      const k = `${machine} ${e}`;
      if (!mapped.has(k) && UNMODELLED_EVENTS[k] === undefined) problems.push(`${machine} machine event ${e} maps to no TLA+ action and is not listed as unmodelled`);
      if (mapped.has(k) && UNMODELLED_EVENTS[k] !== undefined) problems.push(`${machine} event ${e} is both mapped and listed as unmodelled`);
    }
  }
  for (const k of Object.keys(UNMODELLED_EVENTS)) {
    const [machine, event] = k.split(' ') as [MachineName, string];
    if (!MACHINES[machine]?.events.includes(event)) problems.push(`src/model/mapping.ts: unmodelled event ${k} does not exist`);
  }

  // Configs: INIT/NEXT/invariants defined, constants declared, invariants mapped to predicates.
  const configs: TlcConfig[] = [];
  const configured = new Set<string>();
  for (const f of files.filter((x) => x.endsWith('.cfg'))) {
    const cfg = parseConfig(`spec/${f}`, readFileSync(join(specDir, f), 'utf8'));
    configs.push(cfg);
    if (!byName.has(cfg.module)) {
      problems.push(`${cfg.file}: no module ${cfg.module}.tla`);
      continue;
    }
    const { ops, decls } = scope(cfg.module);
    if (cfg.init === undefined || !ops.has(cfg.init)) problems.push(`${cfg.file}: INIT ${cfg.init ?? '(missing)'} is not defined`);
    if (cfg.next === undefined || !ops.has(cfg.next)) problems.push(`${cfg.file}: NEXT ${cfg.next ?? '(missing)'} is not defined`);
    for (const c of cfg.constants) if (!decls.has(c)) problems.push(`${cfg.file}: constant ${c} is not declared`);
    for (const d of decls) {
      const isConst = modules.some((m) => m.constants.includes(d));
      if (isConst && !cfg.constants.includes(d)) problems.push(`${cfg.file}: constant ${d} has no value`);
    }
    if (cfg.invariants.length === 0) problems.push(`${cfg.file}: checks no invariant`);
    for (const inv of cfg.invariants) {
      if (!ops.has(inv)) problems.push(`${cfg.file}: invariant ${inv} is not defined in ${cfg.module} or what it extends`);
      const pred = INVARIANT_MAP[inv];
      if (pred === undefined) problems.push(`${cfg.file}: invariant ${inv} maps to no checker predicate (src/model/mapping.ts)`);
      else if (!INVARIANT_NAMES.includes(pred)) problems.push(`${cfg.file}: invariant ${inv} maps to ${pred}, which src/model/invariants.ts does not define`);
      else configured.add(pred);
    }
  }
  for (const p of INVARIANT_NAMES) if (!configured.has(p)) problems.push(`checker predicate ${p} is checked by no TLC config`);

  // spec/README.md names every action and invariant (its mapping table).
  let readme = '';
  try {
    readme = readFileSync(join(specDir, 'README.md'), 'utf8');
  } catch {
    problems.push('spec/README.md is missing');
  }
  if (readme !== '') {
    for (const name of [...specActions.keys(), ...Object.keys(INVARIANT_MAP)]) {
      if (!readme.includes(`\`${name}\``)) problems.push(`spec/README.md does not mention \`${name}\``);
    }
  }

  return { modules, configs, problems, actions: specActions.size, events, invariants: configured.size };
}
