/**
 * The lock-free anti-replay window, the SA guard of the crypto slots and the outbound SA in the
 * selector entry, in the real kernel (BPF_PROG_TEST_RUN): the window against a reference model of
 * RFC 4303's, two CPUs racing the same packets, a slot that changed hands, and a superseded
 * outbound SA that must never seal again.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import { CTX_SLOT_SIZE, SEL_MANY, ctxSaArgs, encodeSelector, selFastIndex } from '../../src/dataplane/abi.js';
import { espHeader, espOpen, espSeal } from '../../src/dataplane/esp.js';
import { defaultHelper, runHelper } from '../../src/dataplane/helper.js';
import { buildPacket } from '../../src/dataplane/packet.js';
import { announceSkip, kernelSkipReason } from '../util/env.js';
import { A, B, TC_ACT_OK, TC_ACT_SHOT, delta, edgeInstalls, freshKeys, loadPair, udpFlow, type DirKeys } from './fixture.js';

const reason = kernelSkipReason();
announceSkip('dataplane window (BPF_PROG_TEST_RUN)', reason);

/** RFC 4303 section 3.4.3 and appendix A2: a 64-packet window, as a plain reference. */
class ReferenceWindow {
  private top = 0;
  private seen = new Set<number>();
  offer(seq: number): 'ok' | 'replay' | 'out_of_window' {
    if (seq === 0 || seq + 64 <= this.top) return 'out_of_window';
    if (this.seen.has(seq)) return 'replay';
    this.seen.add(seq);
    if (seq > this.top) this.top = seq;
    return 'ok';
  }
}

/** An afdp process kept open, so two can be started first and then given work at the same moment. */
async function racer(): Promise<{ ready: Promise<void>; run: (lines: string[]) => Promise<{ retval: number }[]> }> {
  const child = spawn(defaultHelper, [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const replies: { retval: number }[] = [];
  let buf = '';
  let want = 1;
  let wake: () => void = () => undefined;
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      replies.push(JSON.parse(buf.slice(0, i)) as { retval: number });
      buf = buf.slice(i + 1);
    }
    if (replies.length >= want) wake();
  });
  const until = (k: number) =>
    new Promise<void>((resolve) => {
      want = k;
      wake = resolve;
      if (replies.length >= k) resolve();
    });
  child.stdin.write('dump /nonexistent dp_sel\n'); // any answer means it is up and reading
  const ready = until(1);
  return {
    ready,
    run: async (lines) => {
      child.stdin.end(lines.map((l) => `${l}\n`).join(''));
      await until(1 + lines.length);
      return replies.slice(1);
    },
  };
}

describe.skipIf(reason !== undefined)('anti-replay window and SA guards in the kernel', () => {
  let a: Dataplane;
  let b: Dataplane;
  let port = 9300;

  beforeAll(async () => {
    ({ a, b } = await loadPair('window'));
  });

  afterAll(async () => {
    await a?.unload();
    await b?.unload();
  });

  /** A fresh edge with B's inbound SA installed; packets for it sealed by OpenSSL at any seq. */
  async function freshInbound(bytes = 24): Promise<{ flow: typeof udpFlow; keys: DirKeys; packet: (seq: number) => Buffer }> {
    const flow = { ...udpFlow, edge: `a->b/window-${port}`, dstPort: port++ };
    const keys = freshKeys(0x50000 + port);
    const sa = edgeInstalls(flow, 0, keys, freshKeys(0x60000 + port)).b[0]!;
    await b.install(sa);
    const frame = buildPacket({ src: A, dst: B, protocol: 'udp', sport: 41000, dport: flow.dstPort, payload: randomBytes(bytes) });
    return { flow, keys, packet: (seq: number) => espSeal(frame, keys, seq) };
  }

  it('property: accepts and drops exactly as RFC 4303 window of 64, across block boundaries and jumps', async () => {
    // Sequences that revisit, go back a little, cross the 32-number blocks and jump far ahead.
    const step = fc.oneof(
      { weight: 5, arbitrary: fc.integer({ min: 1, max: 3 }) },
      { weight: 3, arbitrary: fc.integer({ min: -70, max: 0 }) },
      { weight: 1, arbitrary: fc.integer({ min: 30, max: 140 }) },
    );
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 200 }), fc.array(step, { minLength: 20, maxLength: 80 }), async (start, steps) => {
        const e = await freshInbound();
        try {
          const seqs: number[] = [];
          let s = start;
          for (const d of steps) {
            s = Math.max(1, s + d);
            seqs.push(s);
          }
          const ref = new ReferenceWindow();
          const want = seqs.map((q) => ref.offer(q));
          const before = await b.counters();
          const got = await b.testRun('dp_ingress', seqs.map((q) => e.packet(q)));
          got.forEach((r, i) => expect(r.retval, `seq ${seqs[i]} (#${i}) should be ${want[i]}`).toBe(want[i] === 'ok' ? TC_ACT_OK : TC_ACT_SHOT));
          const count = (v: string) => want.filter((w) => w === v).length;
          const expected: Record<string, number> = { 'in.opened': count('ok'), 'in.replay': count('replay'), 'in.out_of_window': count('out_of_window') };
          for (const k of Object.keys(expected)) if (expected[k] === 0) delete expected[k];
          expect(delta(before, await b.counters())).toEqual(expected);
        } finally {
          await b.removeEdge(e.flow.edge);
        }
      }),
      { numRuns: 25, seed: 4303 },
    );
  });

  it('two CPUs racing the same packets deliver each exactly once (compare-and-swap, no lock)', async () => {
    // Two helper processes, both ready, get the same packets at the same moment: with large
    // packets (tens of microseconds each) they stay within a packet or two of each other, so they
    // often check, decrypt and commit the same sequence number at the same time. A busy machine
    // can still start one long after the other (then nothing raced): up to 5 attempts.
    let raced = false;
    for (let attempt = 0; attempt < 5 && !raced; attempt++) {
      const e = await freshInbound(1300);
      try {
        const lines = Array.from({ length: 1000 }, (_, i) => `run ${b.pinDir} dp_ingress 1 ${e.packet(i + 1).toString('hex')}`);
        const [x, y] = await Promise.all([racer(), racer()]);
        await Promise.all([x.ready, y.ready]);
        const [rx, ry] = await Promise.all([x.run(lines), y.run(lines)]);
        const delivered = lines.map((_, i) => Number(rx[i]!.retval === TC_ACT_OK) + Number(ry[i]!.retval === TC_ACT_OK));
        // Each side goes in order, so whichever meets a sequence number first delivers it: never
        // both, never neither.
        expect(delivered.filter((d) => d !== 1)).toEqual([]);
        raced = rx.some((r) => r.retval === TC_ACT_OK) && ry.some((r) => r.retval === TC_ACT_OK);
      } finally {
        await b.removeEdge(e.flow.edge);
      }
    }
    // Both sides delivered some in one attempt at least: the packets did race.
    expect(raced).toBe(true);
  });

  it('a crypto slot that changed hands is never used for the SA or flow that named it (no_key)', async () => {
    const flow = { ...udpFlow, edge: 'a->b/slot-guard', dstPort: 9290 };
    const i2r = freshKeys(0x7101);
    for (const sa of edgeInstalls(flow, 0, i2r, freshKeys(0x7102)).a) await a.install(sa);
    try {
      const out = (await a.installed()).find((s) => s.spi === i2r.spi)!;
      const frame = buildPacket({ src: A, dst: B, protocol: 'udp', sport: 41001, dport: flow.dstPort, payload: randomBytes(40) });
      expect((await a.testRun('dp_egress', [frame]))[0]!.retval).toBe(TC_ACT_OK);
      // The slot gets another SA's key while the selector and the index still name it (a race,
      // forced here): for another flow, and for this flow's selector but inbound.
      const other = encodeSelector({ saddr: A, daddr: B, proto: 17, portKind: 0, port: 9999 });
      for (const [dir, sel] of [[0, other], [1, Buffer.from(out.selector, 'hex')]] as const) {
        const args = ctxSaArgs(0x7999, dir, randomBytes(3), sel);
        expect((await runHelper([`ctx ${a.pinDir} ${out.slot} ${randomBytes(16).toString('hex')} ${args}`]))[0]!.ok).toBe(true);
        const before = await a.counters();
        expect((await a.testRun('dp_egress', [frame]))[0]!.retval).toBe(TC_ACT_SHOT);
        expect(delta(before, await a.counters())).toEqual({ 'out.no_key': 1 });
      }
    } finally {
      await a.removeEdge(flow.edge);
    }
  });

  it('the counter belongs to the key: an older outbound SA that takes over again resumes its own', async () => {
    const flow = { ...udpFlow, edge: 'a->b/supersede', dstPort: 9291 };
    const e0 = freshKeys(0x7201);
    const e1 = freshKeys(0x7202);
    const frame = buildPacket({ src: A, dst: B, protocol: 'udp', sport: 41002, dport: flow.dstPort, payload: randomBytes(40) });
    await a.install(edgeInstalls(flow, 0, e0, freshKeys(0x7301)).a[0]!);
    const slots: number[] = [];
    try {
      const s0 = await a.testRun('dp_egress', [frame, frame]);
      expect(s0.map((r) => espHeader(r.data))).toEqual([{ spi: e0.spi, seq: 1 }, { spi: e0.spi, seq: 2 }]);
      await a.install(edgeInstalls(flow, 1, e1, freshKeys(0x7302)).a[0]!);
      const sas = await a.installed();
      expect(sas.find((s) => s.spi === e0.spi)).toMatchObject({ inUse: false, seq: 2n });
      expect(sas.find((s) => s.spi === e1.spi)).toMatchObject({ inUse: true, seq: 0n });
      slots.push(...sas.filter((x) => [e0.spi, e1.spi].includes(x.spi)).map((x) => x.slot));
      const [s1] = await a.testRun('dp_egress', [frame]);
      expect(espHeader(s1!.data)).toEqual({ spi: e1.spi, seq: 1 });
      // The SA in use goes: epoch 0 takes over again and goes on from its own counter (3, never 1).
      await a.remove(flow.edge, 'out', 1);
      const [s2] = await a.testRun('dp_egress', [frame]);
      expect(espHeader(s2!.data)).toEqual({ spi: e0.spi, seq: 3 });
      expect((await a.installed()).find((s) => s.spi === e0.spi)).toMatchObject({ inUse: true, seq: 3n });
      // The last one goes: the flow is no longer a sealed edge here.
      await a.remove(flow.edge, 'out', 0);
      const before = await a.counters();
      expect((await a.testRun('dp_egress', [frame]))[0]!.retval).toBe(TC_ACT_SHOT);
      expect(delta(before, await a.counters())).toEqual({ 'out.deny': 1 });
    } finally {
      await a.removeEdge(flow.edge);
    }
    expect((await a.installed()).filter((s) => [e0.spi, e1.spi].includes(s.spi))).toEqual([]);
    // Removal leaves nothing of the SA in its slot: no key, SPI, salt, selector, counter or window.
    expect(slots).toHaveLength(2);
    for (const slot of slots) {
      const [r] = await runHelper([`lookup ${a.pinDir} dp_ctx ${Buffer.from(Uint32Array.of(slot).buffer).toString('hex')}`]);
      expect(Buffer.from(r!.value as string, 'hex').equals(Buffer.alloc(CTX_SLOT_SIZE))).toBe(true);
    }
  });

  it('the selector index: one flow per entry is sealed without a hash lookup, several share one through the table', async () => {
    const idxOf = (port: number) => selFastIndex(encodeSelector({ saddr: A, daddr: B, proto: 17, portKind: 0, port }), 0);
    const entry = async () => (await runHelper([`lookup ${a.pinDir} dp_sel_fast ${Buffer.from(Uint32Array.of(idxOf(9400)).buffer).toString('hex')}`]))[0]!;
    const before = (await entry()).value as string;
    // Two flows between the same addresses share the entry (the port is not in the index).
    const flows = [9400, 9401].map((p) => ({ ...udpFlow, edge: `a->b/collide-${p}`, dstPort: p }));
    const keys = [freshKeys(0x7501), freshKeys(0x7502)];
    const sealBoth = async () => {
      for (let i = 0; i < 2; i++) {
        const frame = buildPacket({ src: A, dst: B, protocol: 'udp', sport: 41004, dport: flows[i]!.dstPort, payload: randomBytes(30) });
        const [r] = await a.testRun('dp_egress', [frame]);
        expect(r!.retval).toBe(TC_ACT_OK);
        expect(espHeader(r!.data).spi).toBe(keys[i]!.spi);
        expect(espOpen(r!.data, keys[i]!).frame.equals(frame)).toBe(true);
      }
    };
    try {
      await a.install(edgeInstalls(flows[0]!, 0, keys[0]!, freshKeys(0x7601)).a[0]!);
      const one = (await a.installed()).find((x) => x.spi === keys[0]!.spi)!;
      const asU64 = (v: unknown) => Buffer.from(v as string, 'hex').readBigUInt64LE(0);
      const solo = (BigInt(one.spi) << 32n) | BigInt(one.slot + 1);
      if (asU64(before) === 0n) expect(asU64((await entry()).value)).toBe(solo);
      await a.install(edgeInstalls(flows[1]!, 0, keys[1]!, freshKeys(0x7602)).a[0]!);
      expect(asU64((await entry()).value)).toBe(SEL_MANY);
      await sealBoth();
      // A flow between these addresses that no selector names is still denied.
      const stray = buildPacket({ src: A, dst: B, protocol: 'udp', sport: 41004, dport: 9499, payload: randomBytes(30) });
      expect((await a.testRun('dp_egress', [stray]))[0]!.retval).toBe(TC_ACT_SHOT);
      await a.removeEdge(flows[1]!.edge);
      if (asU64(before) === 0n) expect(asU64((await entry()).value)).toBe(solo);
      await a.removeEdge(flows[0]!.edge);
      expect((await entry()).value).toBe(before);
    } finally {
      for (const f of flows) await a.removeEdge(f.edge);
    }
  });

  it('keeps a wrong IPv4 header checksum wrong (incremental update), and a right one right', async () => {
    const flow = { ...udpFlow, edge: 'a->b/csum', dstPort: 9292 };
    const i2r = freshKeys(0x7401);
    await a.install(edgeInstalls(flow, 0, i2r, freshKeys(0x7402)).a[0]!);
    try {
      const ipSum = (f: Buffer): number => {
        let s = 0;
        for (let o = 14; o < 34; o += 2) s += f.readUInt16BE(o);
        while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
        return s;
      };
      const good = buildPacket({ src: A, dst: B, protocol: 'udp', sport: 41003, dport: flow.dstPort, payload: randomBytes(40) });
      expect(ipSum(good)).toBe(0xffff);
      const bad = Buffer.from(good);
      bad.writeUInt16BE(bad.readUInt16BE(24) ^ 0x0101, 24);
      const [g, w] = await a.testRun('dp_egress', [good, bad]);
      expect(g!.retval).toBe(TC_ACT_OK);
      expect(ipSum(g!.data)).toBe(0xffff);
      expect(w!.retval).toBe(TC_ACT_OK);
      expect(ipSum(w!.data)).not.toBe(0xffff);
    } finally {
      await a.removeEdge(flow.edge);
    }
  });
});
