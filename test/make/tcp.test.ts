import { createConnection, createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MakeListener, runInitiator, type MakeResult } from '../../src/make/driver.js';
import { isAttestflowError } from '../../src/errors.js';
import { keysDigest } from '../../src/make/party.js';
import { ndjsonTrace, readTrace } from '../../src/make/trace.js';
import { checkTraceFile } from '../../model-tests/trace-check.js';
import type { MakeFailure } from '../../src/make/reasons.js';
import { makeWorld } from './fixtures.js';

const traceDir = mkdtempSync(join(tmpdir(), 'af-make-trace-'));
const traceFile = join(traceDir, 'tcp.ndjson');
afterAll(() => rmSync(traceDir, { recursive: true, force: true }));

const w = makeWorld(2);
/** Every party of these tests writes its protocol steps to one ndjson trace. */
const cfg = (self: string, attester: (typeof w.attesters)[keyof typeof w.attesters], policy: ReturnType<typeof w.policy>) =>
  w.config(self, attester, policy, { trace: ndjsonTrace(traceFile) });

async function withListener<T>(self: 'beta' | 'gamma', f: (port: number, got: { keys: MakeResult[]; failures: MakeFailure[] }) => Promise<T>, policy = w.policy()): Promise<T> {
  const got = { keys: [] as MakeResult[], failures: [] as MakeFailure[] };
  const l = new MakeListener({
    ...cfg(self, w.attesters[self], policy),
    timeoutMs: 2000,
    onKeys: (r) => got.keys.push(r),
    onFailure: (f) => got.failures.push(f),
  });
  const { port } = await l.listen(0, '127.0.0.1');
  try {
    return await f(port, got);
  } finally {
    await l.close();
  }
}

async function failureOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return isAttestflowError(e) ? e.code : `untyped ${String(e)}`;
  }
}

describe('MAKE over real TCP', () => {
  it('keys an edge: both sides end with identical EdgeKeys', async () => {
    await withListener('beta', async (port, got) => {
      const r = await runInitiator({ ...cfg('alpha', w.attesters.alpha, w.policy()), host: '127.0.0.1', port, peer: 'beta', epoch: 1 });
      // the responder's export lands as its side closes
      for (let i = 0; i < 500 && got.keys.length === 0; i++) await new Promise((res) => setTimeout(res, 10));
      expect(got.keys).toHaveLength(1);
      expect(keysDigest(r.keys)).toBe(keysDigest(got.keys[0]!.keys));
      expect(r.peer).toBe('beta');
      expect(got.keys[0]!.peer).toBe('alpha');
      expect(r.attempts).toBe(1);
    });
  });

  it('keys many edges concurrently against one listener', async () => {
    await withListener('beta', async (port, got) => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, k) => runInitiator({ ...cfg('alpha', w.attesters.alpha, w.policy()), host: '127.0.0.1', port, peer: 'beta', epoch: k })),
      );
      for (let i = 0; i < 500 && got.keys.length < 20; i++) await new Promise((res) => setTimeout(res, 10));
      const mine = new Set(results.map((r) => keysDigest(r.keys)));
      const theirs = new Set(got.keys.map((r) => keysDigest(r.keys)));
      expect(mine.size).toBe(20);
      expect([...mine].every((d) => theirs.has(d))).toBe(true);
    });
  });

  it('a policy mismatch fails on both sides with typed reasons and exports nothing', async () => {
    await withListener('beta', async (port, got) => {
      const code = await failureOf(runInitiator({ ...cfg('alpha', w.attesters.alpha, w.policy(2)), host: '127.0.0.1', port, peer: 'beta', epoch: 1, retries: 0 }));
      // The responder refuses m1 (older policy) and closes: the initiator sees the transport close.
      expect(code).toBe('make.transport');
      for (let i = 0; i < 500 && got.failures.length === 0; i++) await new Promise((res) => setTimeout(res, 10));
      expect(got.failures.map((f) => f.code)).toEqual(['make.policy-downgrade']);
      expect(got.keys).toHaveLength(0);
    });
  });

  it('a diverted connection (a genuine TEE in another role) fails with make.role at the initiator', async () => {
    // The host of gamma's TEE tells it it is beta: it answers as beta with gamma's launch role.
    const got = { keys: [] as MakeResult[] };
    const l = new MakeListener({ ...cfg('beta', w.attesters.betaAsGamma, w.policy()), timeoutMs: 2000, onKeys: (r) => got.keys.push(r) });
    const { port } = await l.listen(0, '127.0.0.1');
    try {
      const code = await failureOf(runInitiator({ ...cfg('alpha', w.attesters.alpha, w.policy()), host: '127.0.0.1', port, peer: 'beta', epoch: 1, retries: 0 }));
      expect(code).toBe('make.role');
      expect(got.keys).toHaveLength(0);
    } finally {
      await l.close();
    }
  });

  it('times out against a silent peer, retries with backoff, and fails with make.timeout', async () => {
    const silent: Server = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    let conns = 0;
    silent.on('connection', (s) => { conns++; s.on('error', () => {}); s.resume(); /* read and ignore, so its close completes */ });
    try {
      const t0 = performance.now();
      const code = await failureOf(runInitiator({ ...cfg('alpha', w.attesters.alpha, w.policy()), host: '127.0.0.1', port, peer: 'beta', epoch: 1, timeoutMs: 100, retries: 2, backoffMs: 20 }));
      expect(code).toBe('make.timeout');
      expect(conns).toBe(3);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(3 * 100 + 20 + 40);
    } finally {
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  it('a refused connection fails with make.transport after the retries', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as { port: number }).port;
    await new Promise<void>((r) => s.close(() => r()));
    const code = await failureOf(runInitiator({ ...cfg('alpha', w.attesters.alpha, w.policy()), host: '127.0.0.1', port, peer: 'beta', epoch: 1, retries: 1, backoffMs: 5 }));
    expect(code).toBe('make.transport');
  });

  it('oversized and truncated frames from the peer fail the handshake with make.malformed', async () => {
    for (const [name, bytes, end] of [
      ['oversize', Buffer.from([0xff, 0xff, 0xff, 0xff]), false],
      ['truncated', Buffer.from([0, 0, 0, 9, 1, 2]), true],
    ] as const) {
      const got: MakeFailure[] = [];
      const l = new MakeListener({ ...cfg('beta', w.attesters.beta, w.policy()), timeoutMs: 2000, onFailure: (f) => got.push(f) });
      const { port } = await l.listen(0, '127.0.0.1');
      try {
        const s = createConnection({ host: '127.0.0.1', port });
        await new Promise<void>((r) => s.once('connect', () => r()));
        s.on('error', () => {});
        s.write(bytes);
        if (end) s.end();
        for (let i = 0; i < 500 && got.length === 0; i++) await new Promise((res) => setTimeout(res, 10));
        s.destroy();
        expect(got, name).toEqual([{ code: 'make.malformed', detail: name === 'oversize' ? 'wire.oversize' : 'wire.truncated' }]);
      } finally {
        await l.close();
      }
    }
  });

  it('a hung attester cannot hold a handshake open: the deadline still ends it with make.timeout', async () => {
    const hung = { platform: 'sim' as const, attest: () => new Promise<never>(() => {}) };
    const got: MakeFailure[] = [];
    const l = new MakeListener({ ...cfg('beta', w.attesters.beta, w.policy()), attester: hung, timeoutMs: 150, onFailure: (f) => got.push(f) });
    const { port } = await l.listen(0, '127.0.0.1');
    try {
      const code = await failureOf(runInitiator({ ...cfg('alpha', w.attesters.alpha, w.policy()), host: '127.0.0.1', port, peer: 'beta', epoch: 1, timeoutMs: 5000, retries: 0 }));
      expect(code).toBe('make.transport'); // the responder gave up and closed
      expect(got).toEqual([{ code: 'make.timeout' }]);
    } finally {
      await l.close();
    }
  });

  it('every handshake above wrote a trace that the protocol model allows, step by step', () => {
    const steps = readTrace(traceFile);
    expect(new Set(steps.map((s) => s.session)).size).toBeGreaterThanOrEqual(40);
    expect(checkTraceFile(traceFile)).toEqual([]);
  });
});
