/**
 * Byte layouts shared with the kernel (mirror of bpf/dp_abi.h). All encoders are pure; the map
 * layout test checks these sizes against what the kernel reports for the loaded maps.
 */
import { DataplaneError } from './errors.js';

export const SEL_SIZE = 16;
export const SEL_VAL_SIZE = 16;
/** Entries of the selector index dp_sel_fast (DP_SEL_FAST). */
export const SEL_FAST = 1024;
/** Size of a crypto slot's value as user space reads it (struct dp_ctx_slot; key pointers read as 0). */
export const CTX_SLOT_SIZE = 88;
export const SA_KEY_SIZE = 8;
export const SA_SIZE = 28;
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

export function encodeSelVal(edgeId: number, dir: number, outSpi = 0, outSlot = 0): Buffer {
  const b = Buffer.alloc(SEL_VAL_SIZE);
  b.writeUInt32LE(edgeId, 0);
  b.writeUInt32LE(dir, 4);
  b.writeUInt32LE(outSpi, 8);
  b.writeUInt32LE(outSlot, 12);
  return b;
}

export function decodeSelVal(b: Buffer): { edgeId: number; dir: number; outSpi: number; outSlot: number } {
  return { edgeId: b.readUInt32LE(0), dir: b.readUInt32LE(4), outSpi: b.readUInt32LE(8), outSlot: b.readUInt32LE(12) };
}

/** A selector index entry naming several selectors: ask the selector table. */
export const SEL_MANY = 0xffffffffn;

/** A selector index entry (8 bytes): 0, SPI << 32 | slot + 1, or SEL_MANY. */
export function encodeSelFast(v: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(v, 0);
  return b;
}

/**
 * The selector index entry (dp_sel_fast) of an encoded selector in a direction: the same hash as
 * sel_fast_index() in the eBPF program, over addresses, protocol and direction (not the port).
 */
export function selFastIndex(sel: Buffer, dir: number): number {
  const h = (sel.readUInt32LE(0) ^ sel.readUInt32LE(4) ^ (sel[8]! | (dir << 8))) >>> 0;
  return Math.imul(h, 0x9e3779b1) >>> (32 - 10);
}

/** The SA fields a crypto slot keeps with its key (the `ctx` operation of the helper). */
export function ctxSaArgs(spi: number, dir: number, salt: Uint8Array, sel: Buffer, seq = 0n): string {
  return `${spi} ${dir} ${Buffer.from(salt.subarray(0, 3)).toString('hex')} ${sel.toString('hex')} ${seq}`;
}

/** A crypto slot's SA fields as user space reads them (struct dp_ctx_slot). */
export function decodeCtxSlot(b: Buffer): { spi: number; dir: number; seq: bigint; selector: string; top: bigint } {
  return { spi: b.readUInt32LE(0), dir: b[7]!, seq: b.readBigUInt64LE(8), selector: b.subarray(16, 32).toString('hex'), top: b.readBigUInt64LE(32) };
}

/** The SPI index entry of an inbound SA (dp_spi_fast): the same hash as spi_slot() in the program. */
export function spiFastIndex(spi: number): number {
  return Math.imul(spi >>> 0, 0x9e3779b1) >>> (32 - 10);
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
  readonly inner: Selector;
}

export function encodeSa(v: SaValue): Buffer {
  const b = Buffer.alloc(SA_SIZE);
  b.writeUInt32LE(v.edgeId, 0);
  b.writeUInt32LE(v.slot, 4);
  b.writeUInt32LE(v.epoch, 8);
  encodeSelector(v.inner).copy(b, SA_INNER_OFFSET);
  return b;
}

/** Byte offset in struct dp_sa of its selector. */
export const SA_INNER_OFFSET = 12;

export function decodeSa(b: Buffer): { edgeId: number; slot: number; epoch: number } {
  return { edgeId: b.readUInt32LE(0), slot: b.readUInt32LE(4), epoch: b.readUInt32LE(8) };
}

/** dp_cfg flag (dp_abi.h): egress treats every packet as CHECKSUM_PARTIAL; benchmarks only. */
export const CFG_BENCH_PARTIAL = 1;

export function encodeCfg(ctrlPort: number, benchSlot: number, flags = 0): Buffer {
  const b = Buffer.alloc(CFG_SIZE);
  b.writeUInt16LE(ctrlPort, 0);
  b.writeUInt16LE(flags, 2);
  b.writeUInt32LE(benchSlot, 4);
  return b;
}

export function u32le(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n, 0);
  return b;
}
