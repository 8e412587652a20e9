/**
 * The data-plane adapter: loads the eBPF programs, attaches them to the workflow interface, creates
 * kernel crypto contexts and installs and removes per-edge SAs. It keeps no state of its own: the
 * kernel maps are the truth (read back on every change), so a restarted agent picks up where the
 * last one stopped, and a dead one leaves the kernel enforcing.
 *
 * Rekey: install the new epoch's inbound SAs on both ends first, then the outbound ones (the
 * outbound selector always points at the highest installed epoch), then remove the old epoch.
 * Old and new inbound SAs overlap, so packets in flight under the old keys still arrive.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  DIR_IN,
  DIR_OUT,
  PORT_DST,
  PORT_SRC,
  PROTO,
  SA_INNER_OFFSET,
  SEL_MANY,
  SEL_SIZE,
  SLOTS,
  V_MAX,
  VERDICTS,
  type Selector,
  type Verdict,
  ctxSaArgs,
  decodeCtxSlot,
  decodeSa,
  encodeSelFast,
  decodeSelVal,
  encodeCfg,
  CFG_BENCH_PARTIAL,
  encodeSa,
  encodeSaKey,
  encodeSelVal,
  encodeSelector,
  ipv4,
  selFastIndex,
  spiFastIndex,
  u32le,
} from './abi.js';
import { DataplaneError } from './errors.js';
import { type HelperOptions, defaultObject, runHelper, runOne } from './helper.js';
import type { EdgeFlow, SaInstall } from './types.js';

export interface DataplaneOptions extends HelperOptions {
  /** bpffs directory for this data plane's pins, e.g. `/sys/fs/bpf/af-dp-node1`. */
  readonly pinDir: string;
  /** The MAKE control port: the only plaintext exception (0 or absent: none). */
  readonly ctrlPort?: number;
  /** The compiled eBPF object (default: bpf/build/attestflow_dp.bpf.o). */
  readonly object?: string;
}

/** One installed SA, as read back from the kernel. */
export interface InstalledSa {
  readonly spi: number;
  readonly direction: 'out' | 'in';
  readonly edgeId: number;
  readonly epoch: number;
  readonly slot: number;
  /**
   * In: the highest sequence number accepted. Out: the last one sealed while the SA is in use;
   * 0 once a newer outbound SA took over (a superseded outbound SA is never used again).
   */
  readonly seq: bigint;
  /** Out: whether traffic is sealed with this SA now. In: always true. */
  readonly inUse: boolean;
  readonly selector: string;
}

/** Digest of the loaded data plane, for the node's runtime claims. */
export interface DataplaneMeasurement {
  /** sha256 over the canonical description below, hex. */
  readonly digest: string;
  readonly programs: readonly {
    readonly name: string;
    readonly type: number;
    readonly tag: string;
    readonly insns: number;
    readonly xlatedSha256: string;
    readonly maps: readonly MapLayout[];
  }[];
}

export interface MapLayout {
  readonly name: string;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
}

export interface TestRunResult {
  readonly retval: number;
  readonly durationNs: number;
  readonly data: Buffer;
}

export type Counters = Record<'in' | 'out', Record<Verdict, bigint>>;

const BENCH_SLOT = SLOTS - 1;
const PROGRAMS = ['dp_egress', 'dp_ingress', 'dp_ctx_set', 'dp_ccm_kat', 'dp_bench_aes'] as const;
export type ProgramName = (typeof PROGRAMS)[number];

/** A stable 32-bit id for an edge name (the kernel stores ids, not names). */
export function edgeId(edge: string): number {
  return createHash('sha256').update(edge).digest().readUInt32LE(0) || 1;
}

/** The selector one direction of an edge covers on the node at `side`. */
export function selectorFor(flow: EdgeFlow, direction: 'out' | 'in', side: 'initiator' | 'responder'): Selector {
  const proto = PROTO[flow.protocol];
  // Initiator→responder packets go to dstPort; the reverse ones come from it.
  const towardsResponder = (direction === 'out') === (side === 'initiator');
  return towardsResponder
    ? { saddr: flow.srcAddr, daddr: flow.dstAddr, proto, portKind: PORT_DST, port: flow.dstPort }
    : { saddr: flow.dstAddr, daddr: flow.srcAddr, proto, portKind: PORT_SRC, port: flow.dstPort };
}

function validate(sa: SaInstall): asserts sa is SaInstall & { side: 'initiator' | 'responder' } {
  const bad = (m: string): never => {
    throw new DataplaneError('dataplane.bad-sa', `${m} (edge ${JSON.stringify(sa.flow?.edge)})`);
  };
  if (sa.side !== 'initiator' && sa.side !== 'responder') bad('SA has no side (initiator or responder)');
  if (sa.direction !== 'out' && sa.direction !== 'in') bad(`direction must be out or in, got ${String(sa.direction)}`);
  if (!Number.isInteger(sa.spi) || sa.spi < 256 || sa.spi > 0xffffffff) bad(`SPI must be an integer in 256..2^32-1, got ${sa.spi}`);
  if (!Number.isInteger(sa.epoch) || sa.epoch < 0 || sa.epoch > 0xffffffff) bad(`epoch must be a 32-bit unsigned integer, got ${sa.epoch}`);
  if (!(sa.key instanceof Uint8Array) || ![16, 24, 32].includes(sa.key.length)) bad('key must be 16, 24 or 32 bytes');
  if (!(sa.salt instanceof Uint8Array) || sa.salt.length !== 3) bad('salt must be 3 bytes (RFC 4309)');
  if (!(sa.flow.protocol in PROTO)) bad(`protocol must be tcp or udp, got ${String(sa.flow.protocol)}`);
  if (!Number.isInteger(sa.flow.dstPort) || sa.flow.dstPort < 1 || sa.flow.dstPort > 65535) bad(`bad port ${sa.flow.dstPort}`);
  ipv4(sa.flow.srcAddr);
  ipv4(sa.flow.dstAddr);
  if (typeof sa.flow.edge !== 'string' || sa.flow.edge.length === 0) bad('edge name is empty');
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/**
 * What selector index entry `idx` of direction `dir` must hold for the SAs booked (dp_abi.h):
 * 0 when no selector hashes there; when exactly one does, the slot + 1 of an SA on it (out: the
 * one in use; in: the newest); else SEL_MANY (the selector table decides).
 */
function indexValue(sas: readonly InstalledSa[], idx: number, dir: number): bigint {
  const d = dir === DIR_OUT ? 'out' : 'in';
  const on = sas
    .filter((x) => x.direction === d && x.inUse && selFastIndex(Buffer.from(x.selector, 'hex'), dir) === idx)
    .sort((a, b) => b.epoch - a.epoch);
  const selectors = new Set(on.map((x) => x.selector));
  return selectors.size === 0 ? 0n : selectors.size === 1 ? (BigInt(on[0]!.spi) << 32n) | BigInt(on[0]!.slot + 1) : SEL_MANY;
}

export class Dataplane {
  readonly pinDir: string;
  private readonly h: HelperOptions;

  private constructor(opts: DataplaneOptions) {
    this.pinDir = opts.pinDir;
    this.h = { helper: opts.helper, netns: opts.netns };
  }

  private static check(opts: DataplaneOptions): void {
    if (!/^\/sys\/fs\/bpf\/[A-Za-z0-9._-]+$/.test(opts.pinDir)) {
      throw new DataplaneError('dataplane.bad-config', `pin directory must be /sys/fs/bpf/<name>, got ${opts.pinDir}`);
    }
    const p = opts.ctrlPort ?? 0;
    if (!Number.isInteger(p) || p < 0 || p > 65535) throw new DataplaneError('dataplane.bad-config', `bad control port ${p}`);
  }

  /** Loads and pins the programs and maps (all or nothing) and sets the control port. */
  static async load(opts: DataplaneOptions): Promise<Dataplane> {
    Dataplane.check(opts);
    const dp = new Dataplane(opts);
    await runOne(`load ${opts.object ?? defaultObject} ${opts.pinDir}`, 'dataplane.load', 'loading the eBPF programs', dp.h);
    try {
      await dp.configure(opts.ctrlPort ?? 0);
    } catch (e) {
      await dp.unload();
      throw e;
    }
    return dp;
  }

  /** Opens a data plane loaded earlier (for example by an agent that has since died). */
  static async open(opts: DataplaneOptions): Promise<Dataplane> {
    Dataplane.check(opts);
    const dp = new Dataplane(opts);
    await dp.installed();
    return dp;
  }

  private async configure(ctrlPort: number, flags = 0): Promise<void> {
    await runOne(`update ${this.pinDir} dp_cfg ${hex(u32le(0))} ${hex(encodeCfg(ctrlPort, BENCH_SLOT, flags))}`, 'dataplane.kernel', 'setting the control port', this.h);
  }

  /**
   * Benchmarks only: with `on`, the egress program treats every packet as CHECKSUM_PARTIAL (its
   * TCP/UDP checksum left to the device), the state of local traffic on veth, which
   * BPF_PROG_TEST_RUN cannot give a packet: it completes the checksum and grows the packet at the
   * tail. Packets are sealed correctly either way.
   */
  async setBenchChecksumPartial(on: boolean): Promise<void> {
    const [r] = await runHelper([`lookup ${this.pinDir} dp_cfg ${hex(u32le(0))}`], this.h);
    if (!r?.ok) throw new DataplaneError('dataplane.kernel', `reading the configuration: ${r?.error}`, { errno: r?.errno });
    const ctrlPort = Buffer.from(r.value as string, 'hex').readUInt16LE(0);
    await this.configure(ctrlPort, on ? CFG_BENCH_PARTIAL : 0);
  }

  /** Attaches ingress and egress programs to `ifname` (in this data plane's netns). */
  async attach(ifname: string): Promise<void> {
    if (!/^[A-Za-z0-9._-]{1,15}$/.test(ifname)) throw new DataplaneError('dataplane.bad-config', `bad interface name ${ifname}`);
    await runOne(`attach ${this.pinDir} ${ifname}`, 'dataplane.attach', `attaching to ${ifname}`, this.h);
  }

  /**
   * Prepares the workflow interface for sealing: one TCP segment per packet (`gso_max_segs 1`;
   * the programs seal packets, never GSO super-packets, and drop those). The route MTU towards
   * peers must also leave room for the ESP overhead (up to 37 bytes), e.g. `mtu 1400` on the route.
   */
  async prepareInterface(ifname: string): Promise<void> {
    if (!/^[A-Za-z0-9._-]{1,15}$/.test(ifname)) throw new DataplaneError('dataplane.bad-config', `bad interface name ${ifname}`);
    const ns = this.h.netns;
    const [cmd, args] = ns ? ['nsenter', [`--net=${ns.includes('/') ? ns : `/run/netns/${ns}`}`, 'ip']] : ['ip', []];
    const r = spawnSync(cmd, [...args, 'link', 'set', 'dev', ifname, 'gso_max_segs', '1'], { encoding: 'utf8' });
    if (r.status !== 0) throw new DataplaneError('dataplane.attach', `preparing ${ifname}: ${(r.stderr || r.error?.message || '').trim()}`);
  }

  /** Detaches from `ifname` (removes its clsact qdisc). */
  async detach(ifname: string): Promise<void> {
    if (!/^[A-Za-z0-9._-]{1,15}$/.test(ifname)) throw new DataplaneError('dataplane.bad-config', `bad interface name ${ifname}`);
    await runOne(`detach ${ifname}`, 'dataplane.attach', `detaching from ${ifname}`, this.h);
  }

  /** Unpins everything after clearing every key. Programs still attached keep running until detached. */
  async unload(): Promise<void> {
    const lines = [];
    for (let s = 0; s < SLOTS; s++) lines.push(`ctx ${this.pinDir} ${s} -`);
    await runHelper(lines, this.h).catch(() => undefined);
    await runOne(`unload ${this.pinDir}`, 'dataplane.kernel', 'unpinning', this.h);
  }

  /** Every SA in the kernel. */
  async installed(): Promise<InstalledSa[]> {
    const [sas, sels, slots] = await runHelper([`dump ${this.pinDir} dp_sa`, `dump ${this.pinDir} dp_sel`, `dump ${this.pinDir} dp_ctx`], this.h);
    for (const r of [sas, sels, slots]) if (!r?.ok) throw new DataplaneError('dataplane.kernel', `reading the SA table: ${r?.error}`, { errno: r?.errno });
    const current = new Map<string, ReturnType<typeof decodeSelVal>>();
    for (const [k, v] of sels!.entries as [string, string][]) current.set(k, decodeSelVal(Buffer.from(v, 'hex')));
    const slotOf = new Map<number, ReturnType<typeof decodeCtxSlot>>();
    for (const [k, v] of slots!.entries as [string, string][]) slotOf.set(Buffer.from(k, 'hex').readUInt32LE(0), decodeCtxSlot(Buffer.from(v, 'hex')));
    return (sas!.entries as [string, string][]).map(([k, v]) => {
      const key = Buffer.from(k, 'hex');
      const val = Buffer.from(v, 'hex');
      const d = decodeSa(val);
      const spi = key.readUInt32LE(0);
      const direction = key.readUInt32LE(4) === DIR_OUT ? 'out' : 'in';
      const selector = val.subarray(SA_INNER_OFFSET, SA_INNER_OFFSET + SEL_SIZE).toString('hex');
      const sel = current.get(selector);
      const inUse = direction === 'in' || (sel?.dir === DIR_OUT && sel.outSpi === spi);
      const slot = slotOf.get(d.slot);
      return {
        spi,
        direction,
        edgeId: d.edgeId,
        epoch: d.epoch,
        slot: d.slot,
        seq: slot?.spi !== spi ? 0n : direction === 'in' ? slot.top : slot.seq,
        inUse,
        selector,
      } satisfies InstalledSa;
    });
  }

  /** A map entry as the kernel holds it, or undefined when there is none. */
  private async entry(map: 'dp_sel' | 'dp_sel_fast' | 'dp_spi_fast', keyHex: string): Promise<Buffer | undefined> {
    const [r] = await runHelper([`lookup ${this.pinDir} ${map} ${keyHex}`], this.h);
    if (r?.ok) return Buffer.from(r.value as string, 'hex');
    if (r?.errno === 2) return undefined;
    throw new DataplaneError('dataplane.kernel', `reading ${map}: ${r?.error}`, { errno: r?.errno });
  }

  /**
   * Installs one SA: its key (with the SA's SPI, salt, selector and a fresh counter in the slot),
   * the SA, then the selector and the selector index that make traffic use it. A step that fails
   * undoes the steps before it, so a failed install leaves the kernel as it was.
   */
  async install(sa: SaInstall): Promise<void> {
    validate(sa);
    const dir = sa.direction === 'out' ? DIR_OUT : DIR_IN;
    const id = edgeId(sa.flow.edge);
    const sel = selectorFor(sa.flow, sa.direction, sa.side);
    const selBuf = encodeSelector(sel);
    const selHex = hex(selBuf);
    const all = await this.installed();
    if (all.some((x) => x.spi === sa.spi && x.direction === sa.direction)) {
      throw new DataplaneError('dataplane.exists', `an ${sa.direction} SA with SPI ${sa.spi} is installed`);
    }
    if (all.some((x) => x.edgeId === id && x.direction === sa.direction && x.epoch === sa.epoch)) {
      throw new DataplaneError('dataplane.exists', `edge ${sa.flow.edge} already has an ${sa.direction} SA at epoch ${sa.epoch}`);
    }
    const used = new Set(all.map((x) => x.slot));
    let slot = -1;
    for (let s = 0; s < BENCH_SLOT; s++) if (!used.has(s)) { slot = s; break; }
    if (slot < 0) throw new DataplaneError('dataplane.no-slot', 'every crypto context slot is in use');

    const curVal = await this.entry('dp_sel', selHex);
    const cur = curVal && decodeSelVal(curVal);
    if (cur && cur.dir !== dir) {
      throw new DataplaneError('dataplane.exists', `the ${sa.direction} selector of edge ${sa.flow.edge} is already used ${cur.dir === DIR_OUT ? 'out' : 'in'}bound by another edge`);
    }
    // The outbound selector follows the highest epoch installed for this flow.
    const newer = dir === DIR_OUT && all.some((x) => x.direction === 'out' && x.selector === selHex && x.epoch > sa.epoch);

    await runOne(`ctx ${this.pinDir} ${slot} ${hex(sa.key)} ${ctxSaArgs(sa.spi, dir, sa.salt, selBuf)}`, 'dataplane.kernel', 'creating the crypto contexts', this.h);
    const undo: string[] = [`ctx ${this.pinDir} ${slot} -`];
    try {
      const value = encodeSa({ edgeId: id, slot, epoch: sa.epoch, inner: sel });
      await runOne(`insert ${this.pinDir} dp_sa ${hex(encodeSaKey(sa.spi, dir))} ${hex(value)}`, 'dataplane.kernel', 'installing the SA', this.h);
      undo.unshift(`delete ${this.pinDir} dp_sa ${hex(encodeSaKey(sa.spi, dir))}`);
      if (dir === DIR_IN) {
        if (!cur) {
          await runOne(`insert ${this.pinDir} dp_sel ${selHex} ${hex(encodeSelVal(id, dir))}`, 'dataplane.kernel', 'installing the selector', this.h);
          undo.unshift(`delete ${this.pinDir} dp_sel ${selHex}`);
        }
        // The SPI index, when its entry is free or names a slot no inbound SA holds any more.
        const idx = hex(u32le(spiFastIndex(sa.spi)));
        const held = (await this.entry('dp_spi_fast', idx))?.readUInt32LE(0) ?? 0;
        if (!held || !all.some((x) => x.slot === held - 1 && x.direction === 'in')) {
          await runOne(`update ${this.pinDir} dp_spi_fast ${idx} ${hex(u32le(slot + 1))}`, 'dataplane.kernel', 'indexing the SA', this.h);
        }
      } else if (dir === DIR_OUT && !newer) {
        await runOne(`update ${this.pinDir} dp_sel ${selHex} ${hex(encodeSelVal(id, dir, sa.spi, slot))}`, 'dataplane.kernel', 'installing the selector', this.h);
        undo.unshift(curVal ? `update ${this.pinDir} dp_sel ${selHex} ${hex(curVal)}` : `delete ${this.pinDir} dp_sel ${selHex}`);
      }
      // The selector index entry, recomputed from what is now booked (see dp_sel_fast).
      const idx = hex(u32le(selFastIndex(selBuf, dir)));
      const before = (await this.entry('dp_sel_fast', idx)) ?? encodeSelFast(0n);
      const entry = indexValue(await this.installed(), selFastIndex(selBuf, dir), dir);
      await runOne(`update ${this.pinDir} dp_sel_fast ${idx} ${hex(encodeSelFast(entry))}`, 'dataplane.kernel', 'indexing the selector', this.h);
      undo.unshift(`update ${this.pinDir} dp_sel_fast ${idx} ${hex(before)}`);
    } catch (e) {
      await runHelper(undo, this.h).catch(() => undefined);
      throw e;
    }
  }

  /**
   * Removes the SA of `edge`/`direction`/`epoch` and its key. An outbound selector whose SA in use
   * goes falls back to the newest other epoch installed for it (which resumes its own counter,
   * kept with its key), or goes.
   */
  async remove(edge: string, direction: 'out' | 'in', epoch: number): Promise<void> {
    const id = edgeId(edge);
    const all = await this.installed();
    const sa = all.find((x) => x.edgeId === id && x.direction === direction && x.epoch === epoch);
    if (!sa) throw new DataplaneError('dataplane.not-found', `no ${direction} SA for edge ${edge} at epoch ${epoch}`);
    const rest = all.filter((x) => x !== sa && x.direction === direction && x.selector === sa.selector).sort((a, b) => b.epoch - a.epoch);
    const dir = direction === 'out' ? DIR_OUT : DIR_IN;
    const next = dir === DIR_OUT && sa.inUse ? rest[0] : undefined;
    // Unlink first (index, then selector: traffic stops using it), then the SA, then the key.
    const lines: string[] = [];
    // The selector index entry as it will be once this SA is gone (written first: see dp_sel_fast).
    const after = all.filter((x) => x !== sa).map((x) => (x === next ? { ...x, inUse: true } : x));
    const fidx = selFastIndex(Buffer.from(sa.selector, 'hex'), dir);
    lines.push(`update ${this.pinDir} dp_sel_fast ${hex(u32le(fidx))} ${hex(encodeSelFast(indexValue(after, fidx, dir)))}`);
    if (dir === DIR_IN) {
      const idx = hex(u32le(spiFastIndex(sa.spi)));
      const held = (await this.entry('dp_spi_fast', idx))?.readUInt32LE(0) ?? 0;
      if (held === sa.slot + 1) lines.push(`update ${this.pinDir} dp_spi_fast ${idx} ${hex(u32le(0))}`);
    }
    if (rest.length === 0) lines.push(`delete ${this.pinDir} dp_sel ${sa.selector}`);
    else if (next) lines.push(`update ${this.pinDir} dp_sel ${sa.selector} ${hex(encodeSelVal(id, dir, next.spi, next.slot))}`);
    lines.push(`delete ${this.pinDir} dp_sa ${hex(encodeSaKey(sa.spi, dir))}`, `ctx ${this.pinDir} ${sa.slot} -`);
    const replies = await runHelper(lines, this.h);
    const failed = replies.find((r) => !r.ok && !(r.op === 'delete' && r.errno === 2));
    if (failed) throw new DataplaneError('dataplane.kernel', `removing the SA: ${failed.error}`, { errno: failed.errno });
  }

  /** Removes every SA of an edge (revocation). */
  async removeEdge(edge: string): Promise<number> {
    const id = edgeId(edge);
    const mine = (await this.installed()).filter((x) => x.edgeId === id);
    for (const x of mine) await this.remove(edge, x.direction, x.epoch);
    return mine.length;
  }

  /** Verdict counters per direction, summed over CPUs. */
  async counters(): Promise<Counters> {
    const lines: string[] = [];
    for (let i = 0; i < 2 * V_MAX; i++) lines.push(`lookup ${this.pinDir} dp_counters ${hex(u32le(i))}`);
    const replies = await runHelper(lines, this.h);
    const out = { out: {}, in: {} } as Counters;
    replies.forEach((r, i) => {
      if (!r.ok) throw new DataplaneError('dataplane.kernel', `reading counters: ${r.error}`);
      const dirName = i < V_MAX ? 'out' : 'in';
      const v = VERDICTS[i % V_MAX];
      if (v === undefined) return;
      const b = Buffer.from(r.value as string, 'hex');
      let sum = 0n;
      for (let o = 0; o + 8 <= b.length; o += 8) sum += b.readBigUInt64LE(o);
      out[dirName][v] = sum;
    });
    return out;
  }

  /** The digest of the loaded programs (translated instructions) and the layout of their maps. */
  async measure(): Promise<DataplaneMeasurement> {
    const r = await runOne(`info ${this.pinDir}`, 'dataplane.kernel', 'reading the loaded programs', this.h);
    const progs = (r.programs as { name: string; type: number; tag: string; xlated: string; maps: MapLayout[] }[]).map((p) => ({
      name: p.name,
      type: p.type,
      tag: p.tag,
      insns: p.xlated.length / 16,
      xlatedSha256: createHash('sha256').update(Buffer.from(p.xlated, 'hex')).digest('hex'),
      maps: p.maps,
    }));
    if (progs.length !== PROGRAMS.length) {
      throw new DataplaneError('dataplane.kernel', `expected ${PROGRAMS.length} loaded programs, found ${progs.length}`);
    }
    const canonical = JSON.stringify(progs.map((p) => [p.name, p.type, p.xlatedSha256, p.maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries, m.flags])]));
    return { digest: createHash('sha256').update(canonical).digest('hex'), programs: progs };
  }

  /** Sets the key of the benchmark/test slot (used by the raw-AES baseline and the CCM known answers). */
  async setBenchKey(key: Uint8Array): Promise<number> {
    await runOne(`ctx ${this.pinDir} ${BENCH_SLOT} ${hex(key)}`, 'dataplane.kernel', 'creating the benchmark crypto contexts', this.h);
    return BENCH_SLOT;
  }

  /**
   * Runs programs of several data planes (same namespace) in one helper process, in the given
   * order: lets a benchmark interleave a baseline with the path it is compared against.
   */
  static async testRunMany(items: readonly { dp: Dataplane; prog: ProgramName; packet: Uint8Array; repeat?: number }[]): Promise<TestRunResult[]> {
    // Batch mode: this process neither streams input nor parses answers while the runs are timed.
    const h = { ...(items[0]?.dp.h ?? {}), batch: true };
    const replies = await runHelper(items.map((i) => `run ${i.dp.pinDir} ${i.prog} ${i.repeat ?? 1} ${hex(i.packet)}`), h);
    return replies.map((r, n) => {
      if (!r.ok) throw new DataplaneError('dataplane.kernel', `test run of ${items[n]!.prog}: ${r.error}`, { errno: r.errno });
      return { retval: r.retval as number, durationNs: r.duration as number, data: Buffer.from(r.data as string, 'hex') };
    });
  }

  /** Runs a program on packets with BPF_PROG_TEST_RUN (one run each, or `repeat` runs of one packet). */
  async testRun(prog: ProgramName, packets: readonly Uint8Array[], repeat = 1): Promise<TestRunResult[]> {
    const replies = await runHelper(packets.map((p) => `run ${this.pinDir} ${prog} ${repeat} ${hex(p)}`), this.h);
    return replies.map((r) => {
      if (!r.ok) throw new DataplaneError('dataplane.kernel', `test run of ${prog}: ${r.error}`, { errno: r.errno });
      return { retval: r.retval as number, durationNs: r.duration as number, data: Buffer.from(r.data as string, 'hex') };
    });
  }
}
