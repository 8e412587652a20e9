/**
 * `attestflow bench dataplane`: the cost of the data plane measured in the kernel with
 * BPF_PROG_TEST_RUN, beside the kernel's raw AES for the same bytes in the same run.
 *
 * Seal and open mutate the packet (and open advances the anti-replay window), so every sample is
 * one run on a fresh packet (repeat = 1) and the kernel's own timer gives its nanoseconds; the
 * raw-AES baseline is timed the same way. The policy verdict does not mutate, so it is timed over
 * many repeats. Figures are medians.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Dataplane } from './dataplane.js';
import { DataplaneError } from './errors.js';
import { buildPacket } from './packet.js';
import type { TestRunResult } from './dataplane.js';
import type { EdgeFlow, SaInstall } from './types.js';

export interface DataplaneBenchOptions {
  /** Packet sizes (IPv4 total length, bytes). */
  readonly sizes?: readonly number[];
  /** Samples per figure. */
  readonly samples?: number;
  /** Repeats per verdict sample. */
  readonly verdictRepeat?: number;
}

export interface SizeResult {
  readonly bytes: number;
  /** Sealing a packet whose TCP/UDP checksum is complete (forwarded traffic, no checksum offload). */
  readonly sealNs: number;
  /**
   * Sealing a packet whose checksum the stack left to the device (CHECKSUM_PARTIAL: local TCP and
   * UDP on veth): the program completes it and grows the packet at its tail.
   */
  readonly sealPartialNs: number;
  readonly openNs: number;
  /** The kernel AES work CCM needs for this packet (ECB over counters + CBC-MAC), nothing else. */
  readonly rawAesNs: number;
  /** seal / raw AES, seal (partial) / raw AES and open / raw AES: medians of the ratios of back-to-back pairs. */
  readonly sealRatio: number;
  readonly sealPartialRatio: number;
  readonly openRatio: number;
}

/**
 * What the raw-AES baseline (`dp_bench_aes`) runs, so a reader can judge the ratio: exactly the
 * kernel AES work a minimal CCM built from ecb(aes) and cbc(aes) needs for the packet, nothing more.
 */
export const RAW_AES_BASELINE =
  'dp_bench_aes: the AES a minimal CCM needs for the same ciphertext length, nothing else: 2 bpf_crypto_encrypt calls ' +
  '(ecb(aes) over the nb+1 counter blocks A0..An, cbc(aes) with a zero IV over the nb+2 blocks B0|B1|payload), ' +
  'with exact-length dynptrs made the same way as the data plane (same helper code), a key of the same size, the same scratch buffers; ' +
  'no packet parsing, lookups, checksum, copies or resizing';

export interface DataplaneBenchResult {
  readonly method: string;
  /** What the raw-AES baseline runs (see {@link RAW_AES_BASELINE}). */
  readonly baseline: string;
  readonly samples: number;
  readonly aesDriver: string;
  readonly cpuHasAesInstructions: boolean;
  readonly verdict: { readonly egressDenyNs: number; readonly ingressDenyNs: number; readonly controlPassNs: number };
  readonly sizes: readonly SizeResult[];
  readonly targets: { readonly maxRatio: number; readonly maxVerdictNs: number; readonly met: boolean };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function aesDriver(): string {
  try {
    const blocks = readFileSync('/proc/crypto', 'utf8').split('\n\n');
    const ecb = blocks.find((b) => /^name\s*: ecb\(aes\)$/m.test(b));
    return /^driver\s*: (.*)$/m.exec(ecb ?? '')?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function cpuHasAes(): boolean {
  try {
    return /^flags\s*:.*\baes\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
}

export async function benchDataplane(opts: DataplaneBenchOptions = {}): Promise<DataplaneBenchResult> {
  if (process.getuid?.() !== 0) throw new DataplaneError('dataplane.needs-root', 'the data-plane benchmark loads eBPF programs: run it as root');
  const sizes = opts.sizes ?? [64, 512, 1400];
  const samples = opts.samples ?? 301;
  const verdictRepeat = opts.verdictRepeat ?? 20000;
  const A = '10.78.0.1';
  const B = '10.78.0.2';
  const flow: EdgeFlow = { edge: 'bench-a->bench-b', srcAddr: A, dstAddr: B, protocol: 'udp', dstPort: 9000 };
  const i2r = { spi: 0x1000, key: randomBytes(16), salt: randomBytes(3) };
  const r2i = { spi: 0x2000, key: randomBytes(16), salt: randomBytes(3) };
  const tag = `${process.pid}`;
  const a = await Dataplane.load({ pinDir: `/sys/fs/bpf/af-bench-dp-a-${tag}`, ctrlPort: 7443 });
  let b: Dataplane | undefined;
  try {
    b = await Dataplane.load({ pinDir: `/sys/fs/bpf/af-bench-dp-b-${tag}`, ctrlPort: 7443 });
    const sa = (direction: 'out' | 'in', side: 'initiator' | 'responder', k: typeof i2r): SaInstall => ({ flow, direction, epoch: 0, side, ...k });
    await a.install(sa('out', 'initiator', i2r));
    await a.install(sa('in', 'initiator', r2i));
    await b.install(sa('in', 'responder', i2r));
    await b.install(sa('out', 'responder', r2i));
    // The baseline uses a key of the same size, in the same kind of context, on each node.
    await a.setBenchKey(i2r.key);
    await b.setBenchKey(i2r.key);

    const deny = buildPacket({ src: A, dst: B, protocol: 'udp', sport: 40000, dport: 5353, payload: randomBytes(32) });
    const ctrl = buildPacket({ src: A, dst: B, protocol: 'tcp', sport: 40000, dport: 7443, payload: randomBytes(32) });
    const vs = (await a.testRun('dp_egress', Array.from({ length: 9 }, () => deny), verdictRepeat)).map((r) => r.durationNs);
    const vi = (await b.testRun('dp_ingress', Array.from({ length: 9 }, () => deny), verdictRepeat)).map((r) => r.durationNs);
    const vc = (await a.testRun('dp_egress', Array.from({ length: 9 }, () => ctrl), verdictRepeat)).map((r) => r.durationNs);

    const results: SizeResult[] = [];
    for (const bytes of sizes) {
      if (bytes < 28 + 1 || bytes > 20 + 1445) throw new DataplaneError('dataplane.bad-config', `packet size ${bytes} outside 29..1465`);
      const frame = buildPacket({ src: A, dst: B, protocol: 'udp', sport: 40001, dport: flow.dstPort, payload: randomBytes(bytes - 28) });
      // Each data-plane run is paired with a baseline run right before it, on the same node (same
      // scratch memory and key size), so drift in machine load hits both alike.
      const pairs = (dp: Dataplane, prog: 'dp_egress' | 'dp_ingress', packets: readonly Uint8Array[]) =>
        packets.flatMap((packet) => [
          { dp, prog: 'dp_bench_aes' as const, packet: frame },
          { dp, prog, packet },
        ]);
      const s1 = await Dataplane.testRunMany(pairs(a, 'dp_egress', Array.from({ length: samples }, () => frame)));
      // BPF_PROG_TEST_RUN packets carry complete checksums; the same packets once more as local
      // traffic on veth arrives, its checksum left to the device.
      await a.setBenchChecksumPartial(true);
      let s3: TestRunResult[];
      try {
        s3 = await Dataplane.testRunMany(pairs(a, 'dp_egress', Array.from({ length: samples }, () => frame)));
      } finally {
        await a.setBenchChecksumPartial(false);
      }
      const sealed = s1.filter((_, i) => i % 2 === 1);
      const sealedPartial = s3.filter((_, i) => i % 2 === 1);
      const s2 = await Dataplane.testRunMany(pairs(b, 'dp_ingress', [...sealed, ...sealedPartial].filter((_, i) => i % 2 === 0).map((r) => r.data)));
      const opened = s2.filter((_, i) => i % 2 === 1);
      const raw1 = s1.filter((_, i) => i % 2 === 0);
      const raw2 = s2.filter((_, i) => i % 2 === 0);
      const raw3 = s3.filter((_, i) => i % 2 === 0);
      for (const r of [...raw1, ...raw2, ...raw3]) if (r.retval !== 0) throw new DataplaneError('dataplane.kernel', `raw AES baseline failed (${r.retval})`);
      if ([...sealed, ...sealedPartial, ...opened].some((r) => r.retval !== 0)) {
        throw new DataplaneError('dataplane.kernel', 'a benchmark packet was dropped: the measurement would be of the wrong path');
      }
      const sealNs = median(sealed.map((r) => r.durationNs));
      const sealPartialNs = median(sealedPartial.map((r) => r.durationNs));
      const openNs = median(opened.map((r) => r.durationNs));
      const rawAesNs = median([...raw1, ...raw2, ...raw3].map((r) => r.durationNs));
      // The ratio is the median of per-pair ratios: each pair ran back to back, so load changes
      // on this shared machine cancel out within a pair.
      const ratio = (xs: readonly TestRunResult[], base: readonly TestRunResult[]) => median(xs.map((r, i) => r.durationNs / base[i]!.durationNs));
      results.push({
        bytes,
        sealNs,
        sealPartialNs,
        openNs,
        rawAesNs,
        sealRatio: ratio(sealed, raw1),
        sealPartialRatio: ratio(sealedPartial, raw3),
        openRatio: ratio(opened, raw2),
      });
    }
    const verdict = { egressDenyNs: median(vs), ingressDenyNs: median(vi), controlPassNs: median(vc) };
    const maxRatio = 1.1;
    const maxVerdictNs = 100;
    return {
      method: 'BPF_PROG_TEST_RUN; seal/open/raw AES: one run per sample on a fresh packet, kernel-timed; verdict: mean over repeats per sample; medians',
      baseline: RAW_AES_BASELINE,
      samples,
      aesDriver: aesDriver(),
      cpuHasAesInstructions: cpuHasAes(),
      verdict,
      sizes: results,
      targets: {
        maxRatio,
        maxVerdictNs,
        met:
          results.every((r) => r.sealRatio <= maxRatio && r.sealPartialRatio <= maxRatio && r.openRatio <= maxRatio) &&
          verdict.egressDenyNs < maxVerdictNs &&
          verdict.ingressDenyNs < maxVerdictNs,
      },
    };
  } finally {
    await b?.unload();
    await a.unload();
  }
}

/** Human-readable table of a result. */
export function formatDataplaneBench(r: DataplaneBenchResult): string {
  const f = (n: number): string => (n >= 1000 ? `${(n / 1000).toFixed(2)} µs` : `${n.toFixed(0)} ns`);
  const lines = [
    `data plane (BPF_PROG_TEST_RUN, ${r.samples} samples, medians; kernel AES: ${r.aesDriver}${r.cpuHasAesInstructions ? ', CPU has AES instructions but the kernel does not use them' : ''})`,
    `policy verdict: egress deny ${f(r.verdict.egressDenyNs)}, ingress deny ${f(r.verdict.ingressDenyNs)}, control-port pass ${f(r.verdict.controlPassNs)}  (target < ${r.targets.maxVerdictNs} ns)`,
    `raw AES baseline: 2 kfunc calls, ECB over nb+1 counter blocks + CBC over nb+2 blocks (nb = ciphertext blocks), i.e. the AES a minimal CCM needs; no packet work`,
    `seal: packet with a complete TCP/UDP checksum; seal*: checksum left to the device (CHECKSUM_PARTIAL, local traffic on veth), completed by the program`,
    `${'bytes'.padStart(6)} ${'raw AES'.padStart(10)} ${'seal'.padStart(10)} ${'ratio'.padStart(6)} ${'seal*'.padStart(10)} ${'ratio'.padStart(6)} ${'open'.padStart(10)} ${'ratio'.padStart(6)}`,
    ...r.sizes.map(
      (s) =>
        `${String(s.bytes).padStart(6)} ${f(s.rawAesNs).padStart(10)} ${f(s.sealNs).padStart(10)} ${s.sealRatio.toFixed(3).padStart(6)} ${f(s.sealPartialNs).padStart(10)} ${s.sealPartialRatio.toFixed(3).padStart(6)} ${f(s.openNs).padStart(10)} ${s.openRatio.toFixed(3).padStart(6)}`,
    ),
    `targets (ratio <= ${r.targets.maxRatio}, verdict < ${r.targets.maxVerdictNs} ns): ${r.targets.met ? 'met' : 'NOT met'}`,
  ];
  return lines.join('\n');
}

/** One size's figures over several runs: medians of the runs' figures, with their range. */
export interface SizeSummary {
  readonly bytes: number;
  readonly rawAesNs: number;
  readonly sealRatio: number;
  readonly sealRatioRange: readonly [number, number];
  readonly sealPartialRatio: number;
  readonly sealPartialRatioRange: readonly [number, number];
  readonly openRatio: number;
  readonly openRatioRange: readonly [number, number];
}

export interface DataplaneBenchRuns {
  readonly runs: readonly DataplaneBenchResult[];
  /** Medians over the runs: one run is one sample of a machine whose load changes by the minute. */
  readonly summary: {
    readonly verdict: { readonly egressDenyNs: number; readonly ingressDenyNs: number; readonly maxDenyNs: number };
    readonly sizes: readonly SizeSummary[];
    /** Runs in which every target held. */
    readonly runsMeetingTargets: number;
    readonly targets: { readonly maxRatio: number; readonly maxVerdictNs: number; readonly met: boolean };
  };
}

/**
 * `runs` measurements one after another (each loads its own data planes), summarised by the
 * medians of their figures. `onRun` sees each result as it comes (progress for long runs).
 */
export async function benchDataplaneRuns(
  opts: DataplaneBenchOptions,
  runs: number,
  onRun?: (r: DataplaneBenchResult, i: number) => void,
): Promise<DataplaneBenchRuns> {
  if (!Number.isInteger(runs) || runs < 1) throw new DataplaneError('dataplane.bad-config', `runs must be a positive integer, got ${runs}`);
  const all: DataplaneBenchResult[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await benchDataplane(opts);
    all.push(r);
    onRun?.(r, i);
  }
  const first = all[0]!;
  const sizes = first.sizes.map((s, k): SizeSummary => {
    const col = (f: (x: SizeResult) => number) => all.map((r) => f(r.sizes[k]!));
    const range = (xs: number[]): [number, number] => [Math.min(...xs), Math.max(...xs)];
    return {
      bytes: s.bytes,
      rawAesNs: median(col((x) => x.rawAesNs)),
      sealRatio: median(col((x) => x.sealRatio)),
      sealRatioRange: range(col((x) => x.sealRatio)),
      sealPartialRatio: median(col((x) => x.sealPartialRatio)),
      sealPartialRatioRange: range(col((x) => x.sealPartialRatio)),
      openRatio: median(col((x) => x.openRatio)),
      openRatioRange: range(col((x) => x.openRatio)),
    };
  });
  const egress = median(all.map((r) => r.verdict.egressDenyNs));
  const ingress = median(all.map((r) => r.verdict.ingressDenyNs));
  const { maxRatio, maxVerdictNs } = first.targets;
  return {
    runs: all,
    summary: {
      verdict: { egressDenyNs: egress, ingressDenyNs: ingress, maxDenyNs: Math.max(...all.map((r) => Math.max(r.verdict.egressDenyNs, r.verdict.ingressDenyNs))) },
      sizes,
      runsMeetingTargets: all.filter((r) => r.targets.met).length,
      targets: {
        maxRatio,
        maxVerdictNs,
        met: sizes.every((s) => s.sealRatio <= maxRatio && s.sealPartialRatio <= maxRatio && s.openRatio <= maxRatio) && egress < maxVerdictNs && ingress < maxVerdictNs,
      },
    },
  };
}

/** One line per run (raw AES for the smallest size tells how loaded the machine was), then the medians. */
export function formatDataplaneRuns(r: DataplaneBenchRuns): string {
  const f = (n: number): string => (n >= 1000 ? `${(n / 1000).toFixed(2)} µs` : `${n.toFixed(0)} ns`);
  const s = r.summary;
  const lines = [
    `data plane over ${r.runs.length} runs of ${r.runs[0]!.samples} samples (kernel AES: ${r.runs[0]!.aesDriver}); medians of the runs' figures (range)`,
    `policy verdict: egress deny ${f(s.verdict.egressDenyNs)}, ingress deny ${f(s.verdict.ingressDenyNs)}, worst run ${f(s.verdict.maxDenyNs)}  (target < ${s.targets.maxVerdictNs} ns)`,
    `${'bytes'.padStart(6)} ${'raw AES'.padStart(10)} ${'seal ratio'.padStart(24)} ${'seal* ratio'.padStart(24)} ${'open ratio'.padStart(24)}`,
    ...s.sizes.map((z) => {
      const col = (m: number, [lo, hi]: readonly [number, number]) => `${m.toFixed(3)} (${lo.toFixed(3)}–${hi.toFixed(3)})`.padStart(24);
      return `${String(z.bytes).padStart(6)} ${f(z.rawAesNs).padStart(10)} ${col(z.sealRatio, z.sealRatioRange)} ${col(z.sealPartialRatio, z.sealPartialRatioRange)} ${col(z.openRatio, z.openRatioRange)}`;
    }),
    `seal: packet with a complete TCP/UDP checksum; seal*: checksum left to the device (CHECKSUM_PARTIAL, local traffic on veth)`,
    `targets (ratio <= ${s.targets.maxRatio}, verdict < ${s.targets.maxVerdictNs} ns) on the medians: ${s.targets.met ? 'met' : 'NOT met'}; every target held in ${s.runsMeetingTargets} of ${r.runs.length} runs`,
  ];
  return lines.join('\n');
}
