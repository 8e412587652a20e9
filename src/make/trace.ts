/** Protocol traces as ndjson: one TraceStep per line, appended synchronously (survives a crash). */
import { appendFileSync, readFileSync } from 'node:fs';
import type { TraceSink, TraceStep } from './party.js';

export function ndjsonTrace(path: string): TraceSink {
  return (step) => appendFileSync(path, `${JSON.stringify(step)}\n`);
}

export function readTrace(path: string): TraceStep[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as TraceStep);
}

/** Several sinks as one. */
export function teeTrace(...sinks: TraceSink[]): TraceSink {
  return (s) => {
    for (const k of sinks) k(s);
  };
}
