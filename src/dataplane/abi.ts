/**
 * Byte layouts shared with the kernel (mirror of bpf/dp_abi.h). All encoders are pure; the map
 * layout test checks these sizes against what the kernel reports for the loaded maps.
 */
import { DataplaneError } from './errors.js';

export const SEL_SIZE = 16;
export const SEL_VAL_SIZE = 16;
export const SA_KEY_SIZE = 8;
export const SA_SIZE = 56;
export const CFG_SIZE = 8;
export const SLOTS = 256;
export const DIR_OUT = 0;
export const DIR_IN = 1;
export const PORT_DST = 0;
export const PORT_SRC = 1;
export const PROTO = { tcp: 6, udp: 17 } as const;
/** Largest L4 payload (TCP/UDP header + data) the data plane seals: DP_MAX_PT minus trailer. */
export const MAX_L4 = 1448 - 2 - 3;

/** Verdict names in counter order (enum dp_verdict). */
export const VERDICTS = [
  'pass_nonip',
  'pass_ctrl',
  'sealed',
  'opened',
  'deny',
  'plaintext_on_edge',
  'no_sa',
  'no_key',
  'replay',
  'out_of_window',
  'auth_fail',
  'wrong_edge',
  'malformed',
  'too_big',
  'gso',
  'frag',
  'seq_exhausted',
  'crypto_err',
  'adjust_err',
] as const;
export type Verdict = (typeof VERDICTS)[number];
export const V_MAX = 32;

/** A selector as the kernel matches it in one packet. */
export interface Selector {
  readonly saddr: string;
  readonly daddr: string;
  readonly proto: number;
  readonly portKind: number;
  readonly port: number;
}

/** Parses dotted IPv4 into its 4 bytes (network order); typed error otherwise. */
export function ipv4(addr: string): Uint8Array {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(addr);
  const parts = m?.slice(1).map(Number);
  if (!parts || parts.some((p) => p > 255)) throw new DataplaneError('dataplane.bad-sa', `not an IPv4 address: ${JSON.stringify(addr)}`);
  return Uint8Array.from(parts);
}

export function encodeSelector(s: Selector): Buffer {
  const b = Buffer.alloc(SEL_SIZE);
  b.set(ipv4(s.saddr), 0);
  b.set(ipv4(s.daddr), 4);
  b.writeUInt8(s.proto, 8);
  b.writeUInt8(s.portKind, 9);
  b.writeUInt16LE(s.port, 10);
  return b;
}

export function encodeSelVal(edgeId: number, dir: number, outSpi: number): Buffer {
  const b = Buffer.alloc(SEL_VAL_SIZE);
  b.writeUInt32LE(edgeId, 0);
  b.writeUInt32LE(dir, 4);
  b.writeUInt32LE(outSpi, 8);
  return b;
}

export function decodeSelVal(b: Buffer): { edgeId: number; dir: number; outSpi: number } {
  return { edgeId: b.readUInt32LE(0), dir: b.readUInt32LE(4), outSpi: b.readUInt32LE(8) };
}

export function encodeSaKey(spi: number, dir: number): Buffer {
  const b = Buffer.alloc(SA_KEY_SIZE);
  b.writeUInt32LE(spi, 0);
  b.writeUInt32LE(dir, 4);
  return b;
}

export interface SaValue {
  readonly edgeId: number;
  readonly slot: number;
  readonly epoch: number;
  readonly salt: Uint8Array;
  readonly seq: bigint;
  readonly bitmap: bigint;
  readonly inner: Selector;
}

export function encodeSa(v: SaValue): Buffer {
  const b = Buffer.alloc(SA_SIZE);
  b.writeUInt32LE(v.edgeId, 4);
  b.writeUInt32LE(v.slot, 8);
  b.writeUInt32LE(v.epoch, 12);
  b.set(v.salt.subarray(0, 3), 16);
  b.writeBigUInt64LE(v.seq, 24);
  b.writeBigUInt64LE(v.bitmap, 32);
  encodeSelector(v.inner).copy(b, 40);
  return b;
}

export function decodeSa(b: Buffer): { edgeId: number; slot: number; epoch: number; seq: bigint; bitmap: bigint } {
  return {
    edgeId: b.readUInt32LE(4),
    slot: b.readUInt32LE(8),
    epoch: b.readUInt32LE(12),
    seq: b.readBigUInt64LE(24),
    bitmap: b.readBigUInt64LE(32),
  };
}

export function encodeCfg(ctrlPort: number, benchSlot: number): Buffer {
  const b = Buffer.alloc(CFG_SIZE);
  b.writeUInt16LE(ctrlPort, 0);
  b.writeUInt32LE(benchSlot, 4);
  return b;
}

export function u32le(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n, 0);
  return b;
}
