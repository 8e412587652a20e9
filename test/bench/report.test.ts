import { describe, expect, it } from 'vitest';
import { markdownTable, svgChart } from '../../src/bench/report.js';
import type { BenchReport } from '../../src/bench/types.js';

// A report shaped like a real run, to check the renderers (the figures here are inputs, not results).
const report: BenchReport = {
  tool: 'attestflow bench all',
  version: '0.0.0',
  startedAt: '2026-01-01T00:00:00.000Z',
  seconds: 1,
  machine: { kernel: 'Linux 6.18', cpu: 'CPU <x> & co', cores: 2, node: 'v20', cpuAesNi: true, kernelAesDrivers: ['aes-generic'], kernelGcm: false },
  runs: 3,
  workloads: [
    {
      name: 'latency',
      title: 'Round-trip latency',
      unit: 'µs',
      better: 'lower',
      params: {},
      reference: 'ref',
      figures: [
        { transport: 'plain', median: 50, runs: [49, 50, 51] },
        { transport: 'tls', median: 60, runs: [60, 60, 61], ratio: 1.2, delta: 10 },
      ],
    },
  ],
  missing: [{ transport: 'ebpf', reason: 'not here' }],
  failures: [{ workload: 'latency', transport: 'tls', run: 2, error: 'boom' }],
  handshakes: [{ protocol: 'mTLS', count: 3, cpuMs: 4, wallMs: 5, bytes: 3700 }],
  dataplane: { skipped: 'not requested' },
  notes: ['a note'],
};

describe('bench report rendering', () => {
  it('markdown table: one row per workload, ratios, missing transports and machine', () => {
    const md = markdownTable(report);
    const rows = md.split('\n').filter((l) => l.startsWith('| Round-trip'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain('50.0 µs');
    expect(rows[0]).toContain('×1.20, +10.0 µs');
    expect(rows[0]).toContain('missing');
    expect(md).toContain('Missing: attestflow eBPF');
    expect(md).toContain('kernel GCM: no');
    expect(md).toContain('3700 B');
    expect(md).toContain('run 2 of latency on tls failed: boom');
  });

  it('SVG: well-formed, escaped, one bar per figure and a missing marker', () => {
    const svg = svgChart(report);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('CPU &lt;x&gt; &amp; co');
    expect(svg).not.toContain('<x>');
    expect(svg.match(/<rect x=/g)).toHaveLength(2);
    expect(svg).toContain('×1.20');
    expect(svg).toContain('missing');
    // Every opened text element is closed (a cheap well-formedness check without an XML parser).
    expect(svg.match(/<text/g)?.length).toBe(svg.match(/<\/text>/g)?.length);
  });
});
