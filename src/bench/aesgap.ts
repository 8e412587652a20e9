/**
 * The AES gap behind the eBPF figures: the bulk rate of AES-128-CCM in user space (OpenSSL through
 * node:crypto, with the CPU's AES instructions), expressed per packet of the same size as the
 * kernel's raw AES measured by `bench dataplane`. Bulk (64 KiB per call) so the per-call cost of
 * node:crypto does not hide the cipher's own rate. Bounded: 41 samples.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { median } from './stats.js';

export interface AesGap {
  /** Median ns per `bytes` of AES-128-CCM (16-byte tag) in user space, at its bulk rate. */
  readonly userSpaceCcmNsPer: number;
  readonly bytes: number;
}

export function userSpaceCcm(bytes: number): AesGap {
  const key = randomBytes(16);
  const data = randomBytes(64 * 1024);
  const xs: number[] = [];
  for (let b = 0; b < 41; b++) {
    const t = process.hrtime.bigint();
    const c = createCipheriv('aes-128-ccm', key, randomBytes(11), { authTagLength: 16 });
    c.setAAD(Buffer.alloc(8), { plaintextLength: data.length });
    c.update(data);
    c.final();
    xs.push((Number(process.hrtime.bigint() - t) / data.length) * bytes);
  }
  return { bytes, userSpaceCcmNsPer: median(xs) };
}
