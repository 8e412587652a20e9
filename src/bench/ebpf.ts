/**
 * The attestflow transport of the bench: the eBPF data plane loaded in every node namespace and
 * attached to its workflow interface, with an SA per direction of every bench flow installed
 * through `src/dataplane` (the same adapter the agent uses). When it cannot be set up here (not
 * built, kernel refuses), `prepareEbpf` says why, and the bench reports the transport as missing
 * rather than measuring anything in its place.
 */
import { existsSync } from 'node:fs';
import { Dataplane } from '../dataplane/dataplane.js';
import { sweepPinDirs } from '../dataplane/pins.js';
import { defaultHelper, defaultObject } from '../dataplane/helper.js';
import { saInstallsFor } from '../dataplane/keys.js';
import type { EdgeKeys } from '../make/types.js';
import { benchEdgeKeys } from './keys.js';
import { DP_IFACE, PREFIX, type Topology } from './netns.js';

/** One directed bench flow to protect: from a node to a service port on another node. */
export interface BenchFlow {
  readonly name: string;
  readonly from: string;
  readonly to: string;
  readonly port: number;
}

export interface EbpfSession {
  /** Where the keys came from (MAKE handshakes or random), for the report. */
  readonly keySource: string;
  /** Verdict counters summed over nodes (non-zero ones), e.g. packets sealed, opened, dropped. */
  counters(): Promise<Record<string, number>>;
  teardown(): Promise<void>;
}

/** bpffs directory of a bench node's data plane. */
export function pinDirOf(node: string): string {
  return `/sys/fs/bpf/${PREFIX}${node}`;
}

/** Unloads (through the adapter) the data planes the bench nodes left pinned after a cut-short run. */
export function sweepPins(nodes: readonly string[]): Promise<string[]> {
  return sweepPinDirs(nodes.map(pinDirOf));
}

export type EbpfPrepared = { readonly ok: true; readonly session: EbpfSession } | { readonly ok: false; readonly reason: string };

export async function prepareEbpf(topo: Topology, flows: readonly BenchFlow[], progress: (line: string) => void, signal?: AbortSignal): Promise<EbpfPrepared> {
  const checkAbort = (): void => {
    if (signal?.aborted) throw new Error('interrupted');
  };
  for (const f of [defaultHelper, defaultObject]) {
    if (!existsSync(f)) return { ok: false, reason: `the data plane is not built (${f} is missing; run npm run setup)` };
  }
  const planes = new Map<string, Dataplane>();
  const attached: Array<[Dataplane, string]> = [];
  const teardown = async (): Promise<void> => {
    // Detach first so no packet meets a half-removed plane, then clear keys and unpin.
    for (const [dp] of attached.splice(0)) await dp.detach(DP_IFACE).catch(() => undefined);
    for (const dp of planes.values()) await dp.unload().catch(() => undefined);
    planes.clear();
  };
  try {
    for (const n of topo.nodes) {
      checkAbort();
      const dp = await Dataplane.load({ pinDir: pinDirOf(n.name), netns: n.netnsPath });
      planes.set(n.name, dp);
      await dp.attach(DP_IFACE);
      attached.push([dp, n.name]);
    }
    const { keys, source } = await benchEdgeKeys(flows.map((f) => ({ edge: `${f.from}->${f.to}:${f.port}`, initiator: f.from, responder: f.to })));
    for (const f of flows) {
      const edge = `${f.from}->${f.to}:${f.port}`;
      const k: EdgeKeys | undefined = keys.get(edge);
      if (k === undefined) throw new Error(`no keys for ${edge}`);
      const flow = { edge, srcAddr: topo.node(f.from).ip.e, dstAddr: topo.node(f.to).ip.e, protocol: 'tcp' as const, dstPort: f.port };
      const [iIn, iOut] = saInstallsFor(flow, k, 'initiator');
      const [rIn, rOut] = saInstallsFor(flow, k, 'responder');
      checkAbort();
      const ini = planes.get(f.from)!;
      const res = planes.get(f.to)!;
      // Inbound SAs first on both ends, then outbound: no packet is ever sealed for a peer that cannot open it.
      await res.install(rIn);
      await ini.install(iIn);
      await ini.install(iOut);
      await res.install(rOut);
    }
    checkAbort();
    progress(`eBPF data plane attached to ${DP_IFACE} in ${planes.size} namespaces, ${flows.length * 4} SAs installed (keys: ${source})`);
    return {
      ok: true,
      session: {
        keySource: source,
        async counters() {
          const sum: Record<string, number> = {};
          for (const dp of planes.values()) {
            const c = await dp.counters();
            for (const dir of ['out', 'in'] as const) {
              for (const [v, n] of Object.entries(c[dir])) if (n > 0n) sum[`${dir}.${v}`] = (sum[`${dir}.${v}`] ?? 0) + Number(n);
            }
          }
          return sum;
        },
        teardown,
      },
    };
  } catch (e) {
    await teardown();
    return { ok: false, reason: `setting up the eBPF data plane failed: ${e instanceof Error ? e.message : String(e)}` };
  }
}
