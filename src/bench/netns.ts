/**
 * The bench topology: a hub namespace with one bridge per network and one namespace per workflow
 * node, wired to every bridge by a veth pair. Three networks, so the transports can be interleaved
 * run by run without touching each other:
 * - `p`: default veth settings (GSO, 1500 MTU): plaintext TCP and user-space TLS, as users run them;
 * - `s`: the data plane's link settings ({@link SEG_LINK}) without the data plane: plaintext that
 *   separates the cost of per-packet segmentation from the cost of ESP;
 * - `e`: the same settings with the eBPF data plane attached to the node's interface.
 * Every name starts with `af-bench-`; `destroyTopology` removes everything, and `sweep` removes
 * leftovers of a run that was killed before its `finally`.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

export const PREFIX = 'af-bench-';
const HUB = `${PREFIX}hub`;

export type NetName = 'p' | 's' | 'e';
export const NETS: readonly NetName[] = ['p', 's', 'e'];

/**
 * Link settings the data plane needs: it seals whole packets, so no GSO super-packets
 * (`gso_max_segs 1` keeps TCP segments single-MSS), and ESP adds up to 40 bytes, so the route MTU
 * leaves room for them inside the 1500-byte veth MTU.
 */
export const SEG_LINK = { routeMtu: 1440, gsoMaxSegs: 1 } as const;

export interface NodeAddr {
  /** Node name (also the namespace suffix): `c`, `s1`, ... */
  readonly name: string;
  readonly netns: string;
  /** Path for `nsenter --net=`. */
  readonly netnsPath: string;
  /** Address on each network. */
  readonly ip: Readonly<Record<NetName, string>>;
}

/** Interface name of a network inside each node namespace. */
export function iface(net: NetName): string {
  return `${PREFIX}${net}`;
}
export const DP_IFACE = iface('e');

export interface Topology {
  readonly nodes: readonly NodeAddr[];
  node(name: string): NodeAddr;
}

function run(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
}

/** Runs a command inside a node's network namespace (nsenter keeps /sys and bpffs as they are). */
export function inNetns(netnsPath: string, cmd: string, args: string[]): void {
  run('nsenter', [`--net=${netnsPath}`, '--', cmd, ...args]);
}

/** IPv4 only: no IPv6 autoconfiguration chatter for the data plane to count as denied. */
function noIpv6(netnsPath: string): void {
  for (const k of ['all', 'default']) inNetns(netnsPath, 'sysctl', ['-q', '-w', `net.ipv6.conf.${k}.disable_ipv6=1`]);
}

/** Removes every namespace with the bench prefix (their veths and bridges go with them). */
export function sweep(): string[] {
  let names: string[] = [];
  try {
    names = readdirSync('/run/netns').filter((n) => n.startsWith(PREFIX));
  } catch {
    return [];
  }
  for (const n of names) {
    try {
      run('ip', ['netns', 'del', n]);
    } catch {
      // Already gone (a concurrent cleanup); nothing to do.
    }
  }
  return names;
}

/** Creates the topology for `names`; on any failure removes what it made and rethrows. */
export function createTopology(names: readonly string[], subnetBase = '10.231'): Topology {
  if (names.length > 200) throw new Error('too many bench nodes');
  const nodes: NodeAddr[] = names.map((name, i) => ({
    name,
    netns: `${PREFIX}${name}`,
    netnsPath: `/run/netns/${PREFIX}${name}`,
    ip: { p: `${subnetBase}.1.${i + 1}`, s: `${subnetBase}.2.${i + 1}`, e: `${subnetBase}.3.${i + 1}` },
  }));
  const hubPath = `/run/netns/${HUB}`;
  try {
    run('ip', ['netns', 'add', HUB]);
    noIpv6(hubPath);
    inNetns(hubPath, 'ip', ['link', 'set', 'lo', 'up']);
    for (const net of NETS) {
      inNetns(hubPath, 'ip', ['link', 'add', `${PREFIX}br${net}`, 'type', 'bridge']);
      inNetns(hubPath, 'ip', ['link', 'set', `${PREFIX}br${net}`, 'up']);
    }
    for (const n of nodes) {
      run('ip', ['netns', 'add', n.netns]);
      noIpv6(n.netnsPath);
      inNetns(n.netnsPath, 'ip', ['link', 'set', 'lo', 'up']);
      for (const net of NETS) {
        const ifn = iface(net);
        const ip = n.ip[net];
        const hubEnd = `${PREFIX}${n.name}${net}`;
        if (hubEnd.length > 15) throw new Error(`interface name ${hubEnd} is longer than 15 characters`);
        run('ip', ['link', 'add', hubEnd, 'netns', HUB, 'type', 'veth', 'peer', 'name', ifn, 'netns', n.netns]);
        inNetns(hubPath, 'ip', ['link', 'set', hubEnd, 'master', `${PREFIX}br${net}`]);
        inNetns(hubPath, 'ip', ['link', 'set', hubEnd, 'up']);
        if (net !== 'p') inNetns(n.netnsPath, 'ip', ['link', 'set', ifn, 'gso_max_segs', String(SEG_LINK.gsoMaxSegs)]);
        inNetns(n.netnsPath, 'ip', ['addr', 'add', `${ip}/24`, 'dev', ifn]);
        inNetns(n.netnsPath, 'ip', ['link', 'set', ifn, 'up']);
        if (net !== 'p') {
          const subnet = `${ip.split('.').slice(0, 3).join('.')}.0/24`;
          inNetns(n.netnsPath, 'ip', ['route', 'replace', subnet, 'dev', ifn, 'proto', 'kernel', 'scope', 'link', 'src', ip, 'mtu', String(SEG_LINK.routeMtu)]);
        }
      }
    }
  } catch (e) {
    destroyTopology(nodes);
    throw e;
  }
  return {
    nodes,
    node(name: string): NodeAddr {
      const n = nodes.find((x) => x.name === name);
      if (n === undefined) throw new Error(`no bench node ${name}`);
      return n;
    },
  };
}

export function destroyTopology(nodes: readonly NodeAddr[]): void {
  for (const ns of [HUB, ...nodes.map((n) => n.netns)]) {
    try {
      run('ip', ['netns', 'del', ns]);
    } catch {
      // Not created (a failure part-way) or already removed.
    }
  }
}
