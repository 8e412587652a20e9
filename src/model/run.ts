/**
 * `attestflow model-check` / `npm run model-check`: the exhaustive exploration of the composed
 * machines with every defence on, and the attack mutants (one defence off each), as a report.
 */
import { ALL_DEFENCES, type Defences } from '../make/types.js';
import { explore, formatTrace, type ExploreOptions, type ExploreResult } from './explorer.js';
import { MakeWorld, type Bounds } from './world.js';

export const DEFENCE_NAMES = Object.keys(ALL_DEFENCES) as (keyof Defences)[];

/**
 * The configurations `npm run model-check` explores exhaustively (each to completion). `attacks`
 * has the whole cast (C in the wrong role, the attacker opening its own sessions, revocation,
 * release) for one epoch: ~174,000 states. `rekey` keys the edge twice (epoch 2 with fresh
 * evidence) with a smaller cast. Together well over 100,000 distinct states in about a minute of
 * CPU on this 2-core machine.
 */
export const CONFIGS: readonly { readonly name: string; readonly bounds: Bounds }[] = [
  { name: 'attacks', bounds: { epochs: 1, responderSessions: { B: 2, C: 1 }, attackerInitiates: true, revocation: true, release: true } },
  { name: 'rekey', bounds: { epochs: 2, responderSessions: { B: 2, C: 0 }, attackerInitiates: false, revocation: true, release: true } },
];

/** The bounds the mutants run with (the attack configuration). */
export const CI_BOUNDS: Bounds = (CONFIGS[0] as { bounds: Bounds }).bounds;

export interface CheckReport {
  readonly bounds: Bounds;
  readonly defences: Readonly<Defences>;
  readonly result: ExploreResult;
}

export function checkModel(opts: { bounds?: Bounds; defences?: Readonly<Defences>; maxStates?: number; onLayer?: ExploreOptions['onLayer'] } = {}): CheckReport {
  const bounds = opts.bounds ?? CI_BOUNDS;
  const defences = opts.defences ?? ALL_DEFENCES;
  const world = new MakeWorld({ bounds, defences });
  const result = explore(world, {
    ...(opts.maxStates !== undefined ? { maxStates: opts.maxStates } : {}),
    ...(opts.onLayer !== undefined ? { onLayer: opts.onLayer } : {}),
  });
  return { bounds, defences, result };
}

export interface MutantReport {
  readonly defence: keyof Defences;
  readonly caught: boolean;
  readonly invariant?: string;
  readonly message?: string;
  /** Transitions in the shortest counterexample. */
  readonly traceLength?: number;
  readonly states: number;
  readonly elapsedMs: number;
  readonly trace?: string;
}

/** One mutant per defence: the machines with exactly that defence off must violate an invariant. */
export function checkMutants(opts: { bounds?: Bounds; only?: readonly (keyof Defences)[]; maxStates?: number } = {}): MutantReport[] {
  const out: MutantReport[] = [];
  for (const defence of opts.only ?? DEFENCE_NAMES) {
    const { result } = checkModel({ bounds: opts.bounds ?? CI_BOUNDS, defences: { ...ALL_DEFENCES, [defence]: false }, ...(opts.maxStates !== undefined ? { maxStates: opts.maxStates } : {}) });
    const v = result.violation;
    out.push({
      defence,
      caught: v !== undefined,
      ...(v !== undefined ? { invariant: v.invariant, message: v.message, traceLength: v.trace.length - 1, trace: formatTrace(v) } : {}),
      states: result.states,
      elapsedMs: result.elapsedMs,
    });
  }
  return out;
}

export function formatBounds(b: Bounds): string {
  return [
    `epochs=${b.epochs}`,
    `responder sessions B=${b.responderSessions.B} C=${b.responderSessions.C}`,
    `attacker initiates=${b.attackerInitiates}`,
    `revocation=${b.revocation}`,
    `release=${b.release}`,
  ].join(', ');
}

export function formatResult(r: ExploreResult): string {
  const secs = r.elapsedMs / 1000;
  return [
    `states:      ${r.states.toLocaleString('en-US')} distinct`,
    `transitions: ${r.transitions.toLocaleString('en-US')}`,
    `depth:       ${r.depth}`,
    `complete:    ${r.complete ? 'yes (every reachable state within the bounds visited)' : `no (stopped by ${r.stoppedBy})`}`,
    `time:        ${secs.toFixed(1)} s, ${Math.round(r.states / Math.max(secs, 1e-3)).toLocaleString('en-US')} states/s`,
    `digest:      sha256:${r.digest} (sorted canonical keys of the visited set)`,
  ].join('\n');
}
