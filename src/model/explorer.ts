/**
 * Breadth-first, exhaustive explorer for any finite transition system: the composed XState machines
 * plus the network attacker are one such system (see `world.ts`), but nothing here knows about MAKE.
 *
 * Breadth-first so the first violation found has a shortest counterexample. States are identified
 * by a canonical serialization (`key`), so the visited set is exact (no hash compaction: a collision
 * could hide a state); only the frontier holds live state objects, and a counterexample is rebuilt by
 * replaying the recorded transition labels from an initial state.
 */
import { createHash } from 'node:crypto';

/** One named safety property, checked in every reachable state. */
export interface Invariant<S> {
  readonly name: string;
  /** Undefined when the invariant holds; otherwise a short explanation of what broke. */
  check(state: S): string | undefined;
}

/** A finite transition system the explorer can walk. */
export interface TransitionSystem<S> {
  /** The initial states (usually one). */
  initial(): S[];
  /** Every enabled transition: a readable label (unique among a state's successors) and the next state. */
  successors(state: S): Iterable<readonly [label: string, next: S]>;
  /** Canonical serialization: equal iff the states are the same. */
  key(state: S): string;
  /** A short, readable rendering of a state for counterexample traces. */
  describe(state: S): string;
  readonly invariants: readonly Invariant<S>[];
}

export interface ExploreOptions {
  /** Stop (incomplete) after this many distinct states. */
  readonly maxStates?: number;
  /** Do not expand states at this depth (the run is then exhaustive only up to that depth). */
  readonly maxDepth?: number;
  /** Called after each BFS layer. */
  readonly onLayer?: (progress: { depth: number; states: number; transitions: number; elapsedMs: number }) => void;
}

export interface TraceStep {
  /** The transition taken to reach this state (`init` for the initial state). */
  readonly label: string;
  readonly state: string;
}

export interface Violation {
  readonly invariant: string;
  readonly message: string;
  /** Shortest path from an initial state to the violating state, both ends included. */
  readonly trace: readonly TraceStep[];
}

export interface ExploreResult {
  /** Distinct reachable states visited. */
  readonly states: number;
  /** Transitions taken (edges, including ones into already visited states). */
  readonly transitions: number;
  /** Largest BFS depth of a visited state. */
  readonly depth: number;
  /** True when every reachable state within the bounds was visited (the frontier emptied). */
  readonly complete: boolean;
  /** Why the run stopped early, when it did. */
  readonly stoppedBy?: 'maxStates' | 'maxDepth' | 'violation';
  readonly elapsedMs: number;
  /** SHA-256 over the sorted canonical keys of every visited state. */
  readonly digest: string;
  readonly violation?: Violation;
}

/** Explores `sys` breadth first, checking every invariant in every state; stops at the first violation. */
export function explore<S>(sys: TransitionSystem<S>, opts: ExploreOptions = {}): ExploreResult {
  const t0 = performance.now();
  const maxStates = opts.maxStates ?? Number.POSITIVE_INFINITY;
  const maxDepth = opts.maxDepth ?? Number.POSITIVE_INFINITY;
  const ids = new Map<string, number>();
  const keys: string[] = [];
  const parent: number[] = [];
  const via: string[] = [];
  let transitions = 0;
  let depth = 0;
  let stoppedBy: ExploreResult['stoppedBy'];

  const finish = (violation?: Violation): ExploreResult => {
    const digest = createHash('sha256');
    for (const k of [...keys].sort()) digest.update(k).update('\n');
    return {
      states: keys.length,
      transitions,
      depth,
      complete: stoppedBy === undefined,
      ...(stoppedBy !== undefined ? { stoppedBy } : {}),
      elapsedMs: performance.now() - t0,
      digest: digest.digest('hex'),
      ...(violation !== undefined ? { violation } : {}),
    };
  };

  const visit = (state: S, from: number, label: string): number | undefined => {
    const k = sys.key(state);
    if (ids.has(k)) return undefined;
    const id = keys.length;
    ids.set(k, id);
    keys.push(k);
    parent.push(from);
    via.push(label);
    return id;
  };

  const check = (state: S, id: number): Violation | undefined => {
    for (const inv of sys.invariants) {
      const message = inv.check(state);
      if (message !== undefined) {
        return { invariant: inv.name, message, trace: rebuildTrace(sys, keys, parent, via, id) };
      }
    }
    return undefined;
  };

  let frontier: Array<[S, number]> = [];
  for (const s of sys.initial()) {
    const id = visit(s, -1, 'init');
    if (id === undefined) continue;
    const v = check(s, id);
    if (v) {
      stoppedBy = 'violation';
      return finish(v);
    }
    frontier.push([s, id]);
  }

  while (frontier.length > 0) {
    if (depth >= maxDepth) {
      stoppedBy = 'maxDepth';
      break;
    }
    const next: Array<[S, number]> = [];
    for (const [state, id] of frontier) {
      for (const [label, succ] of sys.successors(state)) {
        transitions++;
        const sid = visit(succ, id, label);
        if (sid === undefined) continue;
        const v = check(succ, sid);
        if (v) {
          depth++;
          stoppedBy = 'violation';
          return finish(v);
        }
        if (keys.length >= maxStates) {
          depth++;
          stoppedBy = 'maxStates';
          return finish();
        }
        next.push([succ, sid]);
      }
    }
    if (next.length > 0) depth++;
    frontier = next;
    opts.onLayer?.({ depth, states: keys.length, transitions, elapsedMs: performance.now() - t0 });
  }
  return finish();
}

/** Replays the recorded labels from an initial state to recover the readable states of a path. */
function rebuildTrace<S>(sys: TransitionSystem<S>, keys: string[], parent: number[], via: string[], id: number): TraceStep[] {
  const path: number[] = [];
  for (let at = id; at !== -1; at = parent[at] as number) path.push(at);
  path.reverse();
  const first = path[0] as number;
  let state = sys.initial().find((s) => sys.key(s) === keys[first]);
  if (state === undefined) throw new Error('explorer: initial state of a trace not reproducible');
  const trace: TraceStep[] = [{ label: via[first] as string, state: sys.describe(state) }];
  for (const step of path.slice(1)) {
    let found: S | undefined;
    for (const [label, succ] of sys.successors(state)) {
      if (label === via[step] && sys.key(succ) === keys[step]) {
        found = succ;
        break;
      }
    }
    // A system whose successors are not a function of the state would make traces lie: refuse.
    if (found === undefined) throw new Error(`explorer: transition ${via[step]} not reproducible (successors must be deterministic)`);
    state = found;
    trace.push({ label: via[step] as string, state: sys.describe(state) });
  }
  return trace;
}

/** Renders a counterexample as numbered steps, one transition and resulting state per step. */
export function formatTrace(v: Violation): string {
  const lines = [`invariant ${v.invariant} violated: ${v.message}`, `counterexample (${v.trace.length - 1} transitions, shortest):`];
  v.trace.forEach((step, i) => {
    lines.push(`  ${String(i).padStart(2)}. ${step.label}`);
    for (const l of step.state.split('\n')) lines.push(`        ${l}`);
  });
  return lines.join('\n');
}
