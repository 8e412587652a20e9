import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTlsIdentities } from '../../src/bench/certs.js';
import type { BenchReport } from '../../src/bench/types.js';
import { announceSkip, kernelSkipReason, repoRoot } from '../util/env.js';

function tryHandshake(client: tls.ConnectionOptions, server: tls.TlsOptions): Promise<string> {
  return new Promise((resolve) => {
    // 'ok' only when both ends accepted: the server's handler runs only for a verified client.
    let serverAccepted = false;
    const srv = tls.createServer({ ...server, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3' }, (s) => {
      serverAccepted = true;
      s.end();
    });
    srv.on('tlsClientError', () => undefined);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      const s = tls.connect({ ...client, host: '127.0.0.1', port, minVersion: 'TLSv1.3' });
      const done = (r: string): void => {
        s.destroy();
        srv.close();
        resolve(r);
      };
      s.once('secureConnect', () => s.once('data', () => undefined));
      s.once('end', () => done(s.authorized && serverAccepted ? 'ok' : `refused (client authorized server: ${s.authorized}, server accepted client: ${serverAccepted})`));
      s.once('error', (e) => done(`error ${e.message}`));
    });
  });
}

describe('mTLS identities for the user-space baseline', () => {
  it('a client and server of the same CA complete mutually authenticated TLS 1.3 by IP', async () => {
    const ids = await makeTlsIdentities({ a: ['127.0.0.1'], b: ['127.0.0.1'] });
    expect(await tryHandshake(ids.a!, ids.b!)).toBe('ok');
  });

  it('a client certificate from another CA is refused by the server', async () => {
    const ours = await makeTlsIdentities({ a: ['127.0.0.1'] });
    const theirs = await makeTlsIdentities({ x: ['127.0.0.1'] });
    // The stranger trusts our CA (so it would accept the server) but presents its own certificate.
    const r = await tryHandshake({ ...theirs.x!, ca: ours.a!.ca }, ours.a!);
    expect(r).not.toBe('ok');
  });

  it('a server whose certificate does not name the dialled IP is refused by the client', async () => {
    const ids = await makeTlsIdentities({ a: ['10.9.9.9'] });
    const r = await tryHandshake(ids.a!, ids.a!);
    expect(r).toMatch(/error .*(IP|altnames)/i);
  });
});

const reason = kernelSkipReason();
announceSkip('bench harness in network namespaces', reason);

const benchNamespaces = (): string[] => {
  try {
    return readdirSync('/run/netns').filter((n) => n.startsWith('af-bench-'));
  } catch {
    return [];
  }
};

describe.skipIf(reason !== undefined)('attestflow bench all --quick (network namespaces, root)', () => {
  let out: string;
  let report: BenchReport;
  let status: number | null;
  let stderr: string;

  beforeAll(() => {
    // The bench workers run the compiled code (one process per namespace): build if needed.
    if (!existsSync(join(repoRoot, 'dist', 'bench', 'worker.js'))) execFileSync('npx', ['--no-install', 'tsc', '-p', 'tsconfig.build.json'], { cwd: repoRoot });
    out = mkdtempSync(join(tmpdir(), 'af-bench-test-'));
    const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'attestflow.js'), 'bench', 'all', '--quick', '--json', '--out', out], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    status = r.status;
    stderr = r.stderr;
    report = JSON.parse(r.stdout) as BenchReport;
  }, 150_000);

  afterAll(() => {
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('shows progress and leaves no namespace behind', () => {
    expect(stderr).toMatch(/\[bench +[\d.]+ s\] run 1\/2 latency {4}plain/);
    expect(stderr).toMatch(/namespaces and workers removed/);
    expect(benchNamespaces()).toEqual([]);
  });

  it('every workload has positive medians for each baseline, one figure per run, and finite positive ratios', () => {
    expect(report.failures).toEqual([]);
    expect(report.workloads.map((w) => w.name)).toEqual(['latency', 'throughput', 'pipeline']);
    for (const w of report.workloads) {
      const plain = w.figures.find((f) => f.transport === 'plain');
      for (const t of ['plain', 'plainseg', 'tls']) expect(w.figures.find((f) => f.transport === t), `${w.name} ${t}`).toBeDefined();
      for (const f of w.figures) {
        expect(f.runs).toHaveLength(report.runs);
        expect(f.median).toBeGreaterThan(0);
        expect(Math.min(...f.runs)).toBeLessThanOrEqual(f.median);
        expect(Math.max(...f.runs)).toBeGreaterThanOrEqual(f.median);
        if (f.transport === 'plain') expect(f.ratio).toBeUndefined();
        else {
          expect(Number.isFinite(f.ratio)).toBe(true);
          expect(f.ratio!).toBeGreaterThan(0);
          expect(f.ratio!).toBeCloseTo(f.median / plain!.median, 9);
          expect(f.pairedRatio!).toBeGreaterThan(0);
        }
      }
    }
    const lat = report.workloads[0]!.figures.find((f) => f.transport === 'tls')!;
    expect(String(lat.notes?.cipher)).toMatch(/^TLS_/);
  });

  it('the eBPF transport either ran or is reported missing with a reason (never both, never silent)', () => {
    const ran = report.workloads.every((w) => w.figures.some((f) => f.transport === 'ebpf'));
    const missing = report.missing.find((m) => m.transport === 'ebpf');
    expect(ran !== (missing !== undefined)).toBe(true);
    if (missing) {
      expect(missing.reason.length).toBeGreaterThan(10);
      expect(status).toBe(1);
    } else expect(status).toBe(0);
  });

  it('when the eBPF transport ran, its bytes really crossed the data plane as ESP', () => {
    if (report.missing.some((m) => m.transport === 'ebpf')) return; // checked by the test above
    const c = report.ebpf!.counters;
    const n = (k: string): number => c[k] ?? 0;
    // The pipeline alone moves 2 × 20 items of 4 KiB over four hops: hundreds of sealed packets.
    expect(n('out.sealed')).toBeGreaterThan(100);
    // Every sealed packet was opened, except the rare one that arrived behind more than 64 later
    // packets of its SA (reordered between CPUs): the anti-replay window drops it and TCP resends it.
    expect(n('in.opened') + n('in.out_of_window')).toBe(n('out.sealed'));
    expect(n('in.out_of_window')).toBeLessThan(n('out.sealed') / 100);
    // The bench's network carries only policy flows (and ARP): every other verdict, drops included, stays at zero.
    expect(Object.keys(c).filter((k) => !['out.sealed', 'in.opened', 'in.out_of_window', 'out.pass_nonip', 'in.pass_nonip'].includes(k))).toEqual([]);
    expect(report.ebpf!.keySource).toMatch(/MAKE handshakes/);
    for (const w of report.workloads) expect(w.figures.find((f) => f.transport === 'ebpf')!.ratioSameLink).toBeGreaterThan(0);
  });

  it('control-plane cost: MAKE and mTLS handshakes have positive CPU time and plausible bytes on the wire', () => {
    const t = report.handshakes.find((h) => h.protocol.includes('TLS'));
    const m = report.handshakes.find((h) => h.protocol.startsWith('MAKE'));
    expect(t).toBeDefined();
    expect(m).toBeDefined();
    for (const h of [t!, m!]) {
      expect(h.count).toBe(3);
      expect(h.cpuMs).toBeGreaterThan(0);
      expect(h.wallMs).toBeGreaterThan(0);
    }
    // Two certificates, two CertificateVerify signatures and Finished messages cannot fit in 1 KB.
    expect(t!.bytes).toBeGreaterThan(1000);
    // MAKE: four messages, two of them carrying evidence (a sim report is hundreds of bytes).
    expect(m!.messages).toBe(4);
    expect(m!.bytes).toBeGreaterThan(500);
  });

  it('writes the JSON, SVG and markdown results', () => {
    const j = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as BenchReport;
    expect(j.startedAt).toBe(report.startedAt);
    const svg = readFileSync(join(out, 'latest.svg'), 'utf8');
    expect(svg).toMatch(/^<svg[^>]+xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(readFileSync(join(out, 'latest.md'), 'utf8')).toContain('| Round-trip latency');
    expect(j.machine.cores).toBeGreaterThan(0);
  });
});

describe.skipIf(reason !== undefined)('attestflow bench all interrupted (network namespaces, root)', () => {
  it('SIGINT mid-run removes namespaces, pins, workers and the lock, and exits non-zero', async () => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'attestflow.js'), 'bench', 'all', '--no-write'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`bench did not start measuring within 60 s: ${err}`)), 60_000);
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        if (/run 1\/\d+ latency/.test(err)) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    expect(benchNamespaces().length).toBeGreaterThan(0);
    child.kill('SIGINT');
    const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000))]);
    if (code === 'hung') child.kill('SIGKILL');
    expect(code).not.toBe('hung');
    expect(code).not.toBe(0);
    expect(err).toMatch(/SIGINT: cleaning up/);
    expect(benchNamespaces()).toEqual([]);
    expect(['c', 's1', 's2', 's3'].filter((n) => existsSync(`/sys/fs/bpf/af-bench-${n}`))).toEqual([]);
    expect(existsSync('/run/af-bench.lock')).toBe(false);
  }, 120_000);
});

describe.skipIf(reason !== undefined)('attestflow bench all while another run holds the lock (root)', () => {
  it('refuses with bench.busy (exit 1) and touches nothing', () => {
    // The lock names a live process (this test runner) that is not the new bench.
    writeFileSync('/run/af-bench.lock', String(process.pid), { flag: 'wx' });
    try {
      const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'attestflow.js'), 'bench', 'all', '--quick', '--no-write'], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/\[bench\.busy\].*pid \d+/);
      expect(benchNamespaces()).toEqual([]);
      expect(readFileSync('/run/af-bench.lock', 'utf8')).toBe(String(process.pid));
    } finally {
      rmSync('/run/af-bench.lock', { force: true });
    }
  });
});

describe('attestflow bench all: usage', () => {
  it('--runs out of range is a usage error (exit 2) and builds nothing', () => {
    const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'attestflow.js'), 'bench', 'all', '--runs', '0'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--runs must be an integer/);
    expect(benchNamespaces()).toEqual([]);
  });
});
