/**
 * Shapes of the benchmark results: what `attestflow bench all --json` prints and what
 * `bench/results/latest.json` holds. Figures are medians over repeated runs in one process tree,
 * each beside its ratio to plaintext measured in the same run.
 */

import type { AesGap } from './aesgap.js';
import type { PerPacket } from './perpacket.js';

/** The channels compared on identical workloads. */
export type TransportName = 'plain' | 'plainseg' | 'ebpf' | 'tls';

/**
 * `plainseg` is plaintext on the data plane's link settings (no GSO, 1440 route MTU): not a
 * channel of its own, it splits the eBPF path's cost into segmentation and ESP.
 */
export const TRANSPORTS: readonly TransportName[] = ['plain', 'plainseg', 'ebpf', 'tls'];

export const TRANSPORT_LABEL: Readonly<Record<TransportName, string>> = {
  plain: 'plaintext TCP',
  plainseg: 'plaintext TCP, data-plane link settings',
  ebpf: 'attestflow eBPF ESP (AES-CCM)',
  tls: 'user-space mTLS 1.3 (node:tls)',
};

/** Which way a figure is better. */
export type Better = 'lower' | 'higher';

/** One workload's result for one transport. */
export interface TransportFigure {
  readonly transport: TransportName;
  /** Median over runs of the per-run figure. */
  readonly median: number;
  /** Every run's figure, in run order (so a reader can see the spread). */
  readonly runs: readonly number[];
  /** median / plaintext median (undefined for plaintext itself or when plaintext is missing). */
  readonly ratio?: number;
  /** median − plaintext median, in the workload's unit. */
  readonly delta?: number;
  /**
   * Median over runs of this run's figure / plaintext's figure in the same run (runs are
   * interleaved, so this cancels slow drifts in machine load; absent when a run is missing).
   */
  readonly pairedRatio?: number;
  /** eBPF only: median / plaintext median on the same link settings (the cost of ESP alone). */
  readonly ratioSameLink?: number;
  /** Extra facts of this transport's runs (negotiated TLS cipher, packets, ...). */
  readonly notes?: Readonly<Record<string, string | number>>;
}

/** One workload across the transports that ran. */
export interface WorkloadResult {
  readonly name: 'latency' | 'throughput' | 'pipeline';
  readonly title: string;
  readonly unit: string;
  readonly better: Better;
  /** The workload's parameters (message size, counts, compute per stage, ...). */
  readonly params: Readonly<Record<string, number | string>>;
  readonly figures: readonly TransportFigure[];
  /** The published reference this workload is compared against, in words. */
  readonly reference: string;
}

/** A transport that could not run, with the reason (never faked). */
export interface MissingTransport {
  readonly transport: TransportName;
  readonly reason: string;
}

/** One measurement that failed (its run is left out of the median, never filled in). */
export interface RunFailure {
  readonly workload: string;
  readonly transport: TransportName;
  readonly run: number;
  readonly error: string;
}

/** The machine the figures were measured on. */
export interface MachineInfo {
  readonly kernel: string;
  readonly cpu: string;
  readonly cores: number;
  readonly node: string;
  /** The CPU advertises AES-NI (user-space OpenSSL uses it). */
  readonly cpuAesNi: boolean;
  /** AES drivers the kernel's crypto API offers (what the eBPF path can use). */
  readonly kernelAesDrivers: readonly string[];
  /** The kernel has a GCM implementation. */
  readonly kernelGcm: boolean;
}

/** Control-plane cost of establishing one channel. */
export interface HandshakeCost {
  readonly protocol: string;
  /** Handshakes measured. */
  readonly count: number;
  /** Median CPU time (user + system) of both ends of one handshake, ms. */
  readonly cpuMs: number;
  /** Median wall time of one handshake, ms. */
  readonly wallMs: number;
  /** Bytes on the wire for one handshake, both directions. */
  readonly bytes: number;
  /** Messages (or TLS records' flights) per handshake, when known. */
  readonly messages?: number;
  readonly notes?: string;
}

/** The whole run. */
export interface BenchReport {
  readonly tool: 'attestflow bench all';
  readonly version: string;
  readonly startedAt: string;
  readonly seconds: number;
  readonly machine: MachineInfo;
  readonly runs: number;
  readonly workloads: readonly WorkloadResult[];
  readonly missing: readonly MissingTransport[];
  readonly failures: readonly RunFailure[];
  /** When the eBPF transport ran: where its keys came from and the data plane's verdict counters over the whole run. */
  readonly ebpf?: { readonly keySource: string; readonly counters: Readonly<Record<string, number>> };
  readonly handshakes: readonly HandshakeCost[];
  /** Per-packet data-plane figures from `attestflow bench dataplane`, or why they are missing. */
  readonly dataplane: PerPacket | { readonly skipped: string };
  /** AES-128-CCM in user space (AES-NI) per 1400 bytes, beside the kernel's raw AES in `dataplane`. */
  readonly aesGap?: AesGap;
  readonly notes: readonly string[];
}
