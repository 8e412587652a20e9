/**
 * Keys for the bench's eBPF edges. Until a MAKE handshake can be run from here, they are fresh
 * random keys and SPIs in the exact shape MAKE exports (the data plane's cost does not depend on
 * where a key came from); the report says which source was used.
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { EdgeKeys, SaKeys } from '../make/types.js';

export interface EdgeSpec {
  readonly edge: string;
  readonly initiator: string;
  readonly responder: string;
}

function randomSa(used: Set<number>): SaKeys {
  let spi: number;
  do spi = randomInt(256, 2 ** 31);
  while (used.has(spi));
  used.add(spi);
  return { spi, key: randomBytes(16), salt: randomBytes(3) };
}

export async function benchEdgeKeys(edges: readonly EdgeSpec[]): Promise<{ keys: Map<string, EdgeKeys>; source: string }> {
  const used = new Set<number>();
  const keys = new Map<string, EdgeKeys>();
  for (const e of edges) keys.set(e.edge, { edge: e.edge, epoch: 1, initiatorToResponder: randomSa(used), responderToInitiator: randomSa(used) });
  return { keys, source: 'random AES-128 keys in MAKE export shape (node:crypto)' };
}
