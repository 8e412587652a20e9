/**
 * The RFC 4309 reference codec and the frame parser: round trips, and fuzzing with fast-check —
 * arbitrary bytes give either a result or a typed DataplaneError, never anything else.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DataplaneError } from '../../src/dataplane/errors.js';
import { espHeader, espOpen, espSeal } from '../../src/dataplane/esp.js';
import { buildPacket, parseFrame } from '../../src/dataplane/packet.js';

const keys = { spi: 0x12345678, key: randomBytes(16), salt: randomBytes(3) };

describe('RFC 4309 ESP codec (node:crypto)', () => {
  it('round-trips TCP and UDP of any size, with 4-byte aligned ciphertext', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1400 }), fc.constantFrom('tcp' as const, 'udp' as const), fc.integer({ min: 1, max: 0xffffffff }), (payload, protocol, seq) => {
        const frame = buildPacket({ src: '10.0.0.1', dst: '10.0.0.2', protocol, sport: 1234, dport: 80, payload });
        const sealed = espSeal(frame, keys, seq);
        const p = parseFrame(sealed);
        expect(p.protocol).toBe(50);
        expect(p.headerOk).toBe(true);
        expect((p.l4.length - 16 - 16) % 4).toBe(0);
        expect(espHeader(sealed)).toEqual({ spi: keys.spi, seq });
        expect(espOpen(sealed, keys).frame.equals(frame)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('any single changed byte after the IP header fails integrity', () => {
    const frame = buildPacket({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 'udp', payload: randomBytes(100) });
    const sealed = espSeal(frame, keys, 9);
    fc.assert(
      fc.property(fc.integer({ min: 34, max: sealed.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, x) => {
        const t = Buffer.from(sealed);
        t[at]! ^= x;
        expect(() => espOpen(t, keys)).toThrow(DataplaneError);
      }),
      { numRuns: 300 },
    );
  });

  it('fuzz: arbitrary frames give a result or a typed error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        for (const f of [() => parseFrame(bytes), () => espOpen(bytes, keys), () => espHeader(bytes)]) {
          try {
            f();
          } catch (e) {
            expect(e).toBeInstanceOf(DataplaneError);
            expect((e as DataplaneError).code).toMatch(/^dataplane\./);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('fuzz: ESP-looking frames with random bodies give a result or a typed error', () => {
    const head = espSeal(buildPacket({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 'udp', payload: randomBytes(10) }), keys, 1).subarray(0, 34);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (body) => {
        const f = Buffer.concat([head, body]);
        f.writeUInt16BE(20 + body.length, 16);
        try {
          espOpen(f, keys);
        } catch (e) {
          expect(e).toBeInstanceOf(DataplaneError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
