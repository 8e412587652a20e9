/**
 * The conformance runner: starts the implementation under test once per case, plays the reference
 * peer or the network attacker against it, and judges its outcome against the case's expectation.
 */
import type { Defences } from '../make/types.js';
import { ImplProcess } from './impl-process.js';
import { AttestflowError } from '../errors.js';
import { ConformanceError, type ImplMessage, type WireEdgeKeys } from './protocol.js';

/** How long the implementation may take to answer one message of a handshake. */
export const STEP_TIMEOUT_MS = 10_000;

/** Lines of the exchange kept for a failed case. */
const EXCHANGE_LINES = 24;

/** What a case expects the implementation under test to end with. */
export type Expectation = { readonly outcome: 'keys' } | { readonly outcome: 'error'; readonly codes: readonly string[] };

/** One conformance case. */
export interface ConformanceCase {
  /** Stable identifier, e.g. `neg.tampered-msg2`. */
  readonly id: string;
  /** One line saying what the case does. */
  readonly title: string;
  /** The defence the case exercises, in words (e.g. "evidence bound to the transcript"). */
  readonly defence: string;
  /**
   * The `Defences` flags whose removal alone makes this case fail (the mutant test checks this set
   * both ways). Empty for checks that no flag switches off (framing, suite negotiation).
   */
  readonly covers: readonly (keyof Defences)[];
  readonly expect: Expectation;
  run(ctx: CaseContext): Promise<void>;
}

/** The outcome of one session of the implementation under test. */
export type Outcome =
  | { readonly outcome: 'keys'; readonly keys: WireEdgeKeys }
  | { readonly outcome: 'error'; readonly code: string; readonly detail?: string; readonly message?: string };

/** Raised by a case when the implementation did something the case rules out (beyond the final outcome). */
export class CaseFailure extends Error {}

/** What a case can do with the implementation under test. */
export class CaseContext {
  /** Final outcome per session, filled by {@link CaseContext.read}. */
  readonly outcomes = new Map<string, Outcome>();
  /** The session whose outcome the case's expectation is judged on. */
  judged: string | undefined;
  /** Extra check on a `keys` outcome (e.g. equal to the reference peer's keys); returns a failure reason. */
  checkKeys: ((keys: WireEdgeKeys) => string | undefined) | undefined;

  constructor(
    readonly impl: ImplProcess,
    readonly timeoutMs: number,
  ) {}

  /**
   * Reads the implementation's next line for `session`: a frame to send, or its final outcome.
   * Lines of other sessions are recorded (frames are queued per session) so cases may interleave.
   */
  async read(session: string, timeoutMs = this.timeoutMs): Promise<ImplMessage> {
    const pending = this.pendingFrames.get(session);
    if (pending !== undefined && pending.length > 0) return pending.shift() as ImplMessage;
    for (;;) {
      const m = await this.impl.next(timeoutMs);
      if (m.op === 'hello') throw new ConformanceError('conformance.protocol', 'unexpected hello');
      if (m.op === 'keys') this.outcomes.set(m.session, { outcome: 'keys', keys: m.keys });
      if (m.op === 'error') {
        const { op: _op, session: _s, ...rest } = m;
        this.outcomes.set(m.session, { outcome: 'error', ...rest });
      }
      if (m.session === session) return m;
      if (m.op === 'send') {
        const q = this.pendingFrames.get(m.session) ?? [];
        q.push(m);
        this.pendingFrames.set(m.session, q);
      }
    }
  }
  private readonly pendingFrames = new Map<string, ImplMessage[]>();

  /** Reads the next frame `session` sends; fails the case if the session ends instead. */
  async frame(session: string, what: string): Promise<Uint8Array> {
    const m = await this.read(session);
    if (m.op === 'send') return Buffer.from(m.frame, 'hex');
    if (m.op === 'keys') throw new CaseFailure(`expected ${what}, but the implementation exported keys`);
    if (m.op === 'error') throw new CaseFailure(`expected ${what}, but the implementation failed with ${m.code}${m.message ? ` (${m.message})` : ''}`);
    throw new CaseFailure(`expected ${what}, got ${m.op}`);
  }

  /** Delivers a frame to `session`. */
  deliver(session: string, frame: Uint8Array): void {
    this.impl.send({ op: 'recv', session, frame: Buffer.from(frame).toString('hex') });
  }

  /**
   * Waits until `session` ends and returns its outcome. Frames it sends meanwhile are dropped
   * (the attacker does not answer them), so an implementation that waits for more fails by timeout.
   */
  async outcome(session: string): Promise<Outcome> {
    for (;;) {
      const known = this.outcomes.get(session);
      if (known !== undefined) return known;
      await this.read(session);
    }
  }
}

export interface CaseResult {
  readonly id: string;
  readonly title: string;
  readonly defence: string;
  readonly covers: readonly (keyof Defences)[];
  readonly passed: boolean;
  /** What happened (the outcome observed, or why the case failed). */
  readonly detail: string;
  readonly ms: number;
  /** On failure: the last lines exchanged with the implementation (`>` to it, `<` from it). */
  readonly exchange?: readonly string[];
}

function describe(o: Outcome): string {
  return o.outcome === 'keys' ? `keys for ${o.keys.edge} epoch ${o.keys.epoch}` : `error ${o.code}${o.detail === undefined ? '' : ` (${o.detail})`}`;
}

/** Judges a session's outcome against the case's expectation; returns a failure reason or undefined. */
export function judge(expect: Expectation, o: Outcome, checkKeys?: (k: WireEdgeKeys) => string | undefined): string | undefined {
  if (expect.outcome === 'keys') {
    if (o.outcome !== 'keys') return `expected keys, got ${describe(o)}${o.message ? ` (${o.message})` : ''}`;
    return checkKeys?.(o.keys);
  }
  if (o.outcome === 'keys') return `expected error ${expect.codes.join(' or ')}, but the implementation exported keys (attack succeeded)`;
  if (!expect.codes.includes(o.code)) return `expected error ${expect.codes.join(' or ')}, got ${o.code}${o.message ? ` (${o.message})` : ''}`;
  return undefined;
}

/** Runs one case against a fresh process of `impl`. Never throws: every problem is a failed case. */
export async function runCase(c: ConformanceCase, impl: string, timeoutMs = STEP_TIMEOUT_MS): Promise<CaseResult> {
  const t0 = performance.now();
  const base = { id: c.id, title: c.title, defence: c.defence, covers: c.covers };
  let p: ImplProcess | undefined;
  const result = (passed: boolean, detail: string): CaseResult => {
    const r = { ...base, passed, detail, ms: Math.round(performance.now() - t0) };
    return passed || p === undefined ? r : { ...r, exchange: p.log.slice(-EXCHANGE_LINES) };
  };
  try {
    p = await ImplProcess.start(impl);
    const ctx = new CaseContext(p, timeoutMs);
    await c.run(ctx);
    if (ctx.judged === undefined) throw new Error(`case ${c.id} judged no session`);
    const o = await ctx.outcome(ctx.judged);
    const why = judge(c.expect, o, ctx.checkKeys);
    return why === undefined ? result(true, describe(o)) : result(false, why);
  } catch (e) {
    if (e instanceof CaseFailure) return result(false, e.message);
    // ConformanceError, or e.g. a wire error on a frame the implementation sent that the case had to read.
    if (e instanceof AttestflowError) return result(false, `[${e.code}] ${e.message}`);
    return result(false, `runner error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  } finally {
    await p?.stop();
  }
}

export interface RunOptions {
  /** Shell command that starts the implementation under test. */
  readonly impl: string;
  /** Only the cases whose id starts with one of these (all when empty). */
  readonly only?: readonly string[];
  readonly timeoutMs?: number;
  /** Cases run at once (each in its own process); results are still reported in case order. */
  readonly jobs?: number;
  /** Called after each case, in case order (for streaming output). */
  readonly onResult?: (r: CaseResult) => void;
}

/** Runs the selected cases, each against a fresh process of the implementation, `jobs` at a time. */
export async function runConformance(cases: readonly ConformanceCase[], opts: RunOptions): Promise<CaseResult[]> {
  const only = opts.only ?? [];
  const selected = only.length === 0 ? cases : cases.filter((c) => only.some((p) => c.id === p || c.id.startsWith(p)));
  const results: (CaseResult | undefined)[] = selected.map(() => undefined);
  let next = 0;
  let reported = 0;
  const flush = (): void => {
    while (reported < results.length && results[reported] !== undefined) opts.onResult?.(results[reported++] as CaseResult);
  };
  const worker = async (): Promise<void> => {
    while (next < selected.length) {
      const i = next++;
      results[i] = await runCase(selected[i] as ConformanceCase, opts.impl, opts.timeoutMs);
      flush();
    }
  };
  const jobs = Math.max(1, Math.min(opts.jobs ?? 1, selected.length));
  await Promise.all(Array.from({ length: jobs }, worker));
  return results as CaseResult[];
}

/** One human-readable line per case. */
export function formatResult(r: CaseResult): string {
  const covers = r.covers.length > 0 ? r.covers.join(',') : '-';
  return `${r.passed ? 'PASS' : 'FAIL'} ${r.id}  [defence: ${r.defence}; flags: ${covers}]  ${r.detail.split('\n')[0]} (${r.ms} ms)`;
}

/** The exchange of a failed case, indented, for `--verbose`. */
export function formatExchange(r: CaseResult): string {
  return (r.exchange ?? []).map((l) => `    ${l}\n`).join('');
}

/** The closing line. */
export function formatSummary(results: readonly CaseResult[]): string {
  const passed = results.filter((r) => r.passed).length;
  return `${passed} passed, ${results.length - passed} failed`;
}
