/** Conversion between exported {@link EdgeKeys} and their hex form on the conformance protocol. */
import type { EdgeKeys, SaKeys } from '../make/types.js';
import type { WireEdgeKeys, WireSaKeys } from './protocol.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function saToWire(s: SaKeys): WireSaKeys {
  return { spi: s.spi, key: hex(s.key), salt: hex(s.salt) };
}

export function keysToWire(k: EdgeKeys): WireEdgeKeys {
  return { edge: k.edge, epoch: k.epoch, initiatorToResponder: saToWire(k.initiatorToResponder), responderToInitiator: saToWire(k.responderToInitiator) };
}

/** Field-by-field comparison; returns the first difference in words, or undefined when equal. */
export function diffKeys(expected: WireEdgeKeys, got: WireEdgeKeys): string | undefined {
  if (expected.edge !== got.edge) return `edge ${got.edge}, expected ${expected.edge}`;
  if (expected.epoch !== got.epoch) return `epoch ${got.epoch}, expected ${expected.epoch}`;
  for (const dir of ['initiatorToResponder', 'responderToInitiator'] as const) {
    for (const f of ['spi', 'key', 'salt'] as const) {
      if (expected[dir][f] !== got[dir][f]) return `${dir}.${f} ${String(got[dir][f])}, expected ${String(expected[dir][f])}`;
    }
  }
  return undefined;
}
