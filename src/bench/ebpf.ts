/**
 * The attestflow transport of the bench: the eBPF data plane attached to every node's workflow
 * interface, with an SA per direction of every bench flow installed through `src/dataplane`.
 * Until the data plane can be driven from here, `prepareEbpf` says why it is missing, and the bench
 * reports the transport as missing rather than measuring anything in its place.
 */
import type { Topology } from './netns.js';

/** One directed bench flow to protect: from a node to a service port on another node. */
export interface BenchFlow {
  readonly name: string;
  readonly from: string;
  readonly to: string;
  readonly port: number;
}

export interface EbpfSession {
  /** Extra facts to show beside the figures (e.g. packets sealed/opened, dropped). */
  counters(): Promise<Record<string, number>>;
  teardown(): Promise<void>;
}

export type EbpfPrepared = { readonly ok: true; readonly session: EbpfSession } | { readonly ok: false; readonly reason: string };

export async function prepareEbpf(_topo: Topology, _flows: readonly BenchFlow[], _progress: (line: string) => void): Promise<EbpfPrepared> {
  return { ok: false, reason: 'the eBPF data plane (issue 6, branch dp) has not landed in this branch yet' };
}
