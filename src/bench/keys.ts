/**
 * Keys for the bench's eBPF edges: one real MAKE handshake per bench flow between the flow's
 * software-TEE components, exactly what the agent would install (see make-cost.ts).
 */
import type { EdgeKeys } from '../make/types.js';
import { MakeWorld } from './make-cost.js';

export interface EdgeSpec {
  /** The data-plane edge name (unique per flow). */
  readonly edge: string;
  readonly initiator: string;
  readonly responder: string;
}

export async function benchEdgeKeys(edges: readonly EdgeSpec[]): Promise<{ keys: Map<string, EdgeKeys>; source: string }> {
  const components = [...new Set(edges.flatMap((e) => [e.initiator, e.responder]))];
  const pairs = [...new Set(edges.map((e) => `${e.initiator}>${e.responder}`))].map((p) => p.split('>') as [string, string]);
  const world = new MakeWorld(components, pairs);
  const keys = new Map<string, EdgeKeys>();
  const spis = new Set<number>();
  for (const e of edges) {
    const h = await world.handshake(e.initiator, e.responder, 1);
    // SPIs are drawn at random by each receiver; a clash on one node would be refused by the adapter.
    for (const s of [h.keys.initiatorToResponder.spi, h.keys.responderToInitiator.spi]) {
      if (spis.has(s)) throw new Error(`SPI ${s} drawn twice`);
      spis.add(s);
    }
    keys.set(e.edge, h.keys);
  }
  return { keys, source: `${edges.length} MAKE handshakes between sim-TEE components (fresh evidence each)` };
}
