/**
 * Canonical identities of machine contexts for the visited set. Object keys are sorted, undefined
 * and functions dropped, and selected keys skipped (the injected environment — crypto, policy,
 * defences — is the same in every state of a run; release's `effects` only reports the last event
 * and no guard reads it). Equal ids ⇔ equal structure, whatever order fields were added in.
 *
 * Objects are hash-consed: an object's id is `@n`, where n interns its shallow rendering in which
 * children already appear as ids. So a new context costs only its own fields, never a deep walk of
 * the messages and claims it shares with the snapshot before it; and a state's key stays short.
 * This relies on contexts being immutable, which XState guarantees (assign makes new objects).
 */
export function canonical(v: unknown, skip: ReadonlySet<string> = NO_SKIP): string {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
    case 'boolean':
      return String(v);
    case 'object':
      return v === null ? 'null' : objectId(v, skip);
    default:
      return 'null';
  }
}

interface Table {
  readonly ids: WeakMap<object, string>;
  readonly shapes: Map<string, string>;
}

const tables = new Map<ReadonlySet<string>, Table>();

function objectId(v: object, skip: ReadonlySet<string>): string {
  let t = tables.get(skip);
  if (t === undefined) {
    t = { ids: new WeakMap(), shapes: new Map() };
    tables.set(skip, t);
  }
  let id = t.ids.get(v);
  if (id !== undefined) return id;
  const shape = shallow(v, skip);
  id = t.shapes.get(shape);
  if (id === undefined) {
    id = `@${t.shapes.size}`;
    t.shapes.set(shape, id);
  }
  t.ids.set(v, id);
  return id;
}

function shallow(v: object, skip: ReadonlySet<string>): string {
  if (Array.isArray(v)) {
    let s = '[';
    for (let i = 0; i < v.length; i++) s += (i > 0 ? ',' : '') + canonical(v[i], skip);
    return `${s}]`;
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).sort();
  let s = '{';
  let first = true;
  for (const k of keys) {
    const x = o[k];
    if (x === undefined || typeof x === 'function' || skip.has(k)) continue;
    s += `${first ? '' : ','}${k}:${canonical(x, skip)}`;
    first = false;
  }
  return `${s}}`;
}

const NO_SKIP: ReadonlySet<string> = new Set();

/** Full, readable canonical JSON of a value (no ids): for tests and debugging. */
export function canonicalJson(v: unknown, skip: ReadonlySet<string> = NO_SKIP): string {
  if (v === null || typeof v !== 'object') return canonical(v, skip);
  if (Array.isArray(v)) return `[${v.map((x) => canonicalJson(x, skip)).join(',')}]`;
  const o = v as Record<string, unknown>;
  const parts: string[] = [];
  for (const k of Object.keys(o).sort()) {
    const x = o[k];
    if (x === undefined || typeof x === 'function' || skip.has(k)) continue;
    parts.push(`${JSON.stringify(k)}:${canonicalJson(x, skip)}`);
  }
  return `{${parts.join(',')}}`;
}

/** Memoizes a rendering per object: unchanged machine snapshots are shared between states. */
export function memoCanonical<T extends object>(render: (o: T) => string): (o: T) => string {
  const cache = new WeakMap<T, string>();
  return (o: T) => {
    let s = cache.get(o);
    if (s === undefined) {
      s = render(o);
      cache.set(o, s);
    }
    return s;
  };
}
