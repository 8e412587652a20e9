/**
 * The eBPF data plane in the real kernel, with BPF_PROG_TEST_RUN on crafted packets: CCM known
 * answers, seal/open round trips, RFC 4309 interop with OpenSSL, every drop reason, rekey overlap,
 * key removal and rollback of failed installs.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CTX_SLOT_SIZE, SA_KEY_SIZE, SA_SIZE, SEL_FAST, SEL_SIZE, SEL_VAL_SIZE, SLOTS, ctxSaArgs, encodeSelVal, encodeSelector } from '../../src/dataplane/abi.js';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import { espHeader, espOpen, espSeal } from '../../src/dataplane/esp.js';
import { runHelper } from '../../src/dataplane/helper.js';
import { buildPacket, l4Checksum, parseFrame } from '../../src/dataplane/packet.js';
import { announceSkip, kernelSkipReason } from '../util/env.js';
import {
  A,
  B,
  CTRL_PORT,
  TC_ACT_OK,
  TC_ACT_SHOT,
  delta,
  edgeInstalls,
  freshKeys,
  loadPair,
  tcpFlow,
  udpFlow,
  type DirKeys,
} from './fixture.js';

const reason = kernelSkipReason();
announceSkip('dataplane kernel (BPF_PROG_TEST_RUN)', reason);

const MARKER = Buffer.from('ATTESTFLOW-PLAINTEXT-MARKER');

/**
 * An opened packet is the original frame up to its IP total length; the ingress program does not
 * shrink the packet, and what lies past that length (the rest of the ESP packet: ciphertext and
 * ICV, never plaintext) is trimmed by the IP layer, as Ethernet padding is.
 */
function expectDelivered(out: Buffer, frame: Buffer, esp: Buffer): void {
  expect(out.readUInt16BE(14 + 2)).toBe(frame.length - 14);
  expect(out.subarray(0, frame.length).equals(frame)).toBe(true);
  expect(out.length).toBe(esp.length);
  expect(out.subarray(frame.length).equals(esp.subarray(frame.length))).toBe(true);
}

function payload(n: number): Buffer {
  const b = randomBytes(n);
  if (n >= MARKER.length) MARKER.copy(b, 0);
  return b;
}

describe.skipIf(reason !== undefined)('eBPF data plane under BPF_PROG_TEST_RUN', () => {
  let a: Dataplane;
  let b: Dataplane;
  let i2r: DirKeys;
  let r2i: DirKeys;
  let tcpI2r: DirKeys;
  // Packets forged by OpenSSL with arbitrary sequence numbers use their own edge, so they do not
  // move the anti-replay window of the edge the kernel-sealed packets use.
  const forgeFlow = { ...udpFlow, edge: 'a->b/forge', dstPort: 9002 };
  let forge: DirKeys;

  beforeAll(async () => {
    ({ a, b } = await loadPair('unit'));
    i2r = freshKeys(0x1001);
    r2i = freshKeys(0x2001);
    const udp = edgeInstalls(udpFlow, 0, i2r, r2i);
    tcpI2r = freshKeys(0x1101);
    const tcp = edgeInstalls(tcpFlow, 0, tcpI2r, freshKeys(0x2101));
    forge = freshKeys(0x1201);
    const f = edgeInstalls(forgeFlow, 0, forge, freshKeys(0x2201));
    for (const sa of [...udp.a, ...tcp.a, ...f.a]) await a.install(sa);
    for (const sa of [...udp.b, ...tcp.b, ...f.b]) await b.install(sa);
  });

  afterAll(async () => {
    await a?.unload();
    await b?.unload();
  });

  const seal = async (frame: Buffer): Promise<{ retval: number; data: Buffer }> => (await a.testRun('dp_egress', [frame]))[0]!;
  const open = async (frame: Buffer): Promise<{ retval: number; data: Buffer }> => (await b.testRun('dp_ingress', [frame]))[0]!;

  describe('CCM built from ecb(aes) and cbc(aes)', () => {
    // RFC 3610 section 8, packet vectors #1 and #2 (M = 8, L = 2, 13-byte nonce, 8-byte header).
    const key = Buffer.from('c0c1c2c3c4c5c6c7c8c9cacbcccdcecf', 'hex');
    const vectors = [
      {
        nonce: '00000003020100a0a1a2a3a4a5',
        data: '08090a0b0c0d0e0f101112131415161718191a1b1c1d1e',
        out: '588c979a61c663d2f066d0c2c0f989806d5f6b61dac38417e8d12cfdf926e0',
      },
      {
        nonce: '00000004030201a0a1a2a3a4a5',
        data: '08090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
        out: '72c91a36e135f8cf291ca894085c87e3cc15c439c9e43a3ba091d56e10400916',
      },
    ];

    function katRequest(o: { m: number; l: number; nonce: Buffer; aad: Buffer; data: Buffer; decrypt?: boolean; slot: number }): Buffer {
      const h = Buffer.alloc(40);
      h[0] = o.slot;
      h[1] = o.m;
      h[2] = o.l;
      h[3] = o.aad.length;
      h.writeUInt16LE(o.data.length, 4);
      h[6] = o.decrypt ? 1 : 0;
      o.nonce.copy(h, 8);
      o.aad.copy(h, 21);
      return Buffer.concat([Buffer.alloc(14), h, o.data, Buffer.alloc(16)]);
    }

    it('matches the RFC 3610 packet vectors', async () => {
      const slot = await a.setBenchKey(key);
      for (const v of vectors) {
        const req = katRequest({ m: 8, l: 2, nonce: Buffer.from(v.nonce, 'hex'), aad: Buffer.from('0001020304050607', 'hex'), data: Buffer.from(v.data, 'hex'), slot });
        const [r] = await a.testRun('dp_ccm_kat', [req]);
        expect(r!.retval).toBe(0);
        expect(r!.data.subarray(54, 54 + v.out.length / 2).toString('hex')).toBe(v.out);
      }
    });

    it('agrees with OpenSSL (node:crypto) for random RFC 4309-shaped inputs, and rejects altered tags', async () => {
      const k = randomBytes(16);
      const slot = await a.setBenchKey(k);
      for (const len of [1, 15, 16, 17, 100, 1400]) {
        const nonce = Buffer.concat([randomBytes(11), Buffer.alloc(2)]);
        const aad = randomBytes(8);
        const data = randomBytes(len);
        const c = createCipheriv('aes-128-ccm', k, nonce.subarray(0, 11), { authTagLength: 16 });
        c.setAAD(aad, { plaintextLength: len });
        const expected = Buffer.concat([c.update(data), c.final(), c.getAuthTag()]);
        const [enc] = await a.testRun('dp_ccm_kat', [katRequest({ m: 16, l: 4, nonce, aad, data, slot })]);
        expect(enc!.data.subarray(54, 54 + len + 16).equals(expected)).toBe(true);
        const ct = Buffer.from(expected);
        // A decrypt request carries the tag right after the data.
        const reqOk = katRequest({ m: 16, l: 4, nonce, aad, data: ct.subarray(0, len), decrypt: true, slot });
        ct.subarray(len).copy(reqOk, 54 + len);
        const badTag = Buffer.from(reqOk);
        badTag[54 + len + 5]! ^= 1;
        const [ok, bad] = await a.testRun('dp_ccm_kat', [reqOk, badTag]);
        expect(ok!.retval).toBe(0);
        expect(ok!.data.subarray(54, 54 + len).equals(data)).toBe(true);
        expect(bad!.retval).toBe(1);
      }
    });
  });

  describe('seal and open', () => {
    for (const [proto, flow] of [['udp', udpFlow], ['tcp', tcpFlow]] as const) {
      for (const size of [1, 64, 512, 1400]) {
        it(`round-trips ${proto} with ${size} bytes of payload, and nothing readable leaves`, async () => {
          const frame = buildPacket({ src: A, dst: B, protocol: proto, sport: 40001, dport: flow.dstPort, payload: payload(size) });
          const s = await seal(frame);
          expect(s.retval).toBe(TC_ACT_OK);
          const p = parseFrame(s.data);
          expect(p.protocol).toBe(50);
          expect(p.headerOk).toBe(true);
          if (size >= MARKER.length) expect(s.data.includes(MARKER)).toBe(false);
          const o = await open(s.data);
          expect(o.retval).toBe(TC_ACT_OK);
          expectDelivered(o.data, frame, s.data);
        });
      }
    }

    it('answers flow the other way (responder to initiator, from the service port)', async () => {
      const frame = buildPacket({ src: B, dst: A, protocol: 'udp', sport: udpFlow.dstPort, dport: 40001, payload: payload(200) });
      const [s] = await b.testRun('dp_egress', [frame]);
      expect(s!.retval).toBe(TC_ACT_OK);
      expect(espHeader(s!.data).spi).toBe(r2i.spi);
      const [o] = await a.testRun('dp_ingress', [s!.data]);
      expect(o!.retval).toBe(TC_ACT_OK);
      expectDelivered(o!.data, frame, s!.data);
    });

    /**
     * What a device, or the kernel's skb_checksum_help for a device without offload, does after tc
     * egress to a CHECKSUM_PARTIAL packet: sums the frame from csum_start to its end and writes the
     * result at csum_start + csum_offset (0 is written as 0xffff).
     */
    function completeChecksum(frame: Buffer, start: number, off: number): Buffer {
      const f = Buffer.from(frame);
      let sum = 0;
      for (let i = start; i < f.length; i += 2) sum += f.readUInt16BE(i); // the length past start is even
      while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
      f.writeUInt16BE(~sum & 0xffff || 0xffff, start + off);
      return f;
    }

    it('completes a checksum the stack left to the device (offload), and makes the device write after tc change nothing', async () => {
      // BPF_PROG_TEST_RUN cannot mark a packet CHECKSUM_PARTIAL: the benchmark's switch makes the
      // program treat every packet so. Small segments take the direct-access path (copy and sum
      // in one loop), larger ones the helpers; odd lengths exercise the partial last word.
      await a.setBenchChecksumPartial(true);
      try {
        for (const [proto, flow, at, size] of [
          ['udp', udpFlow, 6, 301], ['tcp', tcpFlow, 16, 301], ['udp', udpFlow, 6, 1], ['udp', udpFlow, 6, 13],
          ['udp', udpFlow, 6, 40], ['tcp', tcpFlow, 16, 0], ['tcp', tcpFlow, 16, 37], ['udp', udpFlow, 6, 248], ['udp', udpFlow, 6, 249],
          ['tcp', tcpFlow, 16, 1400],
        ] as const) {
          const frame = buildPacket({ src: A, dst: B, protocol: proto, sport: 40001, dport: flow.dstPort, payload: payload(size) });
          const partial = Buffer.from(frame);
          partial.writeUInt16BE(0x1234, 14 + 20 + at); // whatever the stack left for the device
          const s = await seal(partial);
          expect(s.retval).toBe(TC_ACT_OK);
          const keys = proto === 'udp' ? i2r : tcpI2r;
          const inner = espOpen(s.data, keys);
          expect(inner.frame.equals(frame)).toBe(true); // checksum as a correct stack would have written it
          expect(l4Checksum(Buffer.from([10, 77, 0, 1]), Buffer.from([10, 77, 0, 2]), proto === 'udp' ? 17 : 6, inner.l4)).toBe(inner.l4.readUInt16BE(at));
          // The packet is still CHECKSUM_PARTIAL with csum_start at the old L4 header, now the ESP
          // header: 4 bytes past the IP packet make the device's write a no-op.
          expect(s.data.length).toBe(14 + parseFrame(s.data).totalLength + 4);
          expect(completeChecksum(s.data, 14 + 20, at).equals(s.data)).toBe(true);
          // Without them (the tail cut off) the same write would break the packet.
          const cut = s.data.subarray(0, s.data.length - 4);
          const broken = completeChecksum(cut, 14 + 20, at);
          if (!broken.equals(cut)) expect(() => espOpen(broken, keys)).toThrow(/integrity/);
        }
      } finally {
        await a.setBenchChecksumPartial(false);
      }
    });

    it('skips UDP sequence numbers whose low half is 0x0000 or 0xffff when the device will write there', async () => {
      // For UDP the device's checksum lands on the sequence number's low half; devices disagree on
      // how they write a zero sum, so no neutral tail can serve those two values.
      const flow = { ...udpFlow, edge: 'a->b/skip', dstPort: 9201 };
      const sa = edgeInstalls(flow, 0, freshKeys(0x3a00), freshKeys(0x3a01)).a[0]!;
      await a.install(sa);
      await a.setBenchChecksumPartial(true);
      try {
        const mine = (await a.installed()).find((x) => x.spi === sa.spi && x.direction === 'out')!;
        const args = ctxSaArgs(sa.spi, 0, sa.salt, Buffer.from(mine.selector, 'hex'), 0x1fffdn);
        expect((await runHelper([`ctx ${a.pinDir} ${mine.slot} ${Buffer.from(sa.key).toString('hex')} ${args}`]))[0]!.ok).toBe(true);
        const frame = buildPacket({ src: A, dst: B, protocol: 'udp', sport: 40021, dport: 9201, payload: payload(30) });
        const out = await a.testRun('dp_egress', [frame, frame, frame]);
        expect(out.map((r) => espHeader(r.data).seq)).toEqual([0x1fffe, 0x20001, 0x20002]);
        for (const r of out) {
          expect(completeChecksum(r.data, 14 + 20, 6).equals(r.data)).toBe(true);
          expect(espOpen(r.data, sa).frame.equals(frame)).toBe(true);
        }
      } finally {
        await a.setBenchChecksumPartial(false);
        await a.removeEdge(flow.edge);
      }
    });

    it('leaves a complete checksum as the stack wrote it, and adds no tail', async () => {
      const frame = buildPacket({ src: A, dst: B, protocol: 'udp', sport: 40001, dport: udpFlow.dstPort, payload: payload(77) });
      const odd = Buffer.from(frame);
      odd.writeUInt16BE(0x1234, 14 + 20 + 6); // not this segment's checksum: kept, the receiver's stack judges it
      const s = await seal(odd);
      expect(s.retval).toBe(TC_ACT_OK);
      expect(s.data.length).toBe(14 + parseFrame(s.data).totalLength);
      expect(espOpen(s.data, i2r).frame.equals(odd)).toBe(true);
    });

    it('uses per-SA sequence numbers that increase by one', async () => {
      const frame = buildPacket({ src: A, dst: B, protocol: 'udp', sport: 40002, dport: udpFlow.dstPort, payload: payload(40) });
      const out = await a.testRun('dp_egress', [frame, frame, frame]);
      const seqs = out.map((r) => espHeader(r.data).seq);
      expect(seqs[1]).toBe(seqs[0]! + 1);
      expect(seqs[2]).toBe(seqs[0]! + 2);
      for (const r of out) expect((await open(r.data)).retval).toBe(TC_ACT_OK);
    });
  });

  describe('RFC 4309 interoperability with OpenSSL (node:crypto)', () => {
    it('a kernel-sealed packet is byte for byte the RFC 4309 encoding, and OpenSSL opens it', async () => {
      const frame = buildPacket({ src: A, dst: B, protocol: 'udp', sport: 40003, dport: udpFlow.dstPort, payload: payload(333) });
      const s = await seal(frame);
      const { seq } = espHeader(s.data);
      expect(s.data.equals(espSeal(frame, i2r, seq))).toBe(true);
      const opened = espOpen(s.data, i2r);
      expect(opened.frame.equals(frame)).toBe(true);
      expect(opened.iv.readBigUInt64BE(0)).toBe(BigInt(seq));
      expect((await open(s.data)).retval).toBe(TC_ACT_OK);
    });

    it('the kernel accepts packets sealed by OpenSSL, with any explicit IV', async () => {
      const frame = buildPacket({ src: A, dst: B, protocol: 'udp', sport: 40004, dport: forgeFlow.dstPort, payload: payload(777) });
      const sealed = espSeal(frame, forge, 100_000, randomBytes(8));
      const o = await open(sealed);
      expect(o.retval).toBe(TC_ACT_OK);
      expectDelivered(o.data, frame, sealed);
    });
  });

  describe('drops, each counted under its reason', () => {
    async function expectDrop(frame: Buffer, counter: string, dp: 'a-out' | 'b-in' = 'b-in'): Promise<void> {
      const node = dp === 'a-out' ? a : b;
      const before = await node.counters();
      const [r] = await node.testRun(dp === 'a-out' ? 'dp_egress' : 'dp_ingress', [frame]);
      expect(r!.retval).toBe(TC_ACT_SHOT);
      expect(delta(before, await node.counters())).toEqual({ [counter]: 1 });
    }

    const fresh = async (n = 64): Promise<Buffer> =>
      (await seal(buildPacket({ src: A, dst: B, protocol: 'udp', sport: 40005, dport: udpFlow.dstPort, payload: payload(n) }))).data;

    it('tampered ciphertext', async () => {
      const s = await fresh();
      s[14 + 20 + 16 + 3]! ^= 0x80;
      await expectDrop(s, 'in.auth_fail');
    });

    it('tampered tag', async () => {
      const s = await fresh();
      s[s.length - 1]! ^= 1;
      await expectDrop(s, 'in.auth_fail');
    });

    it('tampered sequence number (it is authenticated)', async () => {
      const s = await fresh();
      s.writeUInt32BE(s.readUInt32BE(14 + 20 + 4) + 1000, 14 + 20 + 4);
      await expectDrop(s, 'in.auth_fail');
    });

    it('tampered SPI: unknown SA, or another SA whose key does not fit', async () => {
      const s = await fresh();
      s.writeUInt32BE(0xdead, 14 + 20);
      await expectDrop(s, 'in.no_sa');
      const t = await fresh();
      t.writeUInt32BE(0x1101, 14 + 20); // the tcp edge's inbound SA
      await expectDrop(t, 'in.auth_fail');
    });

    it('property: no single-byte change to the ESP part or the addresses gets a packet delivered', async () => {
      const s = await fresh(200);
      const cases = fc.sample(
        fc.tuple(fc.oneof(fc.integer({ min: 14 + 12, max: 14 + 19 }), fc.integer({ min: 34, max: s.length - 1 })), fc.integer({ min: 1, max: 255 })),
        { numRuns: 150, seed: 42 },
      );
      const mutated = cases.map(([at, x]) => {
        const t = Buffer.from(s);
        t[at]! ^= x;
        return t;
      });
      const results = await b.testRun('dp_ingress', mutated);
      results.forEach((r, i) => expect(r.retval, `byte ${cases[i]![0]} ^ ${cases[i]![1]}`).toBe(TC_ACT_SHOT));
      expect((await open(s)).retval).toBe(TC_ACT_OK); // the original was never spent by a mutant
    });

    it('replayed packet', async () => {
      const s = await fresh();
      expect((await open(s)).retval).toBe(TC_ACT_OK);
      await expectDrop(s, 'in.replay');
    });

    it('out-of-window packet; late but unseen packets inside the window still arrive', async () => {
      const frame = buildPacket({ src: A, dst: B, protocol: 'udp', sport: 40006, dport: udpFlow.dstPort, payload: payload(20) });
      const sealed = (await a.testRun('dp_egress', Array.from({ length: 70 }, () => frame))).map((r) => r.data);
      expect((await open(sealed[69]!)).retval).toBe(TC_ACT_OK);
      await expectDrop(sealed[0]!, 'in.out_of_window');
      expect((await open(sealed[10]!)).retval).toBe(TC_ACT_OK);
      await expectDrop(sealed[10]!, 'in.replay');
    });

    it('authentic packet whose inner flow is not the SA edge (wrong edge)', async () => {
      const other = buildPacket({ src: A, dst: B, protocol: 'udp', sport: 40007, dport: 9999, payload: payload(50) });
      await expectDrop(espSeal(other, i2r, 500_000), 'in.wrong_edge');
      const tcpInUdpSa = buildPacket({ src: A, dst: B, protocol: 'tcp', sport: 40007, dport: udpFlow.dstPort, payload: payload(50) });
      await expectDrop(espSeal(tcpInUdpSa, i2r, 500_001), 'in.wrong_edge');
    });

    it('traffic keyed with a wrong key', async () => {
      const frame = buildPacket({ src: A, dst: B, protocol: 'udp', sport: 40008, dport: udpFlow.dstPort, payload: payload(50) });
      await expectDrop(espSeal(frame, { ...i2r, key: randomBytes(16) }, 600_000), 'in.auth_fail');
      await expectDrop(espSeal(frame, { ...i2r, salt: randomBytes(3) }, 600_001), 'in.auth_fail');
    });

    it('plaintext on a policy edge', async () => {
      const frame = buildPacket({ src: A, dst: B, protocol: 'udp', sport: 40009, dport: udpFlow.dstPort, payload: payload(50) });
      await expectDrop(frame, 'in.plaintext_on_edge');
    });

    it('default deny: flows no policy names, ICMP and IPv6 are dropped both ways', async () => {
      await expectDrop(buildPacket({ src: A, dst: B, protocol: 'udp', sport: 40010, dport: 5353, payload: payload(10) }), 'out.deny', 'a-out');
      await expectDrop(buildPacket({ src: A, dst: B, protocol: 'tcp', sport: 40010, dport: 22, payload: payload(10) }), 'in.deny');
      await expectDrop(buildPacket({ src: A, dst: B, protocol: 1, payload: payload(16) }), 'in.deny');
      const v6 = Buffer.concat([Buffer.alloc(12), Buffer.from([0x86, 0xdd]), Buffer.alloc(60)]);
      await expectDrop(v6, 'out.deny', 'a-out');
    });

    it('fragments are dropped', async () => {
      const frame = buildPacket({ src: A, dst: B, protocol: 'udp', sport: 40011, dport: udpFlow.dstPort, payload: payload(30) });
      frame.writeUInt16BE(0x2000, 14 + 6); // MF
      frame.writeUInt16BE(0, 14 + 10);
      await expectDrop(frame, 'out.frag', 'a-out');
    });

    it('a payload too large to seal within the MTU is dropped, never sent in clear', async () => {
      const frame = buildPacket({ src: A, dst: B, protocol: 'udp', sport: 40012, dport: udpFlow.dstPort, payload: payload(1460) });
      await expectDrop(frame, 'out.too_big', 'a-out');
    });

    it('an SA whose 32-bit sequence numbers are spent stops sealing (rekey required), never wraps', async () => {
      const flow = { ...udpFlow, edge: 'a->b/seq', dstPort: 9200 };
      const sa = edgeInstalls(flow, 0, freshKeys(0x3900), freshKeys(0x3901)).a[0]!;
      await a.install(sa);
      try {
        // The counter lives with the key in its slot: re-key the slot with the same SA, counter near the end.
        const mine = (await a.installed()).find((x) => x.spi === sa.spi && x.direction === 'out')!;
        expect(mine.inUse).toBe(true);
        const args = ctxSaArgs(sa.spi, 0, sa.salt, Buffer.from(mine.selector, 'hex'), 0xfffffffen);
        expect((await runHelper([`ctx ${a.pinDir} ${mine.slot} ${Buffer.from(sa.key).toString('hex')} ${args}`]))[0]!.ok).toBe(true);
        const frame = buildPacket({ src: A, dst: B, protocol: 'udp', sport: 40020, dport: 9200, payload: payload(20) });
        const [last] = await a.testRun('dp_egress', [frame]);
        expect(last!.retval).toBe(TC_ACT_OK);
        expect(espHeader(last!.data).seq).toBe(0xffffffff);
        await expectDrop(frame, 'out.seq_exhausted', 'a-out');
      } finally {
        await a.removeEdge(flow.edge);
      }
    });

    it('the MAKE control port and ARP pass in clear, unchanged', async () => {
      const ctrl = buildPacket({ src: A, dst: B, protocol: 'tcp', sport: 40013, dport: CTRL_PORT, payload: payload(80) });
      const [o] = await a.testRun('dp_egress', [ctrl]);
      expect(o!.retval).toBe(TC_ACT_OK);
      expect(o!.data.equals(ctrl)).toBe(true);
      const reply = buildPacket({ src: B, dst: A, protocol: 'tcp', sport: CTRL_PORT, dport: 40013, payload: payload(80) });
      expect((await a.testRun('dp_ingress', [reply]))[0]!.retval).toBe(TC_ACT_OK);
      const arp = Buffer.concat([Buffer.alloc(12, 0xff), Buffer.from([0x08, 0x06]), Buffer.alloc(28)]);
      expect((await b.testRun('dp_ingress', [arp]))[0]!.retval).toBe(TC_ACT_OK);
    });
  });

  describe('key install, rekey and removal', () => {
    const flow = { ...udpFlow, edge: 'a->b/rekey', dstPort: 9100 };
    const pkt = (n: number): Buffer => buildPacket({ src: A, dst: B, protocol: 'udp', sport: 41000, dport: 9100, payload: payload(n) });

    it('overlaps epochs during a rekey so packets in flight still arrive, then removes every trace of the old keys', async () => {
      const e0 = edgeInstalls(flow, 0, freshKeys(0x3000), freshKeys(0x4000));
      for (const sa of e0.a) await a.install(sa);
      for (const sa of e0.b) await b.install(sa);
      const inFlight = (await seal(pkt(100))).data;
      expect(espHeader(inFlight).spi).toBe(0x3000);

      // Rekey: inbound first on both ends, then outbound.
      const e1 = edgeInstalls(flow, 1, freshKeys(0x3001), freshKeys(0x4001));
      await b.install(e1.b[0]!);
      await a.install(e1.a[1]!);
      await a.install(e1.a[0]!);
      await b.install(e1.b[1]!);
      const after = (await seal(pkt(100))).data;
      expect(espHeader(after).spi).toBe(0x3001);
      expect((await open(after)).retval).toBe(TC_ACT_OK);
      expect((await open(inFlight)).retval).toBe(TC_ACT_OK); // old epoch still accepted during the overlap

      // Retire epoch 0: its keys go, and packets under them are refused.
      const before = await a.installed();
      const oldSlots = before.filter((x) => x.spi === 0x3000 || x.spi === 0x4000).map((x) => x.slot);
      expect(oldSlots.length).toBe(2);
      for (const sa of e0.a) await a.remove(flow.edge, sa.direction, 0);
      for (const sa of e0.b) await b.remove(flow.edge, sa.direction, 0);
      const late = espSeal(pkt(50), e0.a[0]!, 7);
      const c0 = await b.counters();
      expect((await open(late)).retval).toBe(TC_ACT_SHOT);
      expect(delta(c0, await b.counters())).toEqual({ 'in.no_sa': 1 });
      expect((await a.installed()).length).toBe(before.length - 2);
      // The old keys' crypto contexts are gone: CCM on those slots finds no context.
      const kat = (slot: number): Buffer => Buffer.concat([Buffer.alloc(14), Buffer.from([slot, 16, 4, 8, 16, 0]), Buffer.alloc(34), Buffer.alloc(32)]);
      for (const r of await a.testRun('dp_ccm_kat', oldSlots.map(kat))) expect(r.retval).toBe(-3);
      expect(espHeader((await seal(pkt(10))).data).spi).toBe(0x3001);

      // Removing the last epoch: the flow is denied, not sent in clear.
      for (const sa of e1.a) await a.remove(flow.edge, sa.direction, 1);
      for (const sa of e1.b) await b.remove(flow.edge, sa.direction, 1);
      const [r] = await a.testRun('dp_egress', [pkt(10)]);
      expect(r!.retval).toBe(TC_ACT_SHOT);
      expect((await a.installed()).some((x) => x.spi === 0x3000 || x.spi === 0x3001)).toBe(false);
    });

    it('an outbound SA for an older epoch never replaces a newer one', async () => {
      const f = { ...flow, edge: 'a->b/order', dstPort: 9101 };
      const e2 = edgeInstalls(f, 2, freshKeys(0x5002), freshKeys(0x6002));
      const e1 = edgeInstalls(f, 1, freshKeys(0x5001), freshKeys(0x6001));
      await a.install(e2.a[0]!);
      await a.install(e1.a[0]!);
      const s = await seal(buildPacket({ src: A, dst: B, protocol: 'udp', sport: 41001, dport: 9101, payload: payload(10) }));
      expect(espHeader(s.data).spi).toBe(0x5002);
      await a.removeEdge(f.edge);
    });

    it('refuses malformed SAs and duplicates with typed errors, changing nothing', async () => {
      const before = await a.installed();
      const good = edgeInstalls({ ...flow, edge: 'a->b/bad', dstPort: 9102 }, 0, freshKeys(0x7000), freshKeys(0x8000)).a[0]!;
      await expect(a.install({ ...good, key: randomBytes(15) })).rejects.toMatchObject({ code: 'dataplane.bad-sa' });
      await expect(a.install({ ...good, salt: randomBytes(4) })).rejects.toMatchObject({ code: 'dataplane.bad-sa' });
      await expect(a.install({ ...good, spi: 7 })).rejects.toMatchObject({ code: 'dataplane.bad-sa' });
      await expect(a.install({ ...good, side: undefined })).rejects.toMatchObject({ code: 'dataplane.bad-sa' });
      await expect(a.install({ ...good, flow: { ...good.flow, srcAddr: '10.0.0.300' } })).rejects.toMatchObject({ code: 'dataplane.bad-sa' });
      await expect(a.install({ ...good, spi: i2r.spi })).rejects.toMatchObject({ code: 'dataplane.exists' });
      await expect(a.remove('a->b/none', 'out', 0)).rejects.toMatchObject({ code: 'dataplane.not-found' });
      expect(await a.installed()).toEqual(before);
    });

    it('rolls back a half-done install when the kernel refuses a step (selector table full)', async () => {
      const c = await Dataplane.load({ pinDir: `/sys/fs/bpf/af-dp-full-${process.pid}`, ctrlPort: CTRL_PORT });
      try {
        const lines: string[] = [];
        for (let i = 0; i < 1024; i++) {
          const sel = encodeSelector({ saddr: '10.99.0.1', daddr: '10.99.0.2', proto: 17, portKind: 0, port: i + 1 });
          lines.push(`update ${c.pinDir} dp_sel ${sel.toString('hex')} ${encodeSelVal(1, 0).toString('hex')}`);
        }
        expect((await runHelper(lines)).every((r) => r.ok)).toBe(true);
        const sa = edgeInstalls(flow, 0, freshKeys(0x9000), freshKeys(0x9001)).a[0]!;
        await expect(c.install(sa)).rejects.toMatchObject({ code: 'dataplane.kernel' });
        expect(await c.installed()).toEqual([]);
        // The key's slot was cleared too: a context-less slot makes the KAT program fail with -2.
        const kat = Buffer.concat([Buffer.alloc(14), Buffer.from([0, 16, 4, 8, 16, 0]), Buffer.alloc(34), Buffer.alloc(32)]);
        expect((await c.testRun('dp_ccm_kat', [kat]))[0]!.retval).toBe(-3);
      } finally {
        await c.unload();
      }
    });
  });

  describe('measurement', () => {
    it('digests the translated programs and map layout; equal across loads, and the layout is the ABI', async () => {
      const ma = await a.measure();
      const mb = await b.measure();
      expect(ma.digest).toMatch(/^[0-9a-f]{64}$/);
      expect(ma.digest).toBe(mb.digest);
      expect(ma.programs.map((p) => p.name)).toEqual(['dp_egress', 'dp_ingress', 'dp_ctx_set', 'dp_ccm_kat', 'dp_bench_aes']);
      expect(new Set(ma.programs.map((p) => p.xlatedSha256)).size).toBe(5);
      const maps = new Map(ma.programs.flatMap((p) => p.maps).map((m) => [m.name, m]));
      expect(maps.get('dp_sel')).toMatchObject({ keySize: SEL_SIZE, valueSize: SEL_VAL_SIZE });
      expect(maps.get('dp_sa')).toMatchObject({ keySize: SA_KEY_SIZE, valueSize: SA_SIZE });
      expect(maps.get('dp_ctx')).toMatchObject({ keySize: 4, valueSize: CTX_SLOT_SIZE, maxEntries: SLOTS });
      expect(maps.get('dp_sel_fast')).toMatchObject({ keySize: 4, valueSize: 8, maxEntries: SEL_FAST });
      expect(maps.get('dp_spi_fast')).toMatchObject({ keySize: 4, valueSize: 4, maxEntries: SEL_FAST });
    });

    it('refuses bad configuration and attaching to a missing interface with typed errors', async () => {
      await expect(Dataplane.load({ pinDir: '/tmp/not-bpffs' })).rejects.toMatchObject({ code: 'dataplane.bad-config' });
      await expect(Dataplane.load({ pinDir: '/sys/fs/bpf/af-dp-x', ctrlPort: 70000 })).rejects.toMatchObject({ code: 'dataplane.bad-config' });
      await expect(a.attach('af-dp-nosuch0')).rejects.toMatchObject({ code: 'dataplane.attach' });
      await expect(a.attach('bad name')).rejects.toMatchObject({ code: 'dataplane.bad-config' });
      await expect(a.prepareInterface('af-dp-nosuch0')).rejects.toMatchObject({ code: 'dataplane.attach' });
    });

    it('a failed load leaves no pins and a typed error', async () => {
      const pin = `/sys/fs/bpf/af-dp-badload-${process.pid}`;
      await expect(Dataplane.load({ pinDir: pin, object: '/nonexistent.o' })).rejects.toMatchObject({ code: 'dataplane.load' });
      const { existsSync } = await import('node:fs');
      expect(existsSync(pin)).toBe(false);
    });
  });
});
