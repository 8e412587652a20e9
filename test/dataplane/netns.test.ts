/**
 * The data plane between two network namespaces, keyed by real MAKE handshakes that run over the
 * control port through the data plane itself. Checks on the wire (tcpdump) and at the endpoints:
 * TCP and UDP arrive intact; only ESP crosses on policy edges and the plaintext marker never does;
 * captured packets open with OpenSSL (RFC 4309); an unauthorized flow, a replayed packet and a
 * wrong key are dropped; a TCP transfer survives a rekey; the kernel keeps enforcing after the
 * agent that installed the keys was killed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import { espHeader, espOpen, espSeal } from '../../src/dataplane/esp.js';
import { runHelper } from '../../src/dataplane/helper.js';
import { saInstallsFor } from '../../src/dataplane/keys.js';
import { l4Checksum, parseFrame } from '../../src/dataplane/packet.js';
import type { EdgeFlow } from '../../src/dataplane/types.js';
import { eventOfBytes, pump } from '../../src/make/local.js';
import { Party } from '../../src/make/party.js';
import type { EdgeKeys, SaKeys } from '../../src/make/types.js';
import { makeWorld } from '../make/fixtures.js';
import { announceSkip, kernelSkipReason, repoRoot } from '../util/env.js';
import { FramedPipe, type NetnsPair, capture, createPair, killAll, peer, readPcap } from './netns.js';

const reason = kernelSkipReason() ?? (spawnSync('tcpdump', ['--version']).status === 0 ? undefined : 'tcpdump is not installed');
announceSkip('dataplane in network namespaces', reason);

const CTRL = 7443;
const MARKER = Buffer.from('ATTESTFLOW-PLAINTEXT-MARKER-7f3a');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Data with the marker every 1000 bytes, so any plaintext leak would show it. */
function markedData(n: number): Buffer {
  const b = randomBytes(n);
  for (let o = 0; o + MARKER.length <= n; o += 1000) MARKER.copy(b, o);
  return b;
}

/** True when dist/dataplane is missing or older than a source file it is built from. */
function distStale(): boolean {
  const out = join(repoRoot, 'dist/dataplane/index.js');
  if (!existsSync(out)) return true;
  const built = statSync(out).mtimeMs;
  const srcs = [join(repoRoot, 'src/errors.ts'), ...readdirSync(join(repoRoot, 'src/dataplane')).map((f) => join(repoRoot, 'src/dataplane', f))];
  return srcs.some((f) => statSync(f).mtimeMs > built);
}

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(50);
  }
  return cond();
}

describe.skipIf(reason !== undefined)('data plane in network namespaces, keyed by MAKE', () => {
  const tag = `it${process.pid % 10000}`;
  const pcap = join(tmpdir(), `af-dp-${tag}.pcap`);
  const world = makeWorld(7);
  let net: NetnsPair;
  let a: Dataplane;
  let b: Dataplane;
  let cap: ReturnType<typeof capture>;
  let tcpFlow: EdgeFlow;
  let udpFlow: EdgeFlow;
  const keysBySpi = new Map<number, SaKeys>();
  const injected: Buffer[] = [];
  const handshakes: { i: EdgeKeys; r: EdgeKeys }[] = [];

  /** A MAKE handshake whose messages travel over TCP on the control port, A to B. */
  async function handshake(epoch: number): Promise<EdgeKeys> {
    const policy = world.policy();
    const ini = Party.initiator(world.config('alpha', world.attesters.alpha, policy), 'beta', epoch);
    const res = Party.responder(world.config('beta', world.attesters.beta, policy));
    const listener = peer(net.nsB, 'tcp-listen', String(CTRL));
    await listener.ready;
    const conn = peer(net.nsA, 'tcp-connect', net.addrB, String(CTRL));
    try {
      await conn.ready;
      const atA = new FramedPipe(conn);
      const atB = new FramedPipe(listener);
      let outI = await pump(ini, { type: 'start' });
      while (outI.length > 0) {
        for (const m of outI) atA.send(m);
        const outR: Uint8Array[] = [];
        for (let k = 0; k < outI.length; k++) {
          const m = await atB.recv();
          outR.push(...(await pump(res, eventOfBytes(m), m)));
        }
        for (const m of outR) atB.send(m);
        outI = [];
        for (let k = 0; k < outR.length; k++) {
          const m = await atA.recv();
          outI.push(...(await pump(ini, eventOfBytes(m), m)));
        }
      }
    } finally {
      conn.kill();
      listener.kill();
    }
    if (!ini.result?.ok || !res.result?.ok) throw new Error(`MAKE failed: ${JSON.stringify(ini.result ?? res.result)}`);
    handshakes.push({ i: ini.result.keys, r: res.result.keys });
    for (const k of [ini.result.keys.initiatorToResponder, ini.result.keys.responderToInitiator]) keysBySpi.set(k.spi, k);
    return ini.result.keys;
  }

  beforeAll(async () => {
    net = createPair(tag, '10.79.1');
    try {
      a = await Dataplane.load({ pinDir: `/sys/fs/bpf/af-dp-${tag}-a`, ctrlPort: CTRL, netns: net.nsA });
      b = await Dataplane.load({ pinDir: `/sys/fs/bpf/af-dp-${tag}-b`, ctrlPort: CTRL, netns: net.nsB });
      await a.prepareInterface(net.ifA);
      await b.prepareInterface(net.ifB);
      await a.attach(net.ifA);
      await b.attach(net.ifB);
      cap = capture(net.nsA, net.ifA, pcap);
      await cap.ready;
      tcpFlow = { edge: 'alpha->beta:tcp', srcAddr: net.addrA, dstAddr: net.addrB, protocol: 'tcp', dstPort: 9001 };
      udpFlow = { edge: 'alpha->beta:udp', srcAddr: net.addrA, dstAddr: net.addrB, protocol: 'udp', dstPort: 9002 };
    } catch (e) {
      await teardown();
      throw e;
    }
  });

  async function teardown(): Promise<void> {
    await cap?.stop().catch(() => undefined);
    killAll();
    await a?.unload().catch(() => undefined);
    await b?.unload().catch(() => undefined);
    net?.cleanup();
    rmSync(pcap, { force: true });
  }
  afterAll(teardown);

  it('runs MAKE over the control port (the only plaintext exception) and installs its keys', async () => {
    const tcpKeys = await handshake(0);
    const c = await a.counters();
    expect(c.out.pass_ctrl).toBeGreaterThan(3n);
    expect((await b.counters()).in.pass_ctrl).toBeGreaterThan(3n);
    const [hi] = handshakes;
    expect(Buffer.from(hi!.i.initiatorToResponder.key).equals(Buffer.from(hi!.r.initiatorToResponder.key))).toBe(true);
    for (const sa of saInstallsFor(tcpFlow, tcpKeys, 'initiator')) await a.install(sa);
    for (const sa of saInstallsFor(tcpFlow, handshakes[0]!.r, 'responder')) await b.install(sa);
    expect((await a.installed()).length).toBe(2);
  });

  it('keeps enforcing after the agent that installed the keys is killed', async () => {
    const udpKeys = await handshake(0);
    // The "agent": a separate process that opens both data planes, installs the UDP edge and then
    // is killed with SIGKILL. It runs the built package (dist), as a deployed agent would.
    if (distStale()) {
      const build = spawnSync('npx', ['--no-install', 'tsc', '-p', 'tsconfig.build.json', '--incremental', '--tsBuildInfoFile', 'dist/.tsbuildinfo'], { cwd: repoRoot, encoding: 'utf8' });
      expect(build.status, build.stdout + build.stderr).toBe(0);
    }
    const script = `
      import { Dataplane, saInstallsFor } from ${JSON.stringify(join(repoRoot, 'dist/dataplane/index.js'))};
      const input = JSON.parse(await new Promise((r) => { let s = ''; process.stdin.on('data', (d) => (s += d)); process.stdin.on('end', () => r(s)); }));
      const bytes = (k) => ({ spi: k.spi, key: Buffer.from(k.key, 'hex'), salt: Buffer.from(k.salt, 'hex') });
      const keys = (k) => ({ edge: k.edge, epoch: k.epoch, initiatorToResponder: bytes(k.i2r), responderToInitiator: bytes(k.r2i) });
      const a = await Dataplane.open({ pinDir: input.pinA, netns: input.nsA });
      const b = await Dataplane.open({ pinDir: input.pinB, netns: input.nsB });
      for (const sa of saInstallsFor(input.flow, keys(input.i), 'initiator')) await a.install(sa);
      for (const sa of saInstallsFor(input.flow, keys(input.r), 'responder')) await b.install(sa);
      process.stderr.write('ready\\n');
      setInterval(() => {}, 1e6);
    `;
    const hexKeys = (k: EdgeKeys) => ({
      edge: k.edge,
      epoch: k.epoch,
      i2r: { spi: k.initiatorToResponder.spi, key: Buffer.from(k.initiatorToResponder.key).toString('hex'), salt: Buffer.from(k.initiatorToResponder.salt).toString('hex') },
      r2i: { spi: k.responderToInitiator.spi, key: Buffer.from(k.responderToInitiator.key).toString('hex'), salt: Buffer.from(k.responderToInitiator.salt).toString('hex') },
    });
    const agent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'inherit', 'pipe'] });
    let err = '';
    const ready = new Promise<void>((res, rej) => {
      agent.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('ready')) res();
      });
      agent.on('close', (code) => rej(new Error(`agent exited ${code}: ${err}`)));
    });
    agent.stdin.end(JSON.stringify({ pinA: a.pinDir, pinB: b.pinDir, nsA: net.nsA, nsB: net.nsB, flow: udpFlow, i: hexKeys(udpKeys), r: hexKeys(handshakes[1]!.r) }));
    await ready;
    const gone = new Promise((res) => agent.on('exit', res));
    agent.kill('SIGKILL');
    await gone;
    expect(agent.signalCode).toBe('SIGKILL');

    // With no agent left, UDP on the edge still flows, sealed.
    const sink = peer(net.nsB, 'udp-sink', '9002');
    await sink.ready;
    const datagrams = Array.from({ length: 20 }, (_, i) => markedData(100 + i * 60));
    const send = peer(net.nsA, 'udp-send', net.addrB, '9002');
    await send.ready;
    send.child.stdin.end(datagrams.map((d) => d.toString('hex')).join('\n') + '\n');
    await send.exited;
    const lines = (): string[] => sink.stdout().toString().split('\n').filter(Boolean);
    await waitFor(() => lines().length >= datagrams.length, 5000);
    sink.kill();
    expect(lines()).toEqual(datagrams.map((d) => d.toString('hex')));
    expect((await b.counters()).in.opened).toBeGreaterThanOrEqual(20n);
  });

  /** Sends `bytes` of marked data A to B over the TCP edge and checks that all of it arrived intact. */
  async function tcpTransferIntact(bytes: number): Promise<void> {
    const sink = peer(net.nsB, 'tcp-sink', '9001');
    await sink.ready;
    const data = markedData(bytes);
    const conn = peer(net.nsA, 'tcp-connect', net.addrB, '9001');
    await conn.ready;
    conn.child.stdin.end(data);
    await sink.exited;
    conn.kill();
    const got = JSON.parse(sink.stdout().toString()) as { bytes: number; sha256: string };
    expect(got).toEqual({ bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') });
  }

  it('carries a TCP transfer intact', async () => {
    await tcpTransferIntact(1 << 20);
  });

  it('carries TCP intact when the checksum is completed after tc egress (TX checksum offload off), as a NIC would', async () => {
    // TCP leaves its checksum to the device (CHECKSUM_PARTIAL) and a sealed packet keeps that state.
    // With the offload off the kernel completes it in software after tc egress, writing two bytes
    // into the ESP packet, exactly as a NIC would: the seal's checksum-neutral tail must make that
    // write change nothing. (Without it, every segment fails authentication at B.)
    const txcsum = async (on: boolean) => {
      for (const [ns, dev] of [[net.nsA, net.ifA], [net.nsB, net.ifB]] as const) {
        const [r] = await runHelper([`txcsum ${dev} ${on ? 'on' : 'off'}`], { netns: ns });
        expect(r?.ok, r?.error).toBe(true);
      }
    };
    await txcsum(false);
    try {
      const authFailBefore = (await b.counters()).in.auth_fail;
      await tcpTransferIntact(256 << 10);
      expect((await b.counters()).in.auth_fail).toBe(authFailBefore);
    } finally {
      await txcsum(true);
    }
  });

  it('drops a flow the policy does not name', async () => {
    const sink = peer(net.nsB, 'udp-sink', '5353');
    await sink.ready;
    const before = (await a.counters()).out.deny;
    const send = peer(net.nsA, 'udp-send', net.addrB, '5353');
    await send.ready;
    send.child.stdin.end(`${markedData(64).toString('hex')}\n`);
    await send.exited;
    await sleep(500);
    sink.kill();
    expect(sink.stdout().length).toBe(0);
    expect((await a.counters()).out.deny).toBeGreaterThan(before);
  });

  /** The frames captured so far from A to B carrying ESP for `spi`. */
  function capturedEsp(spi: number): Buffer[] {
    return readPcap(pcap).filter((f) => {
      try {
        const p = parseFrame(f);
        return p.protocol === 50 && p.dst === net.addrB && espHeader(f).spi === spi;
      } catch {
        return false;
      }
    });
  }

  it('drops a captured packet replayed on the wire and one sealed with a wrong key; accepts one sealed by OpenSSL', async () => {
    const udpSpi = handshakes[1]!.i.initiatorToResponder.spi;
    const frames = capturedEsp(udpSpi);
    expect(frames.length).toBeGreaterThanOrEqual(20);
    const sink = peer(net.nsB, 'udp-sink', '9002');
    await sink.ready;
    const c0 = await b.counters();
    const replay = Buffer.from(frames[frames.length - 1]!);
    injected.push(replay);
    await runHelper([`inject ${net.ifA} ${replay.toString('hex')}`], { netns: net.nsA });
    const c1 = await b.counters();
    expect(c1.in.replay - c0.in.replay).toBe(1n);

    // Same SPI, plausible sequence number, but not the edge's key.
    const inner = espOpen(replay, keysBySpi.get(udpSpi)!).frame;
    const forged = espSeal(inner, { spi: udpSpi, key: randomBytes(16), salt: randomBytes(3) }, 1_000_000);
    injected.push(forged);
    await runHelper([`inject ${net.ifA} ${forged.toString('hex')}`], { netns: net.nsA });
    await sleep(300);
    const c2 = await b.counters();
    expect(c2.in.auth_fail - c1.in.auth_fail).toBe(1n);
    expect(sink.stdout().length).toBe(0);

    // Interop on the wire: the same datagram sealed by OpenSSL with the edge's real key (a fresh
    // sequence number) is accepted by the kernel and delivered.
    const good = espSeal(inner, keysBySpi.get(udpSpi)!, 2_000_000);
    injected.push(good);
    await runHelper([`inject ${net.ifA} ${good.toString('hex')}`], { netns: net.nsA });
    const want = parseFrame(inner).l4.subarray(8).toString('hex');
    expect(await waitFor(() => sink.stdout().toString().includes(want), 3000)).toBe(true);
    sink.kill();
  });

  it('keeps a TCP transfer intact across a rekey, old and new SAs overlapping', async () => {
    const sink = peer(net.nsB, 'tcp-sink', '9001');
    await sink.ready;
    const data = markedData(3 << 20);
    const conn = peer(net.nsA, 'tcp-connect', net.addrB, '9001');
    await conn.ready;
    const chunk = 64 * 1024;
    let off = 0;
    const writeSome = async (n: number): Promise<void> => {
      for (let k = 0; k < n && off < data.length; k++, off += chunk) {
        if (!conn.child.stdin.write(data.subarray(off, off + chunk))) await new Promise((r) => conn.child.stdin.once('drain', r));
        await sleep(5);
      }
    };
    await writeSome(16);
    // Rekey: a fresh handshake for epoch 1, inbound SAs first on both ends, then outbound, then
    // the old epoch goes. The transfer keeps running throughout.
    const k1 = await handshake(1);
    const r1 = handshakes[handshakes.length - 1]!.r;
    const [aIn, aOut] = saInstallsFor(tcpFlow, k1, 'initiator');
    const [bIn, bOut] = saInstallsFor(tcpFlow, r1, 'responder');
    await a.install(aIn);
    await b.install(bIn);
    await writeSome(8);
    await a.install(aOut);
    await b.install(bOut);
    await writeSome(8);
    await sleep(200);
    for (const dp of [a, b]) {
      await dp.remove(tcpFlow.edge, 'out', 0);
      await dp.remove(tcpFlow.edge, 'in', 0);
    }
    await writeSome(data.length);
    conn.child.stdin.end();
    await sink.exited;
    conn.kill();
    const got = JSON.parse(sink.stdout().toString()) as { bytes: number; sha256: string };
    expect(got).toEqual({ bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') });
    // Both epochs' SPIs were on the wire; only epoch 1 keys remain in the kernel.
    expect(capturedEsp(handshakes[0]!.i.initiatorToResponder.spi).length).toBeGreaterThan(0);
    expect(capturedEsp(k1.initiatorToResponder.spi).length).toBeGreaterThan(0);
    expect((await a.installed()).map((x) => x.spi).sort()).toEqual(
      [k1.initiatorToResponder.spi, k1.responderToInitiator.spi, handshakes[1]!.i.initiatorToResponder.spi, handshakes[1]!.i.responderToInitiator.spi].sort(),
    );
  });

  it('shows only ESP on the wire for policy edges; the marker never appears; every ESP packet opens with OpenSSL', async () => {
    const frames = await cap.stop();
    expect(existsSync(pcap)).toBe(true);
    let esp = 0;
    let ctrl = 0;
    let markersInside = 0;
    for (const f of frames) {
      expect(f.includes(MARKER)).toBe(false);
      if (f.readUInt16BE(12) !== 0x0800) continue;
      const p = parseFrame(f);
      if (p.protocol === 50) {
        if (injected.some((x) => x.equals(f))) continue;
        const { spi } = espHeader(f);
        const k = keysBySpi.get(spi);
        expect(k, `ESP with unknown SPI ${spi}`).toBeDefined();
        const opened = espOpen(f, k!);
        if (opened.l4.includes(MARKER)) markersInside++;
        // The inner segment is what an RFC 4303 host would deliver: its checksum must verify.
        const inner = parseFrame(opened.frame);
        const at = inner.protocol === 6 ? 16 : 6;
        const ip = (a: string): Buffer => Buffer.from(a.split('.').map(Number));
        expect(l4Checksum(ip(inner.src), ip(inner.dst), inner.protocol, inner.l4)).toBe(inner.l4.readUInt16BE(at));
        esp++;
      } else {
        // Plaintext on the wire: only the control port (A's egress never let anything else out).
        expect(p.protocol).toBe(6);
        const sport = p.l4.readUInt16BE(0);
        const dport = p.l4.readUInt16BE(2);
        expect(sport === CTRL || dport === CTRL).toBe(true);
        ctrl++;
      }
    }
    expect(esp).toBeGreaterThan(1000);
    expect(ctrl).toBeGreaterThan(0);
    expect(markersInside).toBeGreaterThan(100);
  });
});
