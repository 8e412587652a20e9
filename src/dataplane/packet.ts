/**
 * Minimal Ethernet/IPv4/TCP/UDP packet building and parsing, for BPF_PROG_TEST_RUN inputs, the
 * benchmark and the RFC 4309 reference codec. Only what the data plane handles: IPv4 without options.
 */
import { ipv4 } from './abi.js';
import { DataplaneError } from './errors.js';

export const ETH_HLEN = 14;
export const IP_HLEN = 20;

export interface PacketSpec {
  readonly src: string;
  readonly dst: string;
  readonly protocol: 'tcp' | 'udp' | number;
  readonly sport?: number;
  readonly dport?: number;
  readonly payload?: Uint8Array;
  /** TCP sequence number (default 1). */
  readonly tcpSeq?: number;
}

function sum16(b: Uint8Array, acc = 0): number {
  for (let i = 0; i < b.length; i += 2) acc += (b[i]! << 8) | (b[i + 1] ?? 0);
  return acc;
}

function fold(acc: number): number {
  while (acc > 0xffff) acc = (acc & 0xffff) + (acc >>> 16);
  return ~acc & 0xffff;
}

/** The IPv4 header checksum. */
export function ipChecksum(hdr: Uint8Array): number {
  const c = Buffer.from(hdr);
  c.writeUInt16BE(0, 10);
  return fold(sum16(c));
}

/** TCP/UDP checksum over the pseudo header and the segment (its checksum field zeroed first). */
export function l4Checksum(src: Uint8Array, dst: Uint8Array, proto: number, seg: Uint8Array): number {
  const pseudo = Buffer.alloc(12);
  pseudo.set(src, 0);
  pseudo.set(dst, 4);
  pseudo[9] = proto;
  pseudo.writeUInt16BE(seg.length, 10);
  const c = Buffer.from(seg);
  c.writeUInt16BE(0, proto === 6 ? 16 : 6);
  const r = fold(sum16(c, sum16(pseudo)));
  return proto === 17 && r === 0 ? 0xffff : r;
}

/** Builds an Ethernet frame carrying one IPv4 TCP or UDP packet, checksums filled in. */
export function buildPacket(s: PacketSpec): Buffer {
  const proto = s.protocol === 'tcp' ? 6 : s.protocol === 'udp' ? 17 : s.protocol;
  const payload = Buffer.from(s.payload ?? new Uint8Array());
  let l4: Buffer;
  if (proto === 6) {
    l4 = Buffer.alloc(20 + payload.length);
    l4.writeUInt16BE(s.sport ?? 40000, 0);
    l4.writeUInt16BE(s.dport ?? 80, 2);
    l4.writeUInt32BE(s.tcpSeq ?? 1, 4);
    l4[12] = 5 << 4;
    l4[13] = 0x18; // PSH|ACK
    l4.writeUInt16BE(65535, 14);
    payload.copy(l4, 20);
  } else if (proto === 17) {
    l4 = Buffer.alloc(8 + payload.length);
    l4.writeUInt16BE(s.sport ?? 40000, 0);
    l4.writeUInt16BE(s.dport ?? 80, 2);
    l4.writeUInt16BE(l4.length, 4);
    payload.copy(l4, 8);
  } else {
    l4 = payload;
  }
  const src = ipv4(s.src);
  const dst = ipv4(s.dst);
  if (proto === 6) l4.writeUInt16BE(l4Checksum(src, dst, 6, l4), 16);
  if (proto === 17) l4.writeUInt16BE(l4Checksum(src, dst, 17, l4), 6);
  const ip = Buffer.alloc(IP_HLEN);
  ip[0] = 0x45;
  ip.writeUInt16BE(IP_HLEN + l4.length, 2);
  ip.writeUInt16BE(0x4000, 6); // DF
  ip[8] = 64;
  ip[9] = proto;
  ip.set(src, 12);
  ip.set(dst, 16);
  ip.writeUInt16BE(ipChecksum(ip), 10);
  const eth = Buffer.alloc(ETH_HLEN);
  eth.set([2, 0, 0, 0, 0, 2], 0);
  eth.set([2, 0, 0, 0, 0, 1], 6);
  eth.writeUInt16BE(0x0800, 12);
  return Buffer.concat([eth, ip, l4]);
}

export interface ParsedIpv4 {
  readonly src: string;
  readonly dst: string;
  readonly protocol: number;
  readonly totalLength: number;
  readonly headerOk: boolean;
  /** Everything after the IPv4 header, up to its total length. */
  readonly l4: Buffer;
}

/** Parses an Ethernet frame with an IPv4 packet (no options). */
export function parseFrame(frame: Uint8Array): ParsedIpv4 {
  const b = Buffer.from(frame);
  if (b.length < ETH_HLEN + IP_HLEN || b.readUInt16BE(12) !== 0x0800 || b[ETH_HLEN] !== 0x45) {
    throw new DataplaneError('dataplane.bad-packet', 'not an Ethernet frame with an option-less IPv4 packet');
  }
  const ip = b.subarray(ETH_HLEN, ETH_HLEN + IP_HLEN);
  const tot = ip.readUInt16BE(2);
  if (tot < IP_HLEN || ETH_HLEN + tot > b.length) throw new DataplaneError('dataplane.bad-packet', `bad IPv4 total length ${tot}`);
  return {
    src: Array.from(ip.subarray(12, 16)).join('.'),
    dst: Array.from(ip.subarray(16, 20)).join('.'),
    protocol: ip[9]!,
    totalLength: tot,
    headerOk: ipChecksum(ip) === ip.readUInt16BE(10),
    l4: b.subarray(ETH_HLEN + IP_HLEN, ETH_HLEN + tot),
  };
}
