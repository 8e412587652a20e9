/**
 * The per-packet data-plane figures of `attestflow bench dataplane` (BPF_PROG_TEST_RUN: policy
 * verdict, AES-CCM seal and open beside the kernel's raw AES), run in the same bench process.
 */
import { benchDataplane, type DataplaneBenchResult } from '../dataplane/bench.js';

export type PerPacket = DataplaneBenchResult | { readonly missing: string };

export async function dataplaneFigures(progress: (l: string) => void, samples = 51): Promise<PerPacket> {
  progress(`per-packet data-plane figures (bench dataplane, ${samples} samples)`);
  try {
    const r = await benchDataplane({ samples });
    for (const s of r.sizes) progress(`  ${s.bytes} B: seal ${(s.sealNs / 1000).toFixed(2)} µs, open ${(s.openNs / 1000).toFixed(2)} µs, raw AES ${(s.rawAesNs / 1000).toFixed(2)} µs`);
    progress(`  policy verdict: egress ${r.verdict.egressDenyNs.toFixed(0)} ns, ingress ${r.verdict.ingressDenyNs.toFixed(0)} ns`);
    return r;
  } catch (e) {
    const missing = `bench dataplane failed: ${e instanceof Error ? e.message : String(e)}`;
    progress(missing);
    return { missing };
  }
}
