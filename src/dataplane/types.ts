/**
 * The narrow seam between the control plane and the kernel: what an SA install looks like.
 * Only `src/dataplane/` implements it; the agent calls it.
 */

/** A flow selector for one directed edge (IPv4, transport mode). */
export interface EdgeFlow {
  readonly edge: string;
  readonly srcAddr: string;
  readonly dstAddr: string;
  readonly protocol: 'tcp' | 'udp';
  /** Destination port of the edge's service (the source port is any). */
  readonly dstPort: number;
}

/** One SA to install: a direction of an edge at an epoch. */
export interface SaInstall {
  readonly flow: EdgeFlow;
  readonly direction: 'out' | 'in';
  readonly epoch: number;
  readonly spi: number;
  readonly key: Uint8Array;
  readonly salt: Uint8Array;
  /**
   * Which end of the edge this node is: the initiator owns `flow.srcAddr` (it connects to
   * `flow.dstPort`), the responder owns `flow.dstAddr` (it answers from `flow.dstPort`). The
   * kernel needs it to know which packets an SA covers; the adapter refuses an SA without it.
   */
  readonly side?: 'initiator' | 'responder';
}
