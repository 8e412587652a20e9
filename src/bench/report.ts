/**
 * Renders a {@link BenchReport}: a markdown table (README and terminal), a hand-drawn SVG bar chart
 * (three panels, one per workload; tiny, so no chart library) and the JSON, written side by side.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TRANSPORT_LABEL, TRANSPORTS, type BenchReport, type TransportFigure, type WorkloadResult } from './types.js';

function num(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return n.toFixed(0);
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

function cell(w: WorkloadResult, f: TransportFigure | undefined): string {
  if (f === undefined) return 'missing';
  let s = `${num(f.median)} ${w.unit}`;
  if (f.ratio !== undefined && f.delta !== undefined) {
    const sign = f.delta >= 0 ? '+' : '−';
    const pct = (f.ratio - 1) * 100;
    const extra = w.name === 'latency' ? `${sign}${num(Math.abs(f.delta))} µs` : `${pct >= 0 ? '+' : '−'}${num(Math.abs(pct))}%`;
    const same = f.ratioSameLink !== undefined ? `; ×${f.ratioSameLink.toFixed(2)} vs same-link plaintext` : '';
    s += ` (×${f.ratio.toFixed(2)}, ${extra}${same})`;
  }
  return s;
}

/** The short table for READMEs: one row per workload, one column per transport. */
export function markdownTable(r: BenchReport): string {
  const head = `| workload (median of ${r.runs} runs) | ${TRANSPORTS.map((t) => TRANSPORT_LABEL[t]).join(' | ')} | published reference |`;
  const sep = `|---|${TRANSPORTS.map(() => '---').join('|')}|---|`;
  const rows = r.workloads.map((w) => `| ${w.title} (${w.unit}, ${w.better} is better) | ${TRANSPORTS.map((t) => cell(w, w.figures.find((f) => f.transport === t))).join(' | ')} | ${w.reference} |`);
  const hs = r.handshakes.map((h) => `| ${h.protocol} | ${num(h.cpuMs)} ms | ${num(h.wallMs)} ms | ${h.bytes} B${h.messages !== undefined ? ` in ${h.messages} messages` : ''} | ${h.notes ?? ''} |`);
  const m = r.machine;
  const paired = r.workloads
    .map((w) => `${w.name} ${w.figures.filter((f) => f.pairedRatio !== undefined).map((f) => `${f.transport} ×${f.pairedRatio!.toFixed(2)}`).join(', ')}`)
    .join('; ');
  const lines = [
    head,
    sep,
    ...rows,
    '',
    `Paired ratios (median over runs of each run's figure over plaintext's in the same run): ${paired}.`,
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.kernel}, Node ${m.node}; CPU AES-NI: ${m.cpuAesNi ? 'yes' : 'no'}; kernel AES for eBPF: ${m.kernelAesDrivers.join(', ') || 'none'}; kernel GCM: ${m.kernelGcm ? 'yes' : 'no'}.`,
  ];
  const dp = r.dataplane;
  if ('sizes' in dp) {
    const us = (ns: number): string => (ns / 1000).toFixed(2);
    lines.push(
      '',
      `| per packet (bench dataplane, BPF_PROG_TEST_RUN, median of ${dp.samples}) | raw kernel AES | seal | seal / raw | seal* | seal* / raw | open | open / raw |`,
      '|---|---|---|---|---|---|---|---|',
      ...dp.sizes.map(
        (s) =>
          `| ${s.bytes} B | ${us(s.rawAesNs)} µs | ${us(s.sealNs)} µs | ×${s.sealRatio.toFixed(3)} | ${us(s.sealPartialNs)} µs | ×${s.sealPartialRatio.toFixed(3)} | ${us(s.openNs)} µs | ×${s.openRatio.toFixed(3)} |`,
      ),
      '',
      'seal: a packet whose TCP/UDP checksum is complete; seal*: one whose checksum the stack left to the device (CHECKSUM_PARTIAL, local traffic on veth), which the program completes.',
      '',
      `Policy verdict: egress ${dp.verdict.egressDenyNs.toFixed(0)} ns, ingress ${dp.verdict.ingressDenyNs.toFixed(0)} ns (kernel AES driver: ${dp.aesDriver}).`,
    );
    const big = dp.sizes.find((s) => s.bytes === r.aesGap?.bytes);
    if (r.aesGap && big) {
      lines.push(
        `For the same AES work in user space with the CPU's AES instructions (OpenSSL AES-128-CCM, bulk rate): ${us(r.aesGap.userSpaceCcmNsPer)} µs per ${r.aesGap.bytes} B, ` +
          `×${(big.rawAesNs / r.aesGap.userSpaceCcmNsPer).toFixed(1)} less than the kernel's raw AES here.`,
      );
    }
  } else if ('missing' in dp) lines.push('', `Per-packet figures missing: ${dp.missing}.`);
  if (r.ebpf) {
    const c = r.ebpf.counters;
    const drops = Object.entries(c).filter(([k]) => !/sealed|opened|pass_/.test(k));
    lines.push(
      '',
      `eBPF data plane over the run: ${c['out.sealed'] ?? 0} packets sealed, ${c['in.opened'] ?? 0} opened; other verdicts: ${drops.map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}. Keys: ${r.ebpf.keySource}.`,
    );
  }
  if (r.failures.length > 0) lines.push('', ...r.failures.map((f) => `Failed: run ${f.run} of ${f.workload} on ${f.transport} failed: ${f.error} (left out of the median).`));
  if (r.missing.length > 0) lines.push('', ...r.missing.map((x) => `Missing: ${TRANSPORT_LABEL[x.transport]}: ${x.reason}.`));
  if (hs.length > 0) lines.push('', '| control-plane handshake | CPU (both ends) | wall | bytes on the wire | notes |', '|---|---|---|---|---|', ...hs);
  if (r.notes.length > 0) lines.push('', ...r.notes.map((n) => `Note: ${n}`));
  return `${lines.join('\n')}\n`;
}

const COLOURS: Record<string, string> = { plain: '#8a8f98', plainseg: '#b9bdc4', ebpf: '#2b7bb9', tls: '#d9822b' };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A three-panel horizontal bar chart; bars are medians, labels carry the ratio to plaintext. */
export function svgChart(r: BenchReport): string {
  const W = 980;
  const rowH = 34;
  const panelH = 40 + TRANSPORTS.length * rowH;
  const top = 56;
  const labelW = 300;
  const barW = W - labelW - 290;
  const parts: string[] = [];
  const H = top + r.workloads.length * panelH + 30;
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="13">`);
  parts.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  parts.push(`<text x="16" y="26" font-size="17" font-weight="bold">attestflow bench: median of ${r.runs} runs, ratio to plaintext in the same run</text>`);
  parts.push(`<text x="16" y="45" fill="#555">${esc(`${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.kernel}; kernel AES: ${r.machine.kernelAesDrivers.join(', ') || 'none'}`)}</text>`);
  r.workloads.forEach((w, i) => {
    const y0 = top + i * panelH + 10;
    parts.push(`<text x="16" y="${y0 + 14}" font-weight="bold">${esc(`${w.title} — ${w.unit}, ${w.better} is better`)}</text>`);
    const max = Math.max(...w.figures.map((f) => f.median), 1e-9);
    TRANSPORTS.forEach((t, j) => {
      const y = y0 + 24 + j * rowH;
      parts.push(`<text x="16" y="${y + 18}">${esc(TRANSPORT_LABEL[t])}</text>`);
      const f = w.figures.find((x) => x.transport === t);
      if (f === undefined) {
        parts.push(`<text x="${labelW}" y="${y + 18}" fill="#b00">missing (see report)</text>`);
        return;
      }
      const len = Math.max(1, (f.median / max) * barW);
      parts.push(`<rect x="${labelW}" y="${y + 4}" width="${len.toFixed(1)}" height="20" fill="${COLOURS[t]}"/>`);
      const same = f.ratioSameLink !== undefined ? ` (×${f.ratioSameLink.toFixed(2)} vs same-link)` : '';
      const ratio = f.ratio !== undefined ? `  ×${f.ratio.toFixed(2)}${same}` : '  baseline';
      parts.push(`<text x="${(labelW + len + 6).toFixed(1)}" y="${y + 18}">${esc(`${num(f.median)} ${w.unit}${ratio}`)}</text>`);
    });
  });
  parts.push(`<text x="16" y="${H - 14}" fill="#555">${esc(`generated ${r.startedAt} by ${r.tool} ${r.version}`)}</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** Writes `latest.json`, `latest.svg` and `latest.md` into `dir`; returns their paths. */
export function writeResults(r: BenchReport, dir: string): { json: string; svg: string; md: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'latest.json');
  const svg = join(dir, 'latest.svg');
  const md = join(dir, 'latest.md');
  writeFileSync(json, `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(svg, svgChart(r));
  writeFileSync(md, markdownTable(r));
  return { json, svg, md };
}
