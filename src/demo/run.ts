/**
 * `attestflow demo`: a confidential workflow of three parties on this machine. Each component runs
 * its own agent (software TEE, MAKE, eBPF data plane) in its own network namespace; real records
 * flow hospital → lab → auditor over the encrypted data plane; then an impostor, a genuine image
 * in another role and a flow outside the policy are shown refused. Everything it creates —
 * namespaces, processes, bpffs pins, temporary files — is removed at the end, on failure, and on
 * SIGINT/SIGTERM.
 */
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { fetchStatus, type FetchedStatus } from '../agent/status-client.js';
import { SimWorld } from '../agent/sim-world.js';
import { DEFAULT_MAKE_PORT } from '../agent/plan.js';
import { signApproval } from '../policy/update.js';
import { AttestflowError } from '../errors.js';
import { listPinDirs, sweepPinDirs } from '../dataplane/pins.js';
import { processAlive } from '../process-alive.js';
import { Cleanup } from './cleanup.js';
import { createTopology, destroyTopology, listNetns, removeStale, type NetNode, type Topology } from './netns.js';
import { summarizePcap, type WireSummary } from './pcap.js';
import { ProcSet, type Proc } from './procs.js';
import { expectedReport, PLAINTEXT_MARKER, type Report } from './workload.js';

const BIN = fileURLToPath(new URL('../../bin/attestflow.js', import.meta.url));
const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));
const BPF_OBJECT = fileURLToPath(new URL('../../bpf/build/attestflow_dp.bpf.o', import.meta.url));
const BPF_HELPER = fileURLToPath(new URL('../../bpf/build/afdp', import.meta.url));

export class DemoError extends AttestflowError {
  constructor(message: string) {
    super('demo.failed', message);
  }
}

/** One row of the closing table. */
export interface DemoRow {
  readonly step: string;
  readonly expected: string;
  readonly observed: string;
  readonly ok: boolean;
}

export interface DemoOptions {
  readonly records?: number;
  /** Rekey interval of the agents, seconds (short so the demo shows a rekey). */
  readonly rekeySeconds?: number;
  readonly out?: (line: string) => void;
  /** Test hook: called after each progress line with its step name. */
  readonly onStep?: (step: string) => void;
  /** Copy the agents' JSON logs (and the wire capture) here before the work files are removed. */
  readonly keepLogs?: string;
}

export interface DemoResult {
  readonly rows: readonly DemoRow[];
  readonly ok: boolean;
  readonly leftovers: readonly string[];
}

const COMPONENTS = [
  { name: 'ingest', owner: 'hospital', address: '10.77.0.1' },
  { name: 'analyze', owner: 'lab', address: '10.77.0.2' },
  { name: 'report', owner: 'auditor', address: '10.77.0.3' },
] as const;
const ROGUE = { name: 'rogue', address: '10.77.0.9' };
const EDGES = [
  { from: 'ingest', to: 'analyze', protocol: 'tcp' as const, port: 7001 },
  { from: 'analyze', to: 'report', protocol: 'tcp' as const, port: 7002 },
];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class Demo {
  readonly cleanup = new Cleanup();
  private readonly procs = new ProcSet();
  private readonly rows: DemoRow[] = [];
  private readonly t0 = Date.now();
  private readonly out: (line: string) => void;
  private readonly id = String(process.pid);
  private dir = '';
  private topo: Topology | undefined;
  private world: SimWorld | undefined;

  constructor(private readonly o: DemoOptions = {}) {
    this.out = o.out ?? ((l) => process.stdout.write(`${l}\n`));
  }

  private say(step: string, line: string): void {
    this.out(`[${((Date.now() - this.t0) / 1000).toFixed(1).padStart(5)}s] ${line}`);
    this.o.onStep?.(step);
  }

  private row(step: string, expected: string, observed: string, ok: boolean): void {
    this.rows.push({ step, expected, observed, ok });
  }

  private node(name: string): NetNode {
    const n = this.topo?.nodes.find((x) => x.name === name);
    if (!n) throw new DemoError(`no namespace for ${name}`);
    return n;
  }

  private sock(name: string): string {
    return join(this.dir, `${name}.sock`);
  }

  private pinDir(name: string): string {
    return `/sys/fs/bpf/af-demo-${this.id}-${name}`;
  }

  private status(name: string): Promise<FetchedStatus> {
    return fetchStatus({ kind: 'unix', path: this.sock(name) }, 3_000);
  }

  private async waitFor<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
    const end = Date.now() + ms;
    let lastErr = '';
    while (Date.now() < end) {
      try {
        const v = await probe();
        if (v !== undefined) return v;
      } catch (e) {
        lastErr = (e as Error).message;
      }
      await sleep(100);
    }
    throw new DemoError(`${what}: not within ${ms / 1000} s${lastErr ? ` (${lastErr})` : ''}`);
  }

  /** Starts an agent in a namespace; `launch` picks the TEE it really runs (image and role). */
  private startAgent(label: string, ns: string, component: string, launch: { image?: string; role?: string }, extra: string[]): Proc {
    const world = this.world as SimWorld;
    const launchFile = join(this.dir, `${label}.tee.json`);
    writeFileSync(launchFile, JSON.stringify(world.launchFile(component, launch)), { mode: 0o600 });
    const argv = [process.execPath, BIN, 'agent', '--policy', join(this.dir, 'policy.yaml'), '--approvals', join(this.dir, 'approvals.json'), '--component', component, '--sim-tee', launchFile, '--status', `unix:${this.sock(label)}`, ...extra];
    return this.procs.start(label, ns, argv, join(this.dir, `${label}.log`));
  }

  private async worker(ns: string, args: string[], label: string): Promise<Proc> {
    return this.procs.start(label, ns, [process.execPath, WORKER, ...args], join(this.dir, `${label}.log`));
  }

  private static json<T>(line: string): T {
    return JSON.parse(line) as T;
  }

  async run(): Promise<DemoResult> {
    try {
      await this.steps();
    } catch (e) {
      this.say('error', `FAILED: ${(e as Error).message}`);
      this.row('demo', 'runs to the end', (e as Error).message, false);
    }
    const leftovers = await this.teardown();
    return { rows: this.rows, ok: this.rows.every((r) => r.ok) && leftovers.length === 0, leftovers };
  }

  private async steps(): Promise<void> {
    // --- preflight: say what is missing instead of pretending.
    if (process.getuid?.() !== 0) throw new DemoError('the demo needs root (network namespaces, eBPF); run it with sudo');
    for (const [what, ok] of [
      ['nsenter', spawnSync('nsenter', ['--version']).status === 0],
      ['ip (iproute2)', spawnSync('ip', ['-V']).status === 0],
      ['tcpdump', spawnSync('tcpdump', ['--version']).status === 0],
      ['eBPF data plane (bpf/build; npm run setup builds it)', existsSync(BPF_OBJECT) && existsSync(BPF_HELPER)],
    ] as const) {
      if (!ok) throw new DemoError(`missing: ${what}`);
    }
    const stale = await removeStale('af-demo-');
    if (stale.length) this.say('preflight', `removed ${stale.length} namespaces left by an earlier interrupted run`);
    // Pins of an earlier run whose process is gone (`af-demo-<pid>-…`) go through the adapter.
    await sweepPinDirs(
      listPinDirs('af-demo-').filter((dir) => {
        const pid = Number(dir.split('/').pop()!.split('-')[2]);
        return Number.isInteger(pid) && pid !== process.pid && !processAlive(pid);
      }),
    );
    this.dir = mkdtempSync(join(tmpdir(), `af-demo-${this.id}-`));
    this.cleanup.add('temporary files', async () => {
      if (this.o.keepLogs !== undefined) {
        mkdirSync(this.o.keepLogs, { recursive: true });
        for (const f of readdirSync(this.dir).filter((x) => x.endsWith('.log') || x.endsWith('.pcap') || x === 'policy.yaml')) copyFileSync(join(this.dir, f), join(this.o.keepLogs, f));
      }
      rmSync(this.dir, { recursive: true, force: true });
    });
    this.say('preflight', `root, nsenter, ip, tcpdump and the eBPF data plane are present; work files in ${this.dir}`);

    // --- policy: three owners, three components, a pipeline of two edges, a fresh sim root.
    const rekeySeconds = this.o.rekeySeconds ?? 10;
    this.world = new SimWorld({
      workflow: 'clinical-pipeline',
      rekeyIntervalSeconds: rekeySeconds,
      components: COMPONENTS,
      edges: EDGES,
      // The hospital's record-decryption key goes to the lab's analysis enclave only.
      secrets: [{ name: 'records-key', holder: 'ingest', releaseTo: ['analyze'] }],
    });
    const world = this.world;
    writeFileSync(join(this.dir, 'policy.yaml'), world.policyText);
    // Every owner signs the version; each agent activates it only with all three approvals.
    const owners = Object.keys(world.ownerSeeds);
    writeFileSync(join(this.dir, 'approvals.json'), JSON.stringify(owners.map((o) => signApproval(o, world.ownerSeeds[o] as Uint8Array, world.policy))));
    this.say('policy', `policy clinical-pipeline v1: ingest (hospital) → analyze (lab) → report (auditor), ${EDGES.length} edges, rekey every ${rekeySeconds} s, digest ${world.policy.digestHex.slice(0, 16)}…, approved by ${owners.join(', ')}`);

    // --- network: one namespace per component plus one for the rogue TEEs, bridged in a hub.
    this.cleanup.add('network namespaces', async () => {
      if (this.topo) {
        const failed = await destroyTopology(this.topo);
        if (failed.length) throw new Error(`could not remove ${failed.join(', ')}`);
      }
    });
    // Cleanup runs in reverse: processes stop first (agents remove keys and unpin), then what
    // they should have removed is checked, then the namespaces go.
    this.cleanup.add('bpffs pins', async () => {
      const left = await sweepPinDirs(listPinDirs(`af-demo-${this.id}-`));
      if (left.length) throw new Error(`agents left pins behind, removed: ${left.join(', ')}`);
    });
    this.cleanup.add('processes', () => this.procs.stopAll());
    this.topo = await createTopology('af-demo-', [...COMPONENTS.map((c) => c.name), ROGUE.name], this.id, {
      ...Object.fromEntries(COMPONENTS.map((c) => [c.name, c.address])),
      [ROGUE.name]: ROGUE.address,
    });
    this.say('network', `namespaces ${this.topo.nodes.map((n) => n.ns).join(', ')} on a bridge in ${this.topo.hub}`);

    // --- wire capture on the hub bridge: what an observer of the network sees.
    const pcap = join(this.dir, 'wire.pcap');
    const cap = this.procs.start('tcpdump', this.topo.hub, ['tcpdump', '-i', 'af-demo-br', '-U', '-s', '0', '-w', pcap, 'ip'], join(this.dir, 'tcpdump.log'));
    await sleep(500);
    if (cap.child.exitCode !== null) throw new DemoError('tcpdump did not start (see tcpdump.log)');

    // --- agents: one per component, each in its namespace with its TEE and data plane.
    const recordsKey = randomBytes(32);
    writeFileSync(join(this.dir, 'records-key'), recordsKey, { mode: 0o600 });
    const agents: Record<string, Proc> = {};
    for (const c of COMPONENTS) {
      agents[c.name] = this.startAgent(c.name, this.node(c.name).ns, c.name, {}, [
        '--interface', this.node(c.name).ifname, '--pin-dir', this.pinDir(c.name), '--max-attempts', '6',
        ...(c.name === 'ingest' ? ['--secret', `records-key=${join(this.dir, 'records-key')}`] : []),
      ]);
    }
    const keyed = await this.waitFor('every edge keyed on both ends', 20_000, async () => {
      const s = await Promise.all(COMPONENTS.map((c) => this.status(c.name)));
      return s.every((x) => x.edges.length > 0 && x.edges.every((e) => e.status === 'keyed')) ? s : undefined;
    });
    const epochs = EDGES.map((e) => `${e.from}->${e.to} epoch ${keyed[0]?.edges.find((x) => x.edge === `${e.from}->${e.to}`)?.epoch ?? keyed[1]?.edges.find((x) => x.edge === `${e.from}->${e.to}`)?.epoch}`);
    this.say('keyed', `agents up (sim TEE, MAKE on :${DEFAULT_MAKE_PORT}, eBPF ESP on ${this.node('ingest').ifname}); keyed: ${epochs.join(', ')}`);
    const installed = keyed.reduce((a, s) => a + s.keysInstalled, 0);
    this.row('key every edge', `${EDGES.length} edges keyed on both ends, ${EDGES.length * 4} SAs`, `${keyed.flatMap((s) => s.edges).filter((e) => e.status === 'keyed').length / 2} edges, ${installed} SAs in the kernel`, installed === EDGES.length * 4);

    // --- secret: the hospital's key reaches the lab's enclave, sealed to their MAKE session.
    await this.waitFor('records-key released to analyze', 10_000, async () => ((await this.status('analyze')).secrets.includes('records-key') ? true : undefined));
    const fp = createHash('sha256').update(recordsKey).digest('hex');
    const got = await this.waitFor('the receipt in analyze\'s log', 5_000, async () => {
      const rec = readFileSync(join(this.dir, 'analyze.log'), 'utf8').split('\n').filter((l) => l.includes('"secret received"')).map((l) => JSON.parse(l) as { sha256?: string })[0];
      return rec?.sha256;
    });
    const reportHas = (await this.status('report')).secrets.length;
    this.say('secret', `records-key (held by ingest) released to analyze over their MAKE session: fingerprint ${got === fp ? 'matches' : 'DIFFERS'} (${fp.slice(0, 12)}…); report holds ${reportHas} secrets`);
    this.row('release a secret', 'records-key to analyze only, same value', `analyze: ${got === fp ? 'same value' : 'different value'}; report: ${reportHas} secrets`, got === fp && reportHas === 0);

    // --- data: records through the pipeline over the encrypted data plane.
    const records = this.o.records ?? 400;
    const want = expectedReport(records);
    const transfer = async (tag: string): Promise<Report> => {
      const sink = await this.worker(this.node('report').ns, ['sink', `${this.node('report').addr}:7002`, String(records)], `sink-${tag}`);
      await sink.waitLine((l) => l.includes('listening'), 5_000);
      const relay = await this.worker(this.node('analyze').ns, ['relay', `${this.node('analyze').addr}:7001`, `${this.node('report').addr}:7002`], `relay-${tag}`);
      await relay.waitLine((l) => l.includes('listening'), 5_000);
      const src = await this.worker(this.node('ingest').ns, ['source', `${this.node('analyze').addr}:7001`, String(records)], `source-${tag}`);
      const srcLine = await src.waitLine((l) => l.startsWith('{"sent"') || l.startsWith('{"error"'), 20_000);
      if (srcLine.includes('error')) throw new DemoError(`ingest could not send: ${srcLine}`);
      const got = Demo.json<{ report?: Report; error?: string }>(await sink.waitLine((l) => l.startsWith('{"report"') || l.startsWith('{"error"'), 20_000));
      if (!got.report) throw new DemoError(`report received nothing: ${got.error}`);
      return got.report;
    };
    const report = await transfer('1');
    const same = report.digest === want.digest && report.records === want.records;
    this.say('data', `${records} records ingest → analyze → report: report has ${report.records} (low ${report.byRisk.low}, medium ${report.byRisk.medium}, high ${report.byRisk.high}), digest ${same ? 'matches' : 'DIFFERS from'} the expected one`);
    this.row('move real data', `${records} records arrive intact`, `${report.records} records, digest ${same ? 'equal' : 'different'}`, same);

    // --- rekey: a new epoch with fresh evidence, and data still flows under the new keys.
    const before = Math.max(...keyed.flatMap((s) => s.edges.map((e) => e.epoch ?? 0)));
    const rekeyed = await this.waitFor('a rekey of every edge', (rekeySeconds * 2 + 10) * 1000, async () => {
      const s = await Promise.all(COMPONENTS.map((c) => this.status(c.name)));
      return s.every((x) => x.edges.every((e) => e.status === 'keyed' && (e.epoch ?? 0) > before)) ? s : undefined;
    });
    const report2 = await transfer('2');
    const same2 = report2.digest === want.digest;
    const ep2 = Math.min(...rekeyed.flatMap((s) => s.edges.map((e) => e.epoch ?? 0)));
    this.say('rekey', `rekeyed with fresh evidence: every edge at epoch ≥ ${ep2}; a second transfer under the new keys: ${same2 ? 'intact' : 'DIFFERENT'}`);
    this.row('rekey each epoch', 'new epoch on every edge, data intact', `epoch ${ep2}, digest ${same2 ? 'equal' : 'different'}`, same2 && ep2 > before);

    // --- what the network saw.
    await sleep(300);
    const wire: WireSummary = summarizePcap(pcap, EDGES.map((e) => e.port), PLAINTEXT_MARKER);
    this.say('wire', `on the wire: ${wire.esp} ESP packets, ${wire.plaintextOnPorts} plaintext packets on workflow ports, marker ${wire.markerSeen ? 'SEEN' : 'never seen'} (${wire.frames} frames)`);
    this.row('encrypted on the wire', 'only ESP on policy edges, no plaintext marker', `${wire.esp} ESP, ${wire.plaintextOnPorts} plaintext, marker ${wire.markerSeen ? 'seen' : 'absent'}`, wire.esp > 0 && wire.plaintextOnPorts === 0 && !wire.markerSeen);

    // --- refusals: a rogue TEE claims to be analyze, first with a tampered image, then as a
    // genuine analyze image launched in the role of ingest.
    const rogue = async (label: string, launch: { image?: string; role?: string }, code: string): Promise<{ ok: boolean; seen: number }> => {
      const s0 = await this.status('report');
      const p = this.startAgent(label, this.node(ROGUE.name).ns, 'analyze', launch, ['--listen', `${ROGUE.address}:${DEFAULT_MAKE_PORT}`, '--max-attempts', '2']);
      const s1 = await this.waitFor(`report refusing ${label}`, 15_000, async () => {
        const s = await this.status('report');
        return (s.failures[code] ?? 0) > (s0.failures[code] ?? 0) ? s : undefined;
      });
      await this.procs.stop(p);
      const edge0 = s0.edges.find((e) => e.edge === 'analyze->report');
      const edge1 = s1.edges.find((e) => e.edge === 'analyze->report');
      // Nothing installed for the rogue: the edge still carries the genuine analyze's keys.
      const untouched = edge1?.peerMeasurement === edge0?.peerMeasurement && s1.keysInstalled >= s0.keysInstalled - 2 && s1.handshakes.ok === s0.handshakes.ok + (edge1?.epoch !== edge0?.epoch ? 1 : 0);
      return { ok: untouched, seen: (s1.failures[code] ?? 0) - (s0.failures[code] ?? 0) };
    };
    const imp = await rogue('impostor', { image: 'analyze-tampered' }, 'make.measurement');
    this.say('impostor', `impostor (analyze with a tampered image) → refused by report: make.measurement ×${imp.seen}; no key installed for it`);
    this.row('impostor, wrong measurement', 'refused (make.measurement), no key', `refused ×${imp.seen}, keys ${imp.ok ? 'untouched' : 'CHANGED'}`, imp.ok && imp.seen > 0);
    const div = await rogue('diverted', { image: 'analyze', role: 'ingest' }, 'make.role');
    this.say('diverted', `genuine analyze image launched in the role of ingest → refused by report: make.role ×${div.seen}; no key installed for it`);
    this.row('genuine image, other role', 'refused (make.role), no key', `refused ×${div.seen}, keys ${div.ok ? 'untouched' : 'CHANGED'}`, div.ok && div.seen > 0);

    // --- a flow the policy does not allow: report → ingest.
    const c0 = await this.status('report');
    const probe = await this.worker(this.node('report').ns, ['probe', `${this.node('ingest').addr}:7001`, '2000'], 'probe');
    const pr = Demo.json<{ connected: boolean; error?: string }>(await probe.waitLine((l) => l.startsWith('{'), 10_000));
    const c1 = await this.status('report');
    const denied = (c1.packets['out.deny'] ?? 0) - (c0.packets['out.deny'] ?? 0);
    this.say('outside', `report → ingest:7001 (no such edge) → ${pr.connected ? 'CONNECTED' : 'no connection'}; the data plane dropped ${denied} packets (deny)`);
    this.row('flow outside the policy', 'dropped by the data plane', `${pr.connected ? 'connected' : 'no connection'}, ${denied} packets denied`, !pr.connected && denied > 0);

    // --- clean shutdown: agents remove their keys on SIGTERM.
    const stopped: string[] = [];
    for (const c of COMPONENTS) {
      const st = await this.status(c.name);
      const code = await this.procs.stop(agents[c.name] as Proc);
      stopped.push(`${c.name} ${code === 143 ? 'ok' : `exit ${code}`} (${st.keysInstalled} SAs removed)`);
    }
    const pinsLeft = listPinDirs(`af-demo-${this.id}-`);
    const cleanStop = stopped.every((s) => s.includes(' ok ')) && pinsLeft.length === 0;
    this.say('shutdown', `SIGTERM: ${stopped.join(', ')}; pins left: ${pinsLeft.length}`);
    this.row('clean shutdown', 'keys removed, programs unpinned', `${stopped.length} agents stopped, ${pinsLeft.length} pins left`, cleanStop);
  }

  /** Removes everything; returns what could not be removed (should be nothing). */
  async teardown(): Promise<string[]> {
    const failed = await this.cleanup.run();
    const ns = listNetns().filter((n) => n.startsWith(`af-demo-${this.id}-`));
    const pins = listPinDirs(`af-demo-${this.id}-`);
    const left = [...failed, ...ns.map((n) => `namespace ${n}`), ...pins.map((p) => `pin ${p}`), ...(this.procs.running ? [`${this.procs.running} processes`] : [])];
    return left;
  }
}

export function formatTable(rows: readonly DemoRow[]): string {
  const head = ['step', 'expected', 'observed', ''];
  const cells = rows.map((r) => [r.step, r.expected, r.observed, r.ok ? 'ok' : 'FAIL']);
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const line = (c: string[]): string => c.map((x, i) => x.padEnd(w[i] as number)).join('  ').trimEnd();
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...cells.map(line)].join('\n');
}
