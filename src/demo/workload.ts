/**
 * The demo's workflow payload: synthetic patient vitals that the hospital's `ingest` sends to the
 * ML vendor's `analyze`, which scores each record and forwards it to the insurer's `report`, which
 * aggregates. Pure functions, so the orchestrator can compute the expected result itself and check
 * that what crossed the encrypted data plane arrived whole and unaltered.
 */
import { createHash } from 'node:crypto';

/** Written into every record so a capture on the wire can show the plaintext never appears there. */
export const PLAINTEXT_MARKER = 'AF-DEMO-PLAINTEXT-MARKER';

export interface VitalsRecord {
  readonly id: number;
  readonly age: number;
  readonly systolic: number;
  readonly note: string;
}

export interface ScoredRecord extends VitalsRecord {
  readonly risk: 'low' | 'medium' | 'high';
}

export interface Report {
  readonly records: number;
  readonly byRisk: { readonly low: number; readonly medium: number; readonly high: number };
  /** SHA-256 over the scored records in order: any lost, reordered or altered record changes it. */
  readonly digest: string;
}

/** Deterministic records (a seeded LCG; no randomness needed to make the point). */
export function makeRecords(n: number, seed = 7): VitalsRecord[] {
  let x = seed >>> 0;
  const next = (): number => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
  return Array.from({ length: n }, (_, id) => ({ id, age: 20 + Math.floor(next() * 70), systolic: 95 + Math.floor(next() * 90), note: `${PLAINTEXT_MARKER} #${id}` }));
}

export function score(r: VitalsRecord): ScoredRecord {
  const s = (r.age - 20) / 70 + (r.systolic - 95) / 90;
  return { ...r, risk: s < 0.7 ? 'low' : s < 1.3 ? 'medium' : 'high' };
}

export class ReportBuilder {
  private readonly h = createHash('sha256');
  private readonly byRisk = { low: 0, medium: 0, high: 0 };
  private n = 0;

  add(r: ScoredRecord): void {
    this.h.update(`${JSON.stringify(r)}\n`);
    this.byRisk[r.risk]++;
    this.n++;
  }

  done(): Report {
    return { records: this.n, byRisk: { ...this.byRisk }, digest: this.h.digest('hex') };
  }
}

/** What `report` must compute if every record crossed both edges intact and in order. */
export function expectedReport(n: number): Report {
  const b = new ReportBuilder();
  for (const r of makeRecords(n)) b.add(score(r));
  return b.done();
}
