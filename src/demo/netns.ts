/**
 * Network namespaces for the demo and the agent's fault tests: one namespace per node, joined by
 * veth pairs to a bridge in a hub namespace of their own, so nothing is added to the host's
 * namespace. Every name carries the caller's prefix (`af-demo-`, `af-agent-`) and the creating
 * process id, so concurrent runs do not collide and leftovers of a killed run can be found and
 * removed. Every object made is recorded before the next is made: teardown removes exactly what
 * exists, also after a partial setup.
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { AttestflowError } from '../errors.js';
import { processAlive } from '../process-alive.js';

const run = promisify(execFile);

export type NetnsPrefix = 'af-demo-' | 'af-agent-';

/** A command the namespace setup ran failed (message carries the command and its stderr). */
export class NetnsError extends AttestflowError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('demo.netns', message, details);
  }
}

export interface NetNode {
  readonly name: string;
  /** Namespace name, under /run/netns. */
  readonly ns: string;
  /** The node's interface inside its namespace. */
  readonly ifname: string;
  /** The hub-side end of its veth pair (cut it to cut the node's link). */
  readonly hubIf: string;
  readonly addr: string;
}

export interface Topology {
  readonly prefix: NetnsPrefix;
  readonly id: string;
  readonly hub: string;
  readonly nodes: readonly NetNode[];
  /** Every namespace this topology made, in creation order. */
  readonly created: string[];
}

async function ip(args: string[]): Promise<void> {
  try {
    await run('ip', args, { timeout: 10_000 });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new NetnsError(`ip ${args.join(' ')} failed: ${(err.stderr ?? err.message).trim()}`, { args });
  }
}

/** `nsenter` argv that runs `cmd` inside the node's namespace (keeps /sys, so bpffs pins stay visible). */
export function inNetns(ns: string, cmd: readonly string[]): string[] {
  return ['nsenter', `--net=/run/netns/${ns}`, '--', ...cmd];
}

/** The interface name inside node namespaces (short: interface names are at most 15 bytes). */
const nodeIf = (prefix: NetnsPrefix): string => `${prefix}eth0`.slice(0, 15);

/**
 * Creates the hub and one namespace per node. Addresses come from `addrs` (e.g. the policy's
 * component addresses), else 10.198.0.1, .2, ... in order; all on one /24.
 * On failure everything made so far is removed before the error is thrown.
 */
export async function createTopology(prefix: NetnsPrefix, names: readonly string[], id = String(process.pid), addrs: Readonly<Record<string, string>> = {}): Promise<Topology> {
  if (names.length === 0 || names.length > 200) throw new NetnsError(`need 1..200 nodes, got ${names.length}`);
  for (const n of names) if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(n)) throw new NetnsError(`bad node name ${JSON.stringify(n)}`);
  for (const a of Object.values(addrs)) if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(a)) throw new NetnsError(`bad IPv4 address ${JSON.stringify(a)}`);
  const base = `${prefix}${id}`;
  const topo: Topology = { prefix, id, hub: `${base}-hub`, nodes: [], created: [] };
  const nodes: NetNode[] = [];
  const bridge = `${prefix}br`.slice(0, 15);
  try {
    await ip(['netns', 'add', topo.hub]);
    topo.created.push(topo.hub);
    await ip(['-n', topo.hub, 'link', 'set', 'lo', 'up']);
    await ip(['-n', topo.hub, 'link', 'add', bridge, 'type', 'bridge']);
    await ip(['-n', topo.hub, 'link', 'set', bridge, 'up']);
    for (const [i, name] of names.entries()) {
      const node: NetNode = { name, ns: `${base}-${name}`, ifname: nodeIf(prefix), hubIf: `${prefix}p${i}`.slice(0, 15), addr: addrs[name] ?? `10.198.0.${i + 1}` };
      await ip(['netns', 'add', node.ns]);
      topo.created.push(node.ns);
      await ip(['-n', node.ns, 'link', 'set', 'lo', 'up']);
      await ip(['-n', topo.hub, 'link', 'add', node.hubIf, 'type', 'veth', 'peer', 'name', node.ifname, 'netns', node.ns]);
      await ip(['-n', topo.hub, 'link', 'set', node.hubIf, 'master', bridge, 'up']);
      // The eBPF data plane seals packets one by one: no GSO super-packets, and a route MTU that
      // leaves room for the ESP header, IV, trailer and ICV.
      await ip(['-n', node.ns, 'link', 'set', node.ifname, 'gso_max_segs', '1', 'up']);
      await ip(['-n', node.ns, 'addr', 'add', `${node.addr}/24`, 'dev', node.ifname]);
      const subnet = node.addr.split('.').slice(0, 3).join('.');
      await ip(['-n', node.ns, 'route', 'replace', `${subnet}.0/24`, 'dev', node.ifname, 'mtu', '1400', 'src', node.addr]);
      nodes.push(node);
    }
  } catch (e) {
    await destroyTopology(topo);
    throw e;
  }
  return { ...topo, nodes };
}

/** Removes every namespace of the topology (their interfaces go with them). Never throws. */
export async function destroyTopology(t: Pick<Topology, 'created'>): Promise<string[]> {
  const failed: string[] = [];
  // Nodes first, hub last: deleting a node namespace removes its veth pair, hub end included.
  for (const ns of [...t.created].reverse()) {
    try {
      await ip(['netns', 'delete', ns]);
    } catch {
      if (listNetns().includes(ns)) failed.push(ns);
    }
  }
  t.created.length = 0;
  return failed;
}

/** Takes a node's link down or up (from the hub side, as a cable pulled out and put back). */
export async function setLink(t: Topology, node: string, up: boolean): Promise<void> {
  const n = t.nodes.find((x) => x.name === node);
  if (n === undefined) throw new NetnsError(`no node ${node} in topology ${t.id}`);
  await ip(['-n', t.hub, 'link', 'set', n.hubIf, up ? 'up' : 'down']);
}

/** Names under /run/netns. */
export function listNetns(): string[] {
  try {
    return readdirSync('/run/netns');
  } catch {
    return [];
  }
}

/**
 * Removes namespaces with `prefix` left by runs whose process is gone (a run killed with SIGKILL
 * cannot clean up after itself). Namespaces of live runs are left alone.
 */
export async function removeStale(prefix: NetnsPrefix): Promise<string[]> {
  const removed: string[] = [];
  for (const ns of listNetns()) {
    if (!ns.startsWith(prefix)) continue;
    const pid = Number(/^(\d+)-/.exec(ns.slice(prefix.length))?.[1]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || processAlive(pid)) continue;
    try {
      await ip(['netns', 'delete', ns]);
      removed.push(ns);
    } catch {
      // Someone else removed it meanwhile; nothing to do.
    }
  }
  return removed;
}
