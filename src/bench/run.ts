/**
 * The bench orchestrator: builds the namespaces, starts one worker per node, serves every workload
 * on every transport that can run, then interleaves the transports run by run (rotating their order)
 * so drift on this shared 2-core machine hits all of them alike. Reports medians and ratios to
 * plaintext from this same run. Namespaces and workers are removed in `finally`, and on SIGINT/SIGTERM.
 */
import os from 'node:os';
import { AttestflowError } from '../errors.js';
import { BenchError } from './errors.js';
import { VERSION } from '../version.js';
import { makeTlsIdentities } from './certs.js';
import type { ChannelSpec, Endpoint } from './channel.js';
import { prepareEbpf, sweepPins, type BenchFlow, type EbpfSession } from './ebpf.js';
import { measureHandshakes } from './handshake.js';
import { userSpaceCcm } from './aesgap.js';
import { acquireBenchLock } from './lock.js';
import { machineInfo } from './machine.js';
import { createTopology, destroyTopology, sweep, type Topology } from './netns.js';
import { dataplaneFigures } from './perpacket.js';
import { median } from './stats.js';
import { TRANSPORTS, type BenchReport, type MissingTransport, type RunFailure, type TransportFigure, type TransportName, type WorkloadResult } from './types.js';
import type { ServeRole } from './protocol.js';
import { Worker } from './workers.js';
import type { LatencyParams, LatencyRun } from './workloads/latency.js';
import { stageCompute, type PipelineParams, type PipelineRun } from './workloads/pipeline.js';
import type { ThroughputParams, ThroughputRun } from './workloads/throughput.js';

export interface BenchOptions {
  /** Repeated runs per workload and transport (medians are taken over these). */
  readonly runs: number;
  readonly latency: Omit<LatencyParams, 'deadlineMs'>;
  readonly throughput: Omit<ThroughputParams, 'deadlineMs'>;
  readonly pipeline: Omit<PipelineParams, 'deadlineMs'>;
  /** Handshakes per protocol for the control-plane cost. */
  readonly handshakes: number;
  /** Run `bench dataplane` for the per-packet figures. */
  readonly perPacket: boolean;
}

/** The default run: a few minutes at most on a 2-core machine. */
export const DEFAULT_OPTIONS: BenchOptions = {
  // Many short runs rather than few long ones: on a shared machine load comes in bursts, and the
  // median over more interleaved runs is steadier.
  runs: 7,
  latency: { size: 64, count: 2000, warmup: 200 },
  throughput: { chunk: 64 * 1024, durationMs: 1000 },
  pipeline: { items: 150, size: 16 * 1024, rounds: 48, window: 8 },
  handshakes: 30,
  perPacket: true,
};

/** A tiny run for tests: checks the harness end to end, not the figures. */
export const QUICK_OPTIONS: BenchOptions = {
  runs: 2,
  latency: { size: 64, count: 50, warmup: 10 },
  throughput: { chunk: 16 * 1024, durationMs: 100 },
  pipeline: { items: 20, size: 4096, rounds: 2, window: 4 },
  handshakes: 3,
  perPacket: false,
};

const NODES = ['c', 's1', 's2', 's3'] as const;
/** Service ports; the same on each network, the address picks the transport. */
const PORT = { echo: 7101, sink: 7102, stage: 7103, collector: 7104 } as const;
/** A TLS listener sits beside the TCP one on the plaintext network. */
const TLS_PORT_OFFSET = 100;

export type Progress = (line: string) => void;

/**
 * CPU time of one stage's compute on one item, ms: median of 21 samples of process CPU time (not
 * wall time, which other work on this shared machine would inflate).
 */
function calibrateStage(size: number, rounds: number): number {
  const item = Buffer.alloc(size, 1);
  const xs: number[] = [];
  for (let i = 0; i < 21; i++) {
    const u = process.cpuUsage();
    stageCompute(item, rounds);
    const d = process.cpuUsage(u);
    xs.push((d.user + d.system) / 1000);
  }
  return median(xs);
}

function flows(): BenchFlow[] {
  return [
    { name: 'latency', from: 'c', to: 's1', port: PORT.echo },
    { name: 'throughput', from: 'c', to: 's1', port: PORT.sink },
    { name: 'pipeline c->s1', from: 'c', to: 's1', port: PORT.stage },
    { name: 'pipeline s1->s2', from: 's1', to: 's2', port: PORT.stage },
    { name: 'pipeline s2->s3', from: 's2', to: 's3', port: PORT.stage },
    { name: 'pipeline s3->c', from: 's3', to: 'c', port: PORT.collector },
  ];
}

interface TransportWiring {
  readonly spec: ChannelSpec;
  endpoint(node: string, port: number): Endpoint;
}

function fmt(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : String(n);
}

function summarise(
  base: Omit<WorkloadResult, 'figures'>,
  perTransport: Map<TransportName, { runs: number[]; notes?: Record<string, string | number> }>,
): WorkloadResult {
  const plain = perTransport.get('plain');
  const plainMedian = plain && plain.runs.length > 0 ? median(plain.runs) : undefined;
  const seg = perTransport.get('plainseg');
  const segMedian = seg && seg.runs.length > 0 ? median(seg.runs) : undefined;
  const figures: TransportFigure[] = [];
  for (const t of TRANSPORTS) {
    const r = perTransport.get(t);
    if (r === undefined || r.runs.length === 0) continue;
    const m = median(r.runs);
    figures.push({
      transport: t,
      median: m,
      runs: r.runs,
      ...(t !== 'plain' && plainMedian !== undefined ? { ratio: m / plainMedian, delta: m - plainMedian } : {}),
      ...(t === 'ebpf' && segMedian !== undefined ? { ratioSameLink: m / segMedian } : {}),
      ...(t !== 'plain' && plain && plain.runs.length === r.runs.length ? { pairedRatio: median(r.runs.map((x, i) => x / plain.runs[i]!)) } : {}),
      ...(r.notes ? { notes: r.notes } : {}),
    });
  }
  return { ...base, figures };
}

/**
 * Runs every workload on every transport that can run here and returns the report. Throws a typed
 * error when the harness itself cannot run (not root); a transport that cannot run is reported in
 * `missing`, never replaced.
 */
export async function runBench(opts: BenchOptions, progress: Progress): Promise<BenchReport> {
  if (process.getuid?.() !== 0) throw new BenchError('bench.needs-root', 'the bench builds network namespaces and loads eBPF: run it as root');
  const started = new Date();
  const t0 = performance.now();
  const notes: string[] = [];
  const missing: MissingTransport[] = [];
  const failures: RunFailure[] = [];
  let ebpfInfo: BenchReport['ebpf'];
  const machine = machineInfo();
  const loadStart = os.loadavg()[0]!;
  progress(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.kernel}, kernel AES: ${machine.kernelAesDrivers.join(', ') || 'none'}`);

  const release = acquireBenchLock();
  const leftovers = [...sweep(), ...(await sweepPins(NODES))];
  if (leftovers.length > 0) progress(`removed leftovers of an earlier run: ${leftovers.join(', ')}`);

  let topo: Topology | undefined;
  const workers = new Map<string, Worker>();
  let ebpf: EbpfSession | undefined;
  // One cleanup, shared by the normal path and a signal: whoever comes second waits for it.
  let cleaning: Promise<void> | undefined;
  const cleanup = (): Promise<void> => (cleaning ??= doCleanup());
  const doCleanup = async (): Promise<void> => {
    await Promise.all([...workers.values()].map((w) => w.close()));
    if (ebpf) await ebpf.teardown().catch((e: unknown) => progress(`eBPF teardown: ${String(e)}`));
    if (topo) destroyTopology(topo.nodes);
    await sweepPins(NODES);
    release();
  };
  // A signal stops the workers at once (pending requests then fail fast) and aborts an eBPF setup in
  // progress between two kernel operations; the main flow then unwinds through its `finally`, which
  // removes programs before namespaces. A last-resort exit follows if that takes more than 30 s.
  let interrupted = false;
  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    interrupted = true;
    abort.abort();
    progress(`${sig}: cleaning up`);
    for (const wk of workers.values()) void wk.close();
    setTimeout(() => process.exit(130), 30_000).unref();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const workloads: WorkloadResult[] = [];
  try {
    progress('creating network namespaces (af-bench-*) and veth links');
    topo = createTopology(NODES);
    const t = topo;
    const ids = await makeTlsIdentities(Object.fromEntries(t.nodes.map((n) => [n.name, [n.ip.p]])));
    for (const n of t.nodes) workers.set(n.name, new Worker(n.name, n.netnsPath));
    const w = (name: string): Worker => workers.get(name)!;

    const wiring = new Map<TransportName, (node: string) => TransportWiring>();
    wiring.set('plain', () => ({ spec: { kind: 'tcp' }, endpoint: (node, port) => ({ host: t.node(node).ip.p, port }) }));
    wiring.set('plainseg', () => ({ spec: { kind: 'tcp' }, endpoint: (node, port) => ({ host: t.node(node).ip.s, port }) }));
    wiring.set('tls', (self) => ({
      spec: { kind: 'tls', tls: ids[self]! },
      endpoint: (node, port) => ({ host: t.node(node).ip.p, port: port + TLS_PORT_OFFSET }),
    }));
    progress('attaching the eBPF data plane and installing keys');
    const prepared = await prepareEbpf(t, flows(), progress, abort.signal);
    if (interrupted) throw new BenchError('bench.interrupted', 'interrupted; namespaces, programs and workers were removed');
    if (prepared.ok) {
      ebpf = prepared.session;
      wiring.set('ebpf', () => ({ spec: { kind: 'tcp' }, endpoint: (node, port) => ({ host: t.node(node).ip.e, port }) }));
    } else {
      missing.push({ transport: 'ebpf', reason: prepared.reason });
      progress(`eBPF transport MISSING: ${prepared.reason}`);
    }
    const active = TRANSPORTS.filter((x) => wiring.has(x));

    // Servers: echo and sink on s1, a stage on s1..s3, the collector on c.
    for (const tr of active) {
      const on = (node: string): TransportWiring => wiring.get(tr)!(node);
      const serve = async (node: string, port: number, serve: ServeRole): Promise<void> => {
        const x = on(node);
        await w(node).request({ op: 'serve', spec: x.spec, at: x.endpoint(node, port), serve }, 10_000);
      };
      await serve('s1', PORT.echo, { role: 'echo' });
      await serve('s1', PORT.sink, { role: 'sink' });
      const maxPayload = opts.pipeline.size;
      await serve('s1', PORT.stage, { role: 'stage', next: on('s1').endpoint('s2', PORT.stage), rounds: opts.pipeline.rounds, maxPayload });
      await serve('s2', PORT.stage, { role: 'stage', next: on('s2').endpoint('s3', PORT.stage), rounds: opts.pipeline.rounds, maxPayload });
      await serve('s3', PORT.stage, { role: 'stage', next: on('s3').endpoint('c', PORT.collector), rounds: opts.pipeline.rounds, maxPayload });
      await serve('c', PORT.collector, { role: 'collector' });
    }
    progress(`servers up for: ${active.join(', ')}; plan: ${opts.runs} runs × 3 workloads × ${active.length} transports, interleaved`);

    type Acc = Map<TransportName, { runs: number[]; notes?: Record<string, string | number> }>;
    const acc: Record<'latency' | 'throughput' | 'pipeline', Acc> = { latency: new Map(), throughput: new Map(), pipeline: new Map() };
    for (const a of Object.values(acc)) for (const tr of active) a.set(tr, { runs: [] });
    const latDeadline = 10_000;
    const thrDeadline = opts.throughput.durationMs + 15_000;
    const pipeDeadline = 60_000;
    // One measurement: returns the run's figure and a progress line; any failure is recorded, never filled in.
    const measure = async (wl: keyof typeof acc, tr: TransportName, r: number): Promise<void> => {
      const x = wiring.get(tr)!('c');
      const tag = `run ${r + 1}/${opts.runs} ${wl.padEnd(10)} ${tr.padEnd(8)}`;
      try {
        let figure: number;
        let line: string;
        if (wl === 'latency') {
          const res = await w('c').request<LatencyRun>({ op: 'latency', spec: x.spec, to: x.endpoint('s1', PORT.echo), params: { ...opts.latency, deadlineMs: latDeadline } }, latDeadline + 10_000);
          figure = res.medianUs;
          line = `${fmt(res.medianUs)} µs median RTT (${res.samples} round trips)`;
          if (res.cipher) acc.latency.get(tr)!.notes = { cipher: res.cipher };
        } else if (wl === 'throughput') {
          const res = await w('c').request<ThroughputRun>({ op: 'throughput', spec: x.spec, to: x.endpoint('s1', PORT.sink), params: { ...opts.throughput, deadlineMs: thrDeadline } }, thrDeadline + 10_000);
          figure = res.mbPerS;
          line = `${fmt(res.mbPerS)} MB/s (${fmt(res.bytes / 1e6)} MB in ${fmt(res.seconds, 2)} s)`;
        } else {
          const res = await w('c').request<PipelineRun>(
            { op: 'pipeline', spec: x.spec, to: x.endpoint('s1', PORT.stage), collector: x.endpoint('c', PORT.collector), params: { ...opts.pipeline, deadlineMs: pipeDeadline } },
            pipeDeadline + 10_000,
          );
          figure = res.seconds * 1000;
          line = `${fmt(figure)} ms for ${res.items} items (${fmt(res.itemsPerS)} items/s)`;
        }
        acc[wl].get(tr)!.runs.push(figure);
        progress(`${tag} ${line}`);
      } catch (e) {
        if (interrupted) return;
        const msg = e instanceof Error ? e.message : String(e);
        failures.push({ workload: wl, transport: tr, run: r + 1, error: msg });
        progress(`${tag} FAILED: ${msg}`);
      }
    };
    for (let r = 0; r < opts.runs && !interrupted; r++) {
      // Rotate the order each run so no transport always goes first (warm caches, turbo, noise).
      const order = active.map((_, i) => active[(i + r) % active.length]!);
      for (const wl of ['latency', 'throughput', 'pipeline'] as const) for (const tr of order) if (!interrupted) await measure(wl, tr, r);
    }
    const lat = acc.latency;
    const thr = acc.throughput;
    const pipe = acc.pipeline;
    if (ebpf) ebpfInfo = { keySource: ebpf.keySource, counters: await ebpf.counters() };

    // The compute of one stage on one item, timed alone here, so a reader can see how
    // compute-heavy the pipeline is (the penalty of any channel shrinks as compute grows).
    const computeMs = calibrateStage(opts.pipeline.size, opts.pipeline.rounds);
    workloads.push(
      summarise(
        {
          name: 'latency',
          title: `Round-trip latency, ${opts.latency.size}-byte messages`,
          unit: 'µs',
          better: 'lower',
          params: { ...opts.latency },
          reference: 'published overhead to beat: 13–15 µs per round trip over plaintext',
        },
        lat,
      ),
      summarise(
        {
          name: 'throughput',
          title: `Bulk throughput, one TCP stream, ${opts.throughput.chunk / 1024} KiB writes`,
          unit: 'MB/s',
          better: 'higher',
          params: { ...opts.throughput },
          reference: 'no published figure; compared with plaintext and user-space mTLS in the same run',
        },
        thr,
      ),
      summarise(
        {
          name: 'pipeline',
          title: `Three-stage pipeline, ${opts.pipeline.items} items of ${opts.pipeline.size / 1024} KiB, ${opts.pipeline.rounds} SHA-256 passes per stage`,
          unit: 'ms',
          better: 'lower',
          params: { ...opts.pipeline, stages: 3, hops: 4, computeCpuMsPerItemPerStage: Number(computeMs.toFixed(3)) },
          reference: 'published penalty to beat: 6.1% over plaintext (user-space counterparts: 62%)',
        },
        pipe,
      ),
    );
  } catch (e) {
    // The harness itself failed (namespaces, workers, servers): a typed error, after cleanup.
    if (e instanceof AttestflowError) throw e;
    if (interrupted) throw new BenchError('bench.interrupted', 'interrupted; namespaces, programs and workers were removed');
    throw new BenchError('bench.setup', `the bench harness could not run: ${e instanceof Error ? e.message : String(e)}`, undefined, { cause: e });
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    progress('namespaces and workers removed');
  }

  if (interrupted) throw new BenchError('bench.interrupted', 'interrupted; namespaces, programs and workers were removed');
  progress(`control-plane cost: ${opts.handshakes} handshakes per protocol`);
  const handshakes = await measureHandshakes(opts.handshakes, progress);
  const dataplane = opts.perPacket ? await dataplaneFigures(progress) : { skipped: 'not requested' };
  const aesGap = opts.perPacket ? userSpaceCcm(1400) : undefined;

  if (!machine.kernelGcm || machine.kernelAesDrivers.every((d) => !/aesni|aes-x86|vaes/.test(d))) {
    notes.push(
      `This kernel offers eBPF only ${machine.kernelAesDrivers.join(' / ') || 'no'} AES (no AES-NI driver, no GCM), so every ESP packet is sealed and opened with table-free software AES; ` +
        `user-space TLS uses OpenSSL with the CPU's AES instructions${machine.cpuAesNi ? ' (present here)' : ''}. The eBPF figures are bounded by that, not by the data plane's design.`,
    );
  }
  notes.push(`Load average (1 min) ${loadStart.toFixed(1)} at the start and ${os.loadavg()[0]!.toFixed(1)} at the end: the machine is shared, so other work competes with every transport alike (runs are interleaved).`);
  notes.push(`${machine.cores} cores are shared by the client, servers and pipeline stages (four processes) and the kernel's softirq work.`);
  return {
    tool: 'attestflow bench all',
    version: VERSION,
    startedAt: started.toISOString(),
    seconds: (performance.now() - t0) / 1000,
    machine,
    runs: opts.runs,
    workloads,
    missing,
    failures,
    ...(ebpfInfo ? { ebpf: ebpfInfo } : {}),
    handshakes,
    dataplane,
    ...(aesGap ? { aesGap } : {}),
    notes,
  };
}
