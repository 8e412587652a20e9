/**
 * Canonical serialization of machine contexts for the visited set: object keys sorted, undefined
 * and functions dropped, selected keys skipped (the injected environment: crypto, policy and
 * defences are the same in every state of a run, and release's `effects` only reports the last
 * event and is read by no guard). Equal strings ⇔ equal states, whatever order fields were added in.
 */
export function canonical(v: unknown, skip: ReadonlySet<string> = NO_SKIP): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'object') {
    // Machine contexts share most nested objects (messages, claims, keys) between successive
    // snapshots: render each object once (they are immutable: XState assign makes new objects).
    let cache = caches.get(skip);
    if (cache === undefined) {
      cache = new WeakMap();
      caches.set(skip, cache);
    }
    let s = cache.get(v);
    if (s === undefined) {
      s = render(v, skip);
      cache.set(v, s);
    }
    return s;
  }
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
    case 'boolean':
      return String(v);
    default:
      return 'null';
  }
}

const caches = new Map<ReadonlySet<string>, WeakMap<object, string>>();

function render(v: object, skip: ReadonlySet<string>): string {
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
    s += `${first ? '' : ','}${JSON.stringify(k)}:${canonical(x, skip)}`;
    first = false;
  }
  return `${s}}`;
}

const NO_SKIP: ReadonlySet<string> = new Set();

/** Memoizes `canonical` per object: unchanged machine snapshots are shared between states. */
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
