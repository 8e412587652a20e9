/**
 * The runner judges, it does not just pass things: broken or lying implementations fail every
 * case with a clear reason, and a dead or silent one ends the run instead of hanging it.
 */
import fc from 'fast-check';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CASES } from '../src/conformance/cases.js';
import { ConformanceError, parseImplLine, parseRunnerLine, toLine } from '../src/conformance/protocol.js';
import { setupFor } from '../src/conformance/world.js';
import { repoRoot } from '../test/util/env.js';
import { ensureBuilt, parseJsonRun, runCli } from './helpers.js';

const fixture = (name: string): string => `node ${join(repoRoot, 'conformance', 'fixtures', name)}`;

beforeAll(() => ensureBuilt(), 120_000);

describe('conformance runner against implementations that do not conform', () => {
  it('an implementation that exports keys at once fails every case (attacks "succeed", handshakes send nothing)', { timeout: 180_000 }, async () => {
    const r = await runCli(['conformance', 'run', '--json', '--jobs', '4', '--timeout', '3000', '--impl', fixture('liar.mjs')]);
    const { results, summary } = parseJsonRun(r.stdout);
    expect(results).toHaveLength(CASES.length);
    expect(results.filter((x) => x.passed)).toEqual([]);
    for (const x of results) {
      if (x.id.startsWith('neg.')) expect(x.detail, x.id).toMatch(/exported keys \(attack succeeded\)|earlier session ended before/);
      else expect(x.detail, x.id).toMatch(/expected message 1\b.*but the implementation exported keys|exported keys, but the runner's peer never finished/);
    }
    expect(summary).toMatchObject({ passed: 0, failed: CASES.length });
    expect(r.status).toBe(1);
  });

  it('a silent implementation fails by timeout', async () => {
    const r = await runCli(['conformance', 'run', '--timeout', '500', '--case', 'neg.version', '--case', 'handshake.initiator', '--impl', fixture('silent.mjs')]);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^FAIL handshake\.initiator .*\[conformance\.timeout\] no answer from the implementation within 500 ms/);
    expect(lines[1]).toMatch(/^FAIL neg\.version .*\[conformance\.timeout\]/);
    expect(lines[2]).toBe('0 passed, 2 failed');
    expect(r.status).toBe(1);
  });

  it('an implementation that exits, speaks another protocol or writes garbage fails with the reason', async () => {
    const dead = await runCli(['conformance', 'run', '--case', 'neg.version', '--impl', 'echo dying >&2; exit 3']);
    expect(dead.stdout).toMatch(/FAIL neg\.version .*\[conformance\.impl-exited\] implementation exited \(status 3\); stderr: dying/);
    expect(dead.status).toBe(1);
    const other = await runCli(['conformance', 'run', '--case', 'neg.version', '--impl', fixture('wrong-protocol.mjs')]);
    expect(other.stdout).toMatch(/\[conformance\.protocol\] implementation speaks attestflow-make-conformance\/99/);
    const garbage = await runCli(['conformance', 'run', '--case', 'neg.version', '--impl', fixture('garbage.mjs')]);
    expect(garbage.stdout).toMatch(/\[conformance\.bad-line\] not JSON: this is not a protocol line/);
    expect(garbage.stdout.trim().split('\n').at(-1)).toBe('0 passed, 1 failed');
    // --verbose shows what was exchanged before the failure.
    const verbose = await runCli(['conformance', 'run', '--verbose', '--case', 'neg.version', '--impl', fixture('garbage.mjs')]);
    expect(verbose.stdout).toMatch(/\n {4}> \{"op":"hello","protocol":"attestflow-make-conformance\/1"\}\n {4}< \{"op":"hello"/);
    expect(verbose.stdout).toMatch(/\n {4}< this is not a protocol line\n/);
  });

  it('usage errors exit 2 with a message', async () => {
    const noImpl = await runCli(['conformance', 'run']);
    expect(noImpl.status).toBe(2);
    expect(noImpl.stderr).toMatch(/--impl/);
    const badCase = await runCli(['conformance', 'run', '--impl', 'true', '--case', 'no-such-case']);
    expect(badCase.status).toBe(2);
    expect(badCase.stderr).toMatch(/no case matches "no-such-case"/);
    const badJobs = await runCli(['conformance', 'run', '--impl', 'true', '--jobs', '0']);
    expect(badJobs.status).toBe(2);
    const badDefence = await runCli(['conformance', 'impl', '--disable-defence', 'moat']);
    expect(badDefence.status).toBe(2);
    expect(badDefence.stderr).toMatch(/unknown defence "moat"; one of: transcriptBinding/);
  });
});

describe('conformance protocol lines', () => {
  it('a setup line round-trips through the parser', () => {
    const s = setupFor({ session: 's1', role: 'initiator', self: 'alice', peer: 'bob' });
    expect(parseRunnerLine(toLine(s).trimEnd())).toEqual(s);
  });

  it('implementation lines are parsed strictly', () => {
    expect(parseImplLine('{"op":"send","session":"a","frame":"00ff"}')).toEqual({ op: 'send', session: 'a', frame: '00ff' });
    expect(parseImplLine('{"op":"error","session":"a","code":"make.bad-mac","detail":"x"}')).toEqual({ op: 'error', session: 'a', code: 'make.bad-mac', detail: 'x' });
    for (const bad of [
      '{"op":"send","session":"a","frame":"0g"}',
      '{"op":"send","session":"a","frame":"ABCD"}',
      '{"op":"send","session":"a","frame":"abc"}',
      '{"op":"send","session":"a","frame":"00","extra":1}',
      '{"op":"error","session":"a","code":"Bad Code"}',
      '{"op":"keys","session":"a","keys":{"edge":"a->b","epoch":-1,"initiatorToResponder":{"spi":1,"key":"","salt":""},"responderToInitiator":{"spi":1,"key":"","salt":""}}}',
      '{"op":"launch"}',
      '[1,2]',
      'null',
    ]) {
      expect(() => parseImplLine(bad), bad).toThrow(ConformanceError);
    }
  });

  it('fuzz: any string or JSON value is a line or a conformance.bad-line error, never a crash', () => {
    const check = (line: string) => {
      try {
        parseImplLine(line);
      } catch (e) {
        expect(e).toBeInstanceOf(ConformanceError);
        expect((e as ConformanceError).code).toBe('conformance.bad-line');
      }
      try {
        parseRunnerLine(line);
      } catch (e) {
        expect(e).toBeInstanceOf(ConformanceError);
      }
    };
    fc.assert(fc.property(fc.string(), check), { numRuns: 2000 });
    fc.assert(fc.property(fc.jsonValue().map((v) => JSON.stringify(v)), check), { numRuns: 2000 });
    const ops = fc.constantFrom('hello', 'send', 'keys', 'error', 'setup', 'recv', 'close');
    fc.assert(fc.property(ops, fc.dictionary(fc.string(), fc.jsonValue()), (op, rest) => check(JSON.stringify({ ...rest, op }))), { numRuns: 2000 });
  });
});
