/**
 * ESP in transport mode (RFC 4303) with AES-CCM (RFC 4309: 16-byte ICV, 3-byte salt, 8-byte
 * explicit IV, 32-bit sequence numbers) through OpenSSL (node:crypto). It is the reference the
 * kernel data plane is checked against in both directions, and a codec for tools that need to read
 * or forge packets (tests, captures). It is not on the packet path.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { DataplaneError } from './errors.js';
import { ETH_HLEN, IP_HLEN, ipChecksum, parseFrame } from './packet.js';

export const ESP_PROTO = 50;
export const ICV_LEN = 16;

export interface EspKeys {
  readonly spi: number;
  readonly key: Uint8Array;
  readonly salt: Uint8Array;
}

function cipherName(key: Uint8Array): 'aes-128-ccm' | 'aes-192-ccm' | 'aes-256-ccm' {
  if (key.length === 16) return 'aes-128-ccm';
  if (key.length === 24) return 'aes-192-ccm';
  if (key.length === 32) return 'aes-256-ccm';
  throw new DataplaneError('dataplane.bad-sa', 'key must be 16, 24 or 32 bytes');
}

function withIpHeader(frame: Buffer, protocol: number, body: Buffer): Buffer {
  const head = Buffer.from(frame.subarray(0, ETH_HLEN + IP_HLEN));
  head.writeUInt16BE(IP_HLEN + body.length, ETH_HLEN + 2);
  head[ETH_HLEN + 9] = protocol;
  head.writeUInt16BE(ipChecksum(head.subarray(ETH_HLEN)), ETH_HLEN + 10);
  return Buffer.concat([head, body]);
}

/** Seals a frame's IPv4 payload as ESP. The explicit IV defaults to the 64-bit sequence number. */
export function espSeal(frame: Uint8Array, sa: EspKeys, seq: number, iv?: Uint8Array): Buffer {
  const f = Buffer.from(frame);
  const p = parseFrame(f);
  const ivb = Buffer.alloc(8);
  if (iv) Buffer.from(iv).copy(ivb);
  else ivb.writeBigUInt64BE(BigInt(seq));
  const pad = (4 - ((p.l4.length + 2) % 4)) % 4;
  const trailer = Buffer.alloc(pad + 2);
  for (let i = 0; i < pad; i++) trailer[i] = i + 1;
  trailer[pad] = pad;
  trailer[pad + 1] = p.protocol;
  const pt = Buffer.concat([p.l4, trailer]);
  const hdr = Buffer.alloc(8);
  hdr.writeUInt32BE(sa.spi >>> 0, 0);
  hdr.writeUInt32BE(seq >>> 0, 4);
  const c = createCipheriv(cipherName(sa.key), sa.key, Buffer.concat([Buffer.from(sa.salt), ivb]), { authTagLength: ICV_LEN });
  c.setAAD(hdr, { plaintextLength: pt.length });
  const ct = Buffer.concat([c.update(pt), c.final()]);
  return withIpHeader(f.subarray(0, ETH_HLEN + IP_HLEN) as Buffer, ESP_PROTO, Buffer.concat([hdr, ivb, ct, c.getAuthTag()]));
}

export interface Opened {
  readonly spi: number;
  readonly seq: number;
  readonly iv: Buffer;
  /** The frame with the ESP removed: the original IPv4 packet. */
  readonly frame: Buffer;
  /** The inner transport segment. */
  readonly l4: Buffer;
  readonly nextHeader: number;
}

/** Reads SPI and sequence number without keys. */
export function espHeader(frame: Uint8Array): { spi: number; seq: number } {
  const p = parseFrame(frame);
  if (p.protocol !== ESP_PROTO || p.l4.length < 16) throw new DataplaneError('dataplane.bad-packet', 'not an ESP packet');
  return { spi: p.l4.readUInt32BE(0), seq: p.l4.readUInt32BE(4) };
}

/** Opens an ESP packet; a wrong key, salt or any altered byte gives `dataplane.esp-auth`. */
export function espOpen(frame: Uint8Array, sa: EspKeys): Opened {
  const f = Buffer.from(frame);
  const p = parseFrame(f);
  if (p.protocol !== ESP_PROTO) throw new DataplaneError('dataplane.bad-packet', `not ESP (protocol ${p.protocol})`);
  const body = p.l4;
  if (body.length < 16 + 4 + ICV_LEN) throw new DataplaneError('dataplane.bad-packet', 'ESP packet too short');
  const hdr = body.subarray(0, 8);
  const iv = body.subarray(8, 16);
  const ct = body.subarray(16, body.length - ICV_LEN);
  const tag = body.subarray(body.length - ICV_LEN);
  const d = createDecipheriv(cipherName(sa.key), sa.key, Buffer.concat([Buffer.from(sa.salt), iv]), { authTagLength: ICV_LEN });
  d.setAuthTag(tag);
  d.setAAD(hdr, { plaintextLength: ct.length });
  let pt: Buffer;
  try {
    pt = Buffer.concat([d.update(ct), d.final()]);
  } catch (e) {
    throw new DataplaneError('dataplane.esp-auth', 'ESP integrity check failed', undefined, { cause: e });
  }
  const padLen = pt[pt.length - 2]!;
  const nextHeader = pt[pt.length - 1]!;
  if (padLen + 2 > pt.length) throw new DataplaneError('dataplane.bad-packet', 'bad ESP pad length');
  const l4 = pt.subarray(0, pt.length - 2 - padLen);
  return {
    spi: hdr.readUInt32BE(0),
    seq: hdr.readUInt32BE(4),
    iv: Buffer.from(iv),
    frame: withIpHeader(f.subarray(0, ETH_HLEN + IP_HLEN) as Buffer, nextHeader, l4),
    l4,
    nextHeader,
  };
}
