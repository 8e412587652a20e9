import { describe, expect, it } from 'vitest';
import { verifyEvidence } from '../../src/attestation/evidence/verify.js';
import { corpus, inputOf } from './corpus.js';

// Every entry of ../shared/vectors/expected.json: verdict, each check, failing checks and decoded
// fields must equal the corpus exactly (computed here from the evidence at the entry's pinned `now`).
describe('shared evidence corpus (expected.json)', () => {
  it('has the 83 entries the issue names', () => {
    expect(corpus).toHaveLength(83);
    expect(corpus.filter((e) => e.expected === 'valid')).toHaveLength(46);
  });

  it.each(corpus.map((e) => [e.id, e] as const))('%s', (_id, e) => {
    const r = verifyEvidence(inputOf(e));
    expect(r.checks).toEqual(e.checks);
    expect(r.failingChecks).toEqual(e.failing_checks);
    expect(r.verdict).toBe(e.expected);
    expect(r.fields).toEqual(e.fields);
    if (e.parse_error !== undefined) expect(r.parseError).toBe(e.parse_error);
  });
});
