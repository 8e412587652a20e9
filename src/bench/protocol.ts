/**
 * Messages between the bench orchestrator and its workers (one Node process per network namespace),
 * one JSON object per line on the worker's stdin and stdout.
 */
import type { ChannelSpec, Endpoint } from './channel.js';
import type { LatencyParams, LatencyRun } from './workloads/latency.js';
import type { PipelineParams, PipelineRun } from './workloads/pipeline.js';
import type { ThroughputParams, ThroughputRun } from './workloads/throughput.js';

export type ServeRole =
  | { readonly role: 'echo' }
  | { readonly role: 'sink' }
  | { readonly role: 'stage'; readonly next: Endpoint; readonly rounds: number; readonly maxPayload: number }
  | { readonly role: 'collector' };

export type WorkerCommand =
  | { readonly op: 'serve'; readonly spec: ChannelSpec; readonly at: Endpoint; readonly serve: ServeRole }
  | { readonly op: 'latency'; readonly spec: ChannelSpec; readonly to: Endpoint; readonly params: LatencyParams }
  | { readonly op: 'throughput'; readonly spec: ChannelSpec; readonly to: Endpoint; readonly params: ThroughputParams }
  | { readonly op: 'pipeline'; readonly spec: ChannelSpec; readonly to: Endpoint; readonly collector: Endpoint; readonly params: PipelineParams }
  | { readonly op: 'stop' };

export type WorkerResult = { readonly served: string } | LatencyRun | ThroughputRun | PipelineRun | { readonly stopped: true };

export interface WorkerRequest {
  readonly id: number;
  readonly cmd: WorkerCommand;
}

export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly result: WorkerResult }
  | { readonly id: number; readonly ok: false; readonly error: string };
