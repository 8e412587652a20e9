import { describe, expect, it } from 'vitest';
import { explore, formatTrace, type TransitionSystem } from '../src/model/explorer.js';

/** Two counters on a grid, each step increments one of them (mod n): n*n reachable states. */
function grid(n: number, bad?: (a: number, b: number) => boolean): TransitionSystem<[number, number]> {
  return {
    initial: () => [[0, 0]],
    *successors([a, b]) {
      yield [`a++`, [(a + 1) % n, b]] as const;
      yield [`b++`, [a, (b + 1) % n]] as const;
    },
    key: ([a, b]) => `${a},${b}`,
    describe: ([a, b]) => `a=${a} b=${b}`,
    invariants: bad === undefined ? [] : [{ name: 'NotBad', check: ([a, b]) => (bad(a, b) ? `bad at ${a},${b}` : undefined) }],
  };
}

describe('explorer', () => {
  it('visits every reachable state exactly once and knows it is complete', () => {
    const r = explore(grid(7));
    expect(r.states).toBe(49);
    expect(r.transitions).toBe(98);
    expect(r.depth).toBe(12);
    expect(r.complete).toBe(true);
    expect(r.violation).toBeUndefined();
  });

  it('returns a shortest counterexample, replayed with readable states', () => {
    const r = explore(grid(10, (a, b) => a === 3 && b === 4));
    expect(r.violation?.invariant).toBe('NotBad');
    expect(r.violation?.trace).toHaveLength(8); // init + 7 transitions: the Manhattan distance
    expect(r.violation?.trace[0]?.label).toBe('init');
    expect(r.violation?.trace.at(-1)?.state).toBe('a=3 b=4');
    expect(r.stoppedBy).toBe('violation');
    expect(formatTrace(r.violation!)).toContain('7 transitions, shortest');
  });

  it('checks the initial state too', () => {
    const r = explore(grid(3, (a, b) => a === 0 && b === 0));
    expect(r.violation?.trace).toHaveLength(1);
  });

  it('reports a run cut short by the state bound as incomplete', () => {
    const r = explore(grid(50), { maxStates: 100 });
    expect(r.states).toBe(100);
    expect(r.complete).toBe(false);
    expect(r.stoppedBy).toBe('maxStates');
  });

  it('reports a run cut short by the depth bound as incomplete', () => {
    const r = explore(grid(50), { maxDepth: 3 });
    expect(r.depth).toBe(3);
    expect(r.states).toBe(10);
    expect(r.complete).toBe(false);
  });

  it('digests the visited set: deterministic, and different for a different set', () => {
    expect(explore(grid(7)).digest).toBe(explore(grid(7)).digest);
    expect(explore(grid(7)).digest).not.toBe(explore(grid(8)).digest);
    expect(explore(grid(7)).digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses to print a trace it cannot reproduce (non-deterministic successors)', () => {
    let flip = 0;
    const sys: TransitionSystem<number> = {
      initial: () => [0],
      *successors(s) {
        // Labels stay the same but targets change between calls: a trace would lie.
        yield ['step', s + 1 + flip++ * 10] as const;
      },
      key: (s) => String(s),
      describe: (s) => String(s),
      invariants: [{ name: 'Small', check: (s) => (s > 2 ? 'big' : undefined) }],
    };
    expect(() => explore(sys)).toThrow(/not reproducible/);
  });
});
