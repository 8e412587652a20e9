/**
 * Reads a classic pcap file (what `tcpdump -w` writes) of Ethernet frames and summarizes what was on
 * the wire: ESP packets, plaintext TCP/UDP packets to the workflow's ports, and whether a marker
 * string appears in any frame. A reader this small beats a dependency; pcapng is not needed because
 * the demo starts tcpdump itself and asks for the classic format.
 */
import { readFileSync } from 'node:fs';
import { AttestflowError } from '../errors.js';

export interface WireSummary {
  readonly frames: number;
  readonly esp: number;
  /** TCP/UDP packets whose source or destination port is one of the watched ports. */
  readonly plaintextOnPorts: number;
  readonly markerSeen: boolean;
}

export function summarizePcap(file: string, ports: readonly number[], marker: string): WireSummary {
  const buf = readFileSync(file);
  if (buf.length < 24) return { frames: 0, esp: 0, plaintextOnPorts: 0, markerSeen: false };
  const magic = buf.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && buf.readUInt32BE(0) !== 0xa1b2c3d4 && buf.readUInt32BE(0) !== 0xa1b23c4d) {
    throw new AttestflowError('demo.pcap', `${file} is not a classic pcap file`);
  }
  const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linktype = u32(20);
  if (linktype !== 1) throw new AttestflowError('demo.pcap', `${file}: link type ${linktype}, expected Ethernet (1)`);
  const needle = Buffer.from(marker);
  const watched = new Set(ports);
  let off = 24;
  let frames = 0;
  let esp = 0;
  let plain = 0;
  let markerSeen = false;
  while (off + 16 <= buf.length) {
    const incl = u32(off + 8);
    const start = off + 16;
    const end = Math.min(buf.length, start + incl);
    off = start + incl;
    frames++;
    const f = buf.subarray(start, end);
    if (f.indexOf(needle) >= 0) markerSeen = true;
    if (f.length < 34 || f.readUInt16BE(12) !== 0x0800) continue;
    const ihl = (f[14]! & 0x0f) * 4;
    const proto = f[23]!;
    if (proto === 50) esp++;
    else if ((proto === 6 || proto === 17) && f.length >= 14 + ihl + 4) {
      const sp = f.readUInt16BE(14 + ihl);
      const dp = f.readUInt16BE(14 + ihl + 2);
      if (watched.has(sp) || watched.has(dp)) plain++;
    }
  }
  return { frames, esp, plaintextOnPorts: plain, markerSeen };
}
