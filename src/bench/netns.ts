/**
 * The bench topology: a hub namespace with two bridges and one namespace per workflow node, each
 * node wired to both bridges by a veth pair. The `p` network carries plaintext TCP and user-space
 * TLS; the `e` network is the workflow interface where the eBPF data plane is attached, so the
 * baselines never cross attestflow's programs and all three can be interleaved run by run.
 * Every name starts with `af-bench-`; `destroy` removes everything, and `sweep` removes leftovers of
 * a run that was killed before its `finally`.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

export const PREFIX = 'af-bench-';
const HUB = `${PREFIX}hub`;

export interface NodeAddr {
  /** Node name (also the namespace suffix): `c`, `s1`, ... */
  readonly name: string;
  readonly netns: string;
  /** Path for `nsenter --net=`. */
  readonly netnsPath: string;
  /** Address on the plaintext / TLS network. */
  readonly plainIp: string;
  /** Address on the data-plane network (its interface is {@link DP_IFACE}). */
  readonly dpIp: string;
}

/** Interface names inside each node namespace. */
export const PLAIN_IFACE = `${PREFIX}p`;
export const DP_IFACE = `${PREFIX}e`;

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
    plainIp: `${subnetBase}.1.${i + 1}`,
    dpIp: `${subnetBase}.2.${i + 1}`,
  }));
  const hubPath = `/run/netns/${HUB}`;
  try {
    run('ip', ['netns', 'add', HUB]);
    inNetns(hubPath, 'ip', ['link', 'set', 'lo', 'up']);
    for (const br of ['brp', 'bre']) {
      inNetns(hubPath, 'ip', ['link', 'add', `${PREFIX}${br}`, 'type', 'bridge']);
      inNetns(hubPath, 'ip', ['link', 'set', `${PREFIX}${br}`, 'up']);
    }
    for (const n of nodes) {
      run('ip', ['netns', 'add', n.netns]);
      inNetns(n.netnsPath, 'ip', ['link', 'set', 'lo', 'up']);
      for (const [net, iface, ip, br] of [
        ['p', PLAIN_IFACE, n.plainIp, 'brp'],
        ['e', DP_IFACE, n.dpIp, 'bre'],
      ] as const) {
        const hubEnd = `${PREFIX}${n.name}${net}`;
        if (hubEnd.length > 15) throw new Error(`interface name ${hubEnd} is longer than 15 characters`);
        run('ip', ['link', 'add', hubEnd, 'netns', HUB, 'type', 'veth', 'peer', 'name', iface, 'netns', n.netns]);
        inNetns(hubPath, 'ip', ['link', 'set', hubEnd, 'master', `${PREFIX}${br}`]);
        inNetns(hubPath, 'ip', ['link', 'set', hubEnd, 'up']);
        inNetns(n.netnsPath, 'ip', ['addr', 'add', `${ip}/24`, 'dev', iface]);
        inNetns(n.netnsPath, 'ip', ['link', 'set', iface, 'up']);
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
