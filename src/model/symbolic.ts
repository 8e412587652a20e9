/**
 * Symbolic (Dolev–Yao) crypto for the model checker: every value is a term, and the only way to
 * learn a term is to be given it or to build it from terms one knows. Plugged into the MAKE
 * machines through their `MakeCrypto` interface, so the machines run unchanged over terms.
 *
 * Terms are hash-consed: a structurally equal term is always the same short string `§<id>`, so
 * equality is `===` (free), machine contexts serialize compactly, and a state's canonical key
 * stays small however deep the transcript hashes nest.
 */
import type { MakeCrypto, Part } from '../make/machines/values.js';

/** A symbolic value: `§` followed by the term's id in the intern table. */
export type Term = string;

/** Operators: atoms (names), DH public share, DH shared secret, hashes, KDF, MAC, evidence. */
export type Op = 'atom' | 'g' | 'dh' | 'h' | 'rd' | 'kdf' | 'mac' | 'ev';

/** Argument of a term: another term, a literal string (label, component) or a number. */
export type Arg = Term | string | number;

interface Node {
  readonly op: Op;
  readonly args: readonly Arg[];
}

const MARK = '§';

/** Hash-consing table shared by every run in the process (ids are stable within a run order). */
class TermTable {
  private readonly nodes: Node[] = [];
  private readonly index = new Map<string, Term>();

  make(op: Op, args: readonly Arg[]): Term {
    let k = op;
    for (const a of args) k += typeof a === 'number' ? `\u0001#${a}` : `\u0001${a}`;
    const hit = this.index.get(k);
    if (hit !== undefined) return hit;
    const t = `${MARK}${this.nodes.length}`;
    this.nodes.push({ op, args });
    this.index.set(k, t);
    return t;
  }

  node(t: Term): Node | undefined {
    if (!isTerm(t)) return undefined;
    return this.nodes[Number(t.slice(1))];
  }
}

const table = new TermTable();

export function isTerm(v: unknown): v is Term {
  return typeof v === 'string' && v.startsWith(MARK);
}

/** Builds (or finds) the term `op(args…)`. */
export function term(op: Op, ...args: Arg[]): Term {
  return table.make(op, args);
}

export function atom(name: string): Term {
  return table.make('atom', [name]);
}

export function opOf(t: unknown): Op | undefined {
  return isTerm(t) ? table.node(t)?.op : undefined;
}

export function argsOf(t: Term): readonly Arg[] {
  return table.node(t)?.args ?? [];
}

function asArg(p: Part): Arg {
  if (typeof p === 'string' || typeof p === 'number') return p;
  throw new TypeError(`symbolic crypto: unexpected value ${String(p)}`);
}

/** The MakeCrypto the model injects into the MAKE machines. */
export const symbolicCrypto: MakeCrypto<Term> = {
  dhPublic(secret: Term): Term {
    return term('g', secret);
  },
  dh(secret: Term, peerShare: Term): Term | undefined {
    // Only a well-formed share g(s) gives a shared secret; anything else is an invalid share.
    if (opOf(peerShare) !== 'g') return undefined;
    const other = argsOf(peerShare)[0] as Term;
    const [a, b] = secret < other ? [secret, other] : [other, secret];
    return term('dh', a, b);
  },
  hash(label: string, parts: readonly Part<Term>[]): Term {
    return term('h', label, ...parts.map(asArg));
  },
  reportData(label: string, parts: readonly Part<Term>[]): Term {
    return term('rd', label, ...parts.map(asArg));
  },
  kdf(ikm: Term, salt: Term, label: string, length: number): Term {
    return term('kdf', ikm, salt, label, length);
  },
  mac(key: Term, label: string, parts: readonly Part<Term>[]): Term {
    return term('mac', key, label, ...parts.map(asArg));
  },
  equal(a: Term, b: Term): boolean {
    return a === b;
  },
};

/** Evidence as a genuine TEE makes it: only TEEs can build `ev` terms (the attacker can only replay them). */
export function evidence(measurement: string, role: string, reportData: Term): Term {
  return term('ev', measurement, role, reportData);
}

/** The claims inside an evidence term, or undefined when the value is not evidence. */
export function evidenceClaims(t: unknown): { measurement: string; role: string; reportData: Term } | undefined {
  if (opOf(t) !== 'ev') return undefined;
  const [measurement, role, reportData] = argsOf(t as Term) as [string, string, Term];
  return { measurement, role, reportData };
}

/** The two secrets a DH shared secret combines (undefined for other terms). */
export function dhSecrets(t: unknown): readonly [Term, Term] | undefined {
  if (opOf(t) !== 'dh') return undefined;
  const [a, b] = argsOf(t as Term) as [Term, Term];
  return [a, b];
}

/** Readable rendering of a term for traces, elided below `depth`. */
export function render(v: unknown, depth = 2): string {
  if (!isTerm(v)) return typeof v === 'string' ? v : JSON.stringify(v);
  const n = table.node(v);
  if (n === undefined) return v;
  if (n.op === 'atom') return String(n.args[0]);
  if (depth <= 0) return `${n.op}(…)${v}`;
  const args = n.args.map((a) => (typeof a === 'number' ? String(a) : isTerm(a) ? render(a, depth - 1) : JSON.stringify(a)));
  return `${n.op}(${args.join(',')})`;
}
