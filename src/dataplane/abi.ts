/**
 * Byte layouts shared with the kernel (mirror of bpf/dp_abi.h). All encoders are pure; the map
 * layout test checks these sizes against what the kernel reports for the loaded maps.
 */
import { DataplaneError } from './errors.js';

export const SEL_SIZE = 16;
export const SEL_VAL_SIZE = 32;
/** Byte offset of the outbound sequence counter in struct dp_sel_val. */
export const SEL_SEQ_OFFSET = 24;
export const SA_KEY_SIZE = 8;
export const SA_SIZE = 72;
/** Words of the inbound anti-replay window (DP_WIN_WORDS). */
export const WIN_WORDS = 4;
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
  'window_busy',
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

/** The outbound SA a selector seals with: its SPI, key slot and salt (the counter starts at 0). */
export interface SelOut {
  readonly spi: number;
  readonly slot: number;
  readonly salt: Uint8Array;
}

export function encodeSelVal(edgeId: number, dir: number, out?: SelOut): Buffer {
  const b = Buffer.alloc(SEL_VAL_SIZE);
  b.writeUInt32LE(edgeId, 0);
  b.writeUInt32LE(dir, 4);
  if (out) {
    b.writeUInt32LE(out.spi, 8);
    b.writeUInt32LE(out.slot, 12);
    b.set(out.salt.subarray(0, 3), 16);
  }
  return b;
}

export function decodeSelVal(b: Buffer): { edgeId: number; dir: number; outSpi: number; outSlot: number; seq: bigint } {
  return { edgeId: b.readUInt32LE(0), dir: b.readUInt32LE(4), outSpi: b.readUInt32LE(8), outSlot: b.readUInt32LE(12), seq: b.readBigUInt64LE(SEL_SEQ_OFFSET) };
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
  readonly inner: Selector;
}

export function encodeSa(v: SaValue): Buffer {
  const b = Buffer.alloc(SA_SIZE);
  b.writeUInt32LE(v.edgeId, 0);
  b.writeUInt32LE(v.slot, 4);
  b.writeUInt32LE(v.epoch, 8);
  b.set(v.salt.subarray(0, 3), 12);
  b.writeBigUInt64LE(v.seq, SA_SEQ_OFFSET);
  // The window words (16 + 8 .. 56) start empty.
  encodeSelector(v.inner).copy(b, SA_INNER_OFFSET);
  return b;
}

/** Byte offsets in struct dp_sa of the sequence number and of the inner selector. */
export const SA_SEQ_OFFSET = 16;
export const SA_INNER_OFFSET = 56;

export function decodeSa(b: Buffer): { edgeId: number; slot: number; epoch: number; seq: bigint } {
  return {
    edgeId: b.readUInt32LE(0),
    slot: b.readUInt32LE(4),
    epoch: b.readUInt32LE(8),
    seq: b.readBigUInt64LE(SA_SEQ_OFFSET),
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
