/**
 * Network namespaces for the data-plane integration test: two namespaces joined by a veth pair,
 * processes started inside them with nsenter (never `ip netns exec`, which remounts /sys and hides
 * pinned objects), packet capture, and a pcap reader. Every name carries the `af-dp-` tag.
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

export interface NetnsPair {
  readonly nsA: string;
  readonly nsB: string;
  readonly ifA: string;
  readonly ifB: string;
  readonly addrA: string;
  readonly addrB: string;
  cleanup(): void;
}

/** Two namespaces, a veth pair, /24 addresses; the route MTU leaves room for the ESP overhead. */
export function createPair(tag: string, subnet: string): NetnsPair {
  const nsA = `af-dp-${tag}-a`;
  const nsB = `af-dp-${tag}-b`;
  const ifA = `af-dp-${tag}a`.slice(0, 15);
  const ifB = `af-dp-${tag}b`.slice(0, 15);
  const addrA = `${subnet}.1`;
  const addrB = `${subnet}.2`;
  const cleanup = (): void => {
    for (const ns of [nsA, nsB]) spawnSync('ip', ['netns', 'del', ns]);
  };
  cleanup();
  try {
    sh('ip', ['netns', 'add', nsA]);
    sh('ip', ['netns', 'add', nsB]);
    sh('ip', ['link', 'add', ifA, 'netns', nsA, 'type', 'veth', 'peer', 'name', ifB, 'netns', nsB]);
    for (const [ns, dev, addr] of [[nsA, ifA, addrA], [nsB, ifB, addrB]] as const) {
      sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      sh('ip', ['-n', ns, 'link', 'set', dev, 'up']);
      sh('ip', ['-n', ns, 'addr', 'add', `${addr}/24`, 'dev', dev]);
      // The route MTU leaves room for the ESP overhead (the adapter's prepareInterface does GSO).
      sh('ip', ['-n', ns, 'route', 'replace', `${subnet}.0/24`, 'dev', dev, 'mtu', '1400', 'src', addr]);
    }
  } catch (e) {
    cleanup();
    throw e;
  }
  return { nsA, nsB, ifA, ifB, addrA, addrB, cleanup };
}

export const peerScript = fileURLToPath(new URL('./peer.mjs', import.meta.url));

/** A process inside a namespace; `ready` resolves once it printed "ready" on stderr. */
export interface NsProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly ready: Promise<void>;
  readonly exited: Promise<number | null>;
  stdout(): Buffer;
  stderr(): string;
  kill(): void;
}

const live = new Set<NsProcess>();

/** Kills every process started with spawnIn that is still running (teardown after a failure). */
export function killAll(): void {
  for (const p of live) p.kill();
  live.clear();
}

export function spawnIn(ns: string, cmd: string, args: string[], readyMarker = 'ready'): NsProcess {
  const child = spawn('nsenter', [`--net=/run/netns/${ns}`, cmd, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let err = '';
  let onReady: () => void = () => {};
  let onFail: (e: Error) => void = () => {};
  const ready = new Promise<void>((res, rej) => {
    onReady = res;
    onFail = rej;
  });
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
    if (err.includes(readyMarker)) onReady();
  });
  const exited = new Promise<number | null>((res) =>
    child.on('close', (code) => {
      onFail(new Error(`${cmd} exited ${code} before ready: ${err}`));
      res(code);
    }),
  );
  const proc: NsProcess = {
    child,
    ready,
    exited,
    stdout: () => Buffer.concat(out),
    stderr: () => err,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) child.kill('SIGKILL');
    },
  };
  live.add(proc);
  child.on('close', () => live.delete(proc));
  return proc;
}

export function peer(ns: string, ...args: string[]): NsProcess {
  return spawnIn(ns, process.execPath, [peerScript, ...args]);
}

/** Starts tcpdump on an interface; stop() ends it and returns the captured frames. */
export function capture(ns: string, ifname: string, file: string): { ready: Promise<void>; stop(): Promise<Buffer[]> } {
  const p = spawnIn(ns, 'tcpdump', ['-i', ifname, '-U', '-n', '-s', '0', '-w', file], 'listening on');
  return {
    ready: p.ready,
    async stop() {
      p.child.kill('SIGINT');
      await p.exited;
      return readPcap(file);
    },
  };
}

/** Reads the frames of a classic little- or big-endian pcap file (Ethernet link type). */
export function readPcap(file: string): Buffer[] {
  const b = readFileSync(file);
  const magic = b.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && b.readUInt32BE(0) !== 0xa1b2c3d4 && b.readUInt32BE(0) !== 0xa1b23c4d) throw new Error('not a pcap file');
  const u32 = (o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  if (u32(20) !== 1) throw new Error(`pcap link type ${u32(20)} is not Ethernet`);
  const frames: Buffer[] = [];
  for (let o = 24; o + 16 <= b.length; ) {
    const incl = u32(o + 8);
    frames.push(b.subarray(o + 16, o + 16 + incl));
    o += 16 + incl;
  }
  return frames;
}

/** Length-prefixed frames over a byte stream (a TCP connection bridged through a peer process). */
export class FramedPipe {
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];

  constructor(private readonly p: NsProcess) {
    p.child.stdout.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  send(m: Uint8Array): void {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(m.length, 0);
    this.p.child.stdin.write(Buffer.concat([len, m]));
  }

  async recv(timeoutMs = 10_000): Promise<Uint8Array> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.buf.length >= 4 && this.buf.length >= 4 + this.buf.readUInt32BE(0)) {
        const n = this.buf.readUInt32BE(0);
        const m = this.buf.subarray(4, 4 + n);
        this.buf = this.buf.subarray(4 + n);
        return m;
      }
      if (Date.now() > deadline) throw new Error('timed out waiting for a MAKE message');
      await new Promise<void>((res) => {
        const t = setTimeout(res, 200);
        this.waiters.push(() => {
          clearTimeout(t);
          res();
        });
      });
    }
  }
}
