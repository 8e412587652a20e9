/**
 * Two data planes loaded side by side (node A = initiator, node B = responder of one edge), driven
 * with BPF_PROG_TEST_RUN: what A's egress program emits is what B's ingress program receives.
 */
import { randomBytes } from 'node:crypto';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import type { EdgeFlow, SaInstall } from '../../src/dataplane/types.js';

export const TC_ACT_OK = 0;
export const TC_ACT_SHOT = 2;
export const CTRL_PORT = 7443;
export const A = '10.77.0.1';
export const B = '10.77.0.2';

export const udpFlow: EdgeFlow = { edge: 'a->b', srcAddr: A, dstAddr: B, protocol: 'udp', dstPort: 9000 };
export const tcpFlow: EdgeFlow = { edge: 'a->b/tcp', srcAddr: A, dstAddr: B, protocol: 'tcp', dstPort: 9001 };

export interface DirKeys {
  spi: number;
  key: Uint8Array;
  salt: Uint8Array;
}

export function freshKeys(spi: number): DirKeys {
  return { spi, key: randomBytes(16), salt: randomBytes(3) };
}

/** The four SaInstalls of one edge epoch: A seals a→b and opens b→a, B the reverse. */
export function edgeInstalls(flow: EdgeFlow, epoch: number, i2r: DirKeys, r2i: DirKeys): { a: SaInstall[]; b: SaInstall[] } {
  return {
    a: [
      { flow, direction: 'out', epoch, side: 'initiator', ...i2r },
      { flow, direction: 'in', epoch, side: 'initiator', ...r2i },
    ],
    b: [
      { flow, direction: 'in', epoch, side: 'responder', ...i2r },
      { flow, direction: 'out', epoch, side: 'responder', ...r2i },
    ],
  };
}

export async function loadPair(tag: string): Promise<{ a: Dataplane; b: Dataplane }> {
  const a = await Dataplane.load({ pinDir: `/sys/fs/bpf/af-dp-${tag}-a-${process.pid}`, ctrlPort: CTRL_PORT });
  try {
    const b = await Dataplane.load({ pinDir: `/sys/fs/bpf/af-dp-${tag}-b-${process.pid}`, ctrlPort: CTRL_PORT });
    return { a, b };
  } catch (e) {
    await a.unload();
    throw e;
  }
}

/** Counter deltas between two snapshots, only the non-zero ones, as numbers. */
export function delta(
  before: Awaited<ReturnType<Dataplane['counters']>>,
  after: Awaited<ReturnType<Dataplane['counters']>>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const dir of ['out', 'in'] as const) {
    for (const [k, v] of Object.entries(after[dir])) {
      const d = Number(v - (before[dir][k as keyof (typeof before)['in']] ?? 0n));
      if (d !== 0) out[`${dir}.${k}`] = d;
    }
  }
  return out;
}
