/**
 * Faults that need real agent processes: an agent killed (SIGKILL) in the middle of a handshake and
 * restarted, on either side of the edge; and a network namespace link cut and restored. Agents run
 * as `attestflow agent` with the software TEE; their status endpoints are Unix sockets.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fetchStatus, type FetchedStatus } from '../../src/agent/status-client.js';
import { SimWorld } from '../../src/agent/sim-world.js';
import { createTopology, destroyTopology, setLink, type Topology } from '../../src/demo/netns.js';
import { simComponents } from './support/cluster.js';
import { ProcSet, type Proc } from '../../src/demo/procs.js';
import { announceSkip, kernelSkipReason, repoRoot } from '../util/env.js';
import { ensureBuilt } from './support/build.js';
import { startFaultProxy, type FaultProxy, makeFramer } from './support/fault-proxy.js';

const BIN = join(repoRoot, 'bin/attestflow.js');
const reason = kernelSkipReason();
announceSkip('agent process faults (netns, SIGKILL)', reason);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

class Rig {
  readonly dir = mkdtempSync(join(tmpdir(), 'af-agent-proc-'));
  readonly procs = new ProcSet();
  constructor(readonly world: SimWorld) {
    writeFileSync(join(this.dir, 'policy.yaml'), world.policyText);
  }
  sock(label: string): string {
    return join(this.dir, `${label}.sock`);
  }
  /** Starts `attestflow agent` for a component; `ns` is a namespace (or the host's when absent). */
  start(label: string, component: string, extra: string[], ns?: string): Proc {
    const tee = join(this.dir, `${label}.tee.json`);
    writeFileSync(tee, JSON.stringify(this.world.launchFile(component)), { mode: 0o600 });
    const argv = [process.execPath, BIN, 'agent', '--policy', join(this.dir, 'policy.yaml'), '--component', component, '--sim-tee', tee, '--status', `unix:${this.sock(label)}`, ...extra];
    return this.procs.start(label, ns, argv, join(this.dir, `${label}.log`));
  }
  status(label: string): Promise<FetchedStatus> {
    return fetchStatus({ kind: 'unix', path: this.sock(label) }, 2_000);
  }
  async until(label: string, pred: (s: FetchedStatus) => boolean, ms: number, what: string): Promise<FetchedStatus> {
    const end = Date.now() + ms;
    let last: FetchedStatus | undefined;
    while (Date.now() < end) {
      try {
        last = await this.status(label);
        if (pred(last)) return last;
      } catch {
        // not up yet, or just killed
      }
      await sleep(50);
    }
    throw new Error(`${label}: ${what} not within ${ms} ms; last status ${JSON.stringify(last)}`);
  }
  async close(): Promise<void> {
    await this.procs.stopAll(2_000);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const keyedAll = (s: FetchedStatus): boolean => s.edges.length > 0 && s.edges.every((e) => e.status === 'keyed');
const epochOf = (s: FetchedStatus, edge: string): number => s.edges.find((e) => e.edge === edge)?.epoch ?? 0;

describe.skipIf(reason !== undefined)('agent processes under faults', () => {
  beforeAll(() => ensureBuilt(), 120_000);

  describe('killed mid-handshake and restarted (loopback, a proxy marks the middle)', () => {
    // Distinct loopback addresses stand for two hosts; b's MAKE port is behind a frame-aware proxy.
    const world = new SimWorld({
      workflow: 'kill-test',
      components: simComponents('127.0.0.21', 2),
      edges: [{ from: 'a', to: 'b', protocol: 'tcp', port: 7001 }],
    });
    let rig: Rig;
    let proxy: FaultProxy | undefined;
    beforeAll(() => {
      rig = new Rig(world);
    });
    afterEach(async () => {
      await rig.procs.stopAll(2_000);
      await proxy?.close();
      proxy = undefined;
    });
    afterAll(() => rig.close());

    // A round that exhausts its attempts waits for the next epoch: 3 s here.
    const common = ['--make-port', '7443', '--handshake-timeout', '1500', '--max-attempts', '5', '--rekey-seconds', '3'];
    const startB = (): Proc => rig.start('b', 'b', [...common, '--listen', '127.0.0.22:7444']);
    const startA = (): Proc => rig.start('a', 'a', [...common, '--listen', '127.0.0.21:7443']);

    it('the initiator killed after sending message 1: the responder installs nothing; the restarted initiator keys the edge', async () => {
      let a: Proc | undefined;
      let killed = false;
      proxy = await startFaultProxy({ host: '127.0.0.22', port: 7444 }, makeFramer, (dir, index, _f, conn) => {
        // First connection: once m1 is on its way, hold m2 back and kill the initiator.
        if (conn === 0 && dir === 'i2r' && index === 0 && a && !killed) {
          killed = true;
          a.child.kill('SIGKILL');
        }
        return conn === 0 && dir === 'r2i' ? 'hold' : {};
      }, { host: '127.0.0.22', port: 7443 });
      startB();
      await rig.until('b', (s) => s.state === 'running', 10_000, 'b up');
      a = startA();
      expect(await a.exited).toBe('SIGKILL');
      // The responder's half-done session fails; nothing was installed for the vanished peer.
      const bMid = await rig.until('b', (s) => s.handshakes.failed >= 1, 10_000, 'b sees the session fail');
      expect(bMid.keysInstalled).toBe(0);
      expect(bMid.edges[0]?.status).toBe('pending');
      // Restarted: the edge is keyed on both ends.
      startA();
      const aKeyed = await rig.until('a', keyedAll, 15_000, 'a keyed');
      const bKeyed = await rig.until('b', keyedAll, 5_000, 'b keyed');
      // In, out: the agent's key table (no kernel data plane in this test).
      expect(aKeyed.keysInstalled).toBe(2);
      expect(bKeyed.keysInstalled).toBe(2);
      expect(epochOf(aKeyed, 'a->b')).toBe(epochOf(bKeyed, 'a->b'));
      expect(bKeyed.handshakes.ok).toBeGreaterThanOrEqual(1);
    }, 60_000);

    it('the responder killed before message 3 arrives: the initiator retries with backoff and converges once it is back', async () => {
      let b: Proc | undefined;
      let killed = false;
      proxy = await startFaultProxy({ host: '127.0.0.22', port: 7444 }, makeFramer, (dir, index, _f, conn) => {
        if (conn === 0 && dir === 'i2r' && index === 1 && b && !killed) {
          killed = true;
          b.child.kill('SIGKILL');
          return { copies: 0 };
        }
        return {};
      }, { host: '127.0.0.22', port: 7443 });
      b = startB();
      await rig.until('b', (s) => s.state === 'running', 10_000, 'b up');
      startA();
      expect(await b.exited).toBe('SIGKILL');
      const aFailing = await rig.until('a', (s) => s.handshakes.failed >= 2, 15_000, 'a retrying');
      expect(aFailing.edges[0]?.status).not.toBe('keyed');
      expect(aFailing.edges[0]?.attempts).toBeLessThanOrEqual(5);
      startB();
      const aKeyed = await rig.until('a', keyedAll, 20_000, 'a keyed after b returned');
      const bKeyed = await rig.until('b', keyedAll, 5_000, 'b keyed');
      expect(epochOf(aKeyed, 'a->b')).toBe(epochOf(bKeyed, 'a->b'));
      expect(aKeyed.edges[0]?.attempts).toBeLessThanOrEqual(5);
    }, 60_000);
  });

  describe('network namespace link cut and restored', () => {
    const world = new SimWorld({
      workflow: 'link-test',
      components: simComponents('10.198.0.1', 2),
      edges: [{ from: 'a', to: 'b', protocol: 'tcp', port: 7001 }],
    });
    let rig: Rig;
    let topo: Topology | undefined;
    beforeAll(async () => {
      rig = new Rig(world);
      topo = await createTopology('af-agent-', ['a', 'b'], `${process.pid}-link`, { a: '10.198.0.1', b: '10.198.0.2' });
    });
    afterAll(async () => {
      await rig.close();
      if (topo) await destroyTopology(topo);
    });

    it('keys stay while the link is down, retries are bounded, and the next epoch after the link returns rekeys both ends', async () => {
      const t = topo as Topology;
      const opts = ['--rekey-seconds', '2', '--handshake-timeout', '400', '--max-attempts', '3'];
      rig.start('b', 'b', opts, t.nodes[1]!.ns);
      await rig.until('b', (s) => s.state === 'running', 10_000, 'b up');
      rig.start('a', 'a', opts, t.nodes[0]!.ns);
      const k1 = await rig.until('a', keyedAll, 15_000, 'keyed');
      const e1 = epochOf(k1, 'a->b');
      await setLink(t, 'b', false);
      // Two epochs pass with the link down: every round fails, each bounded at 3 attempts.
      const down = await rig.until('a', (s) => s.handshakes.failed >= 6, 20_000, 'failing rounds');
      expect(epochOf(down, 'a->b')).toBeLessThanOrEqual(e1 + 1);
      expect(down.edges[0]?.status).toBe('keyed'); // the last good keys stay: fail closed, not open
      expect(down.edges[0]?.attempts).toBeLessThanOrEqual(3);
      const f0 = down.handshakes.failed;
      await sleep(1_000);
      const later = await rig.status('a');
      // Bounded: within one 2 s epoch at most 3 attempts are made.
      expect(later.handshakes.failed - f0).toBeLessThanOrEqual(3);
      await setLink(t, 'b', true);
      const back = await rig.until('a', (s) => epochOf(s, 'a->b') > epochOf(later, 'a->b') && s.edges[0]?.lastError === undefined, 15_000, 'rekeyed after restore');
      const bBack = await rig.until('b', (s) => epochOf(s, 'a->b') === epochOf(back, 'a->b'), 5_000, 'b at the same epoch');
      expect(keyedAll(bBack)).toBe(true);
    }, 90_000);
  });
});
