/**
 * Fault tests on the network between agents (real MAKE over loopback TCP through a man in the
 * middle): a peer that never answers; duplicated, delayed, reordered and tampered messages. Each
 * checks that no key is installed for an unverified peer, that retries are bounded with backoff,
 * and that the cluster converges once the fault is gone.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SimWorldSpec } from '../../src/agent/sim-world.js';
import { FrameDecoder } from '../../src/wire/frame.js';
import { Cluster, edgeKeysMatch, sleep, until, simComponents } from './support/cluster.js';
import { startBlackHole, startFaultProxy, type FaultProxy, makeFramer } from './support/fault-proxy.js';

const SPEC: SimWorldSpec = {
  workflow: 'fault-test',
  components: simComponents('10.0.0.1'),
  edges: [
    { from: 'a', to: 'c', protocol: 'tcp', port: 7001 },
    { from: 'b', to: 'c', protocol: 'tcp', port: 7002 },
  ],
};

let cluster: Cluster | undefined;
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await cluster?.stopAll();
  cluster = undefined;
  for (const c of closers.splice(0)) await c();
});

async function proxyTo(c: Cluster, target: string, rule: Parameters<typeof startFaultProxy>[2]): Promise<FaultProxy> {
  const ep = c.listening.get(target);
  if (!ep) throw new Error('no listener');
  const p = await startFaultProxy(ep, makeFramer, rule);
  closers.push(() => p.close());
  c.route.set(target, { host: '127.0.0.1', port: p.port });
  return p;
}

describe('faults between agents', () => {
  it('a peer that never answers: each attempt times out, attempts are bounded with growing delays, nothing is installed; it converges once the peer answers', async () => {
    const c = (cluster = new Cluster(SPEC));
    await c.add('c', { start: false });
    const hole = await startBlackHole();
    closers.push(() => hole.close());
    c.route.set('c', { host: '127.0.0.1', port: hole.port });
    const t0 = Date.now();
    const a = await c.add('a', { timeoutMs: 150 });
    await until(() => a.agent.status().edges[0]?.status === 'failed', 5_000, 'round exhausted');
    const took = Date.now() - t0;
    const st = a.agent.status().edges[0];
    expect(st?.attempts).toBe(4);
    expect(st?.lastError).toBe('agent.handshake-timeout');
    expect(hole.accepted()).toBe(4);
    // 4 timeouts of 150 ms plus 3 backoff delays of at least 2, 4 and 8 ms (a tenth of 20, 40, 80).
    expect(took).toBeGreaterThanOrEqual(4 * 150);
    expect(a.keys.size).toBe(0);
    await sleep(300);
    expect(hole.accepted()).toBe(4); // bounded: no retry storm after the round
    // The fault goes away: the real peer answers, and the next epoch keys the edge.
    c.route.delete('c');
    await c.get('c').agent.start();
    a.agent.newEpoch();
    await until(() => a.agent.allKeyed() && c.get('c').keys.size === 2, 5_000, 'converged');
    expect(edgeKeysMatch(c, 'a->c').match).toBe(true);
  });

  it('duplicated messages: every frame sent twice, the handshake still completes once with matching keys', async () => {
    const c = (cluster = new Cluster(SPEC));
    await c.add('c', { start: false });
    const p = await proxyTo(c, 'c', () => ({ copies: 2 }));
    await c.get('c').agent.start();
    const a = await c.add('a');
    await until(() => a.agent.allKeyed() && c.get('c').keys.size === 2, 5_000, 'keyed');
    expect(edgeKeysMatch(c, 'a->c')).toEqual({ epochs: [1], match: true });
    expect(p.seen.i2r).toBe(2); // m1 and m3 ...
    expect(p.forwarded.i2r).toBe(4); // ... each delivered twice
    expect(p.forwarded.r2i).toBe(4); // m2 and m4, each twice
    expect(a.agent.status().handshakes).toEqual({ ok: 1, failed: 0 });
    expect(c.get('c').agent.status().handshakes).toEqual({ ok: 1, failed: 0 });
  });

  it('delayed messages: 150 ms on every frame, within the deadline, still keys the edge', async () => {
    const c = (cluster = new Cluster(SPEC));
    await c.add('c', { start: false });
    await proxyTo(c, 'c', () => ({ delayMs: 150 }));
    await c.get('c').agent.start();
    const a = await c.add('a', { timeoutMs: 2_000 });
    await until(() => a.agent.allKeyed(), 5_000, 'keyed');
    expect(edgeKeysMatch(c, 'a->c').match).toBe(true);
    expect(a.agent.status().handshakes.failed).toBe(0);
  });

  it('reordered messages: the first message of one handshake is held back until another handshake overtook it; both complete', async () => {
    const c = (cluster = new Cluster(SPEC));
    await c.add('c', { start: false });
    let held = false;
    await proxyTo(c, 'c', (dir, index, _f, conn) => {
      if (dir === 'i2r' && index === 0 && conn === 0) {
        held = true;
        return 'hold';
      }
      if (dir === 'i2r' && index === 0 && conn === 1 && held) return 'release-held';
      return {};
    });
    await c.get('c').agent.start();
    const a = await c.add('a');
    await sleep(50);
    const b = await c.add('b');
    await until(() => a.agent.allKeyed() && b.agent.allKeyed() && c.get('c').agent.allKeyed(), 5_000, 'all keyed');
    expect(edgeKeysMatch(c, 'a->c').match).toBe(true);
    expect(edgeKeysMatch(c, 'b->c').match).toBe(true);
  });

  it('a stale duplicate delivered late, and a frame replayed into a new connection, are refused without harm', async () => {
    const c = (cluster = new Cluster(SPEC));
    await c.add('c', { start: false });
    const firstM1: Buffer[] = [];
    await proxyTo(c, 'c', (dir, index, f, conn) => {
      if (dir === 'i2r' && index === 0 && conn === 0) firstM1.push(Buffer.from(f));
      return {};
    });
    await c.get('c').agent.start();
    const a = await c.add('a');
    await until(() => a.agent.allKeyed(), 5_000, 'keyed');
    // Replay the recorded m1 on a fresh connection to c, as the network attacker would.
    const { connect } = await import('node:net');
    const ep = c.listening.get('c')!;
    const s = connect(ep.port, ep.host);
    await new Promise((r) => s.once('connect', r));
    s.write(firstM1[0]!);
    await until(() => (c.get('c').agent.status().failures['make.replay'] ?? 0) === 1, 3_000, 'replay refused');
    s.destroy();
    expect(c.get('c').keys.size).toBe(2); // only the genuine session's SAs
  });

  it('a tampered message fails the handshake with a typed reason and installs nothing; the next attempt (fault gone) succeeds', async () => {
    const c = (cluster = new Cluster(SPEC));
    await c.add('c', { start: false });
    let tamper = true;
    await proxyTo(c, 'c', (dir, index, f) => {
      // Flip a bit in the last byte of m2 (inside the responder's MAC) once.
      if (tamper && dir === 'r2i' && index === 0) {
        tamper = false;
        f[f.length - 1]! ^= 1;
      }
      return {};
    });
    await c.get('c').agent.start();
    const a = await c.add('a');
    await until(() => a.agent.allKeyed(), 5_000, 'keyed after retry');
    const st = a.agent.status();
    expect(st.handshakes).toEqual({ ok: 1, failed: 1 });
    expect(Object.keys(st.failures)).toHaveLength(1);
    expect(Object.keys(st.failures)[0]).toMatch(/^make\./);
    expect(edgeKeysMatch(c, 'a->c')).toEqual({ epochs: [1], match: true });
    // The responder saw the failed session end without m3: nothing was installed for it.
    expect(c.get('c').keys.size).toBe(2);
    expect(new FrameDecoder().pending).toBe(0);
  });
});
