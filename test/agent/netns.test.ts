import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createTopology, destroyTopology, inNetns, listNetns, removeStale, setLink, type Topology } from '../../src/demo/netns.js';
import { announceSkip, kernelSkipReason } from '../util/env.js';

const exec = promisify(execFile);
const reason = kernelSkipReason();
announceSkip('agent netns topology', reason);

// No ping on a fresh machine: probe with a TCP connection from one namespace to a listener in another.
const PROBE_PORT = 7399;
const servers: ChildProcess[] = [];
function serve(t: Topology, node: number): Promise<void> {
  const [cmd, ...args] = inNetns(t.nodes[node]!.ns, [
    process.execPath,
    '-e',
    `require('net').createServer((s) => s.end('ok')).listen(${PROBE_PORT}, '${t.nodes[node]!.addr}', () => console.log('up'))`,
  ]);
  const p = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  servers.push(p);
  return new Promise((res) => p.stdout!.once('data', () => res()));
}
async function ping(t: Topology, from: number, to: number): Promise<boolean> {
  const [cmd, ...args] = inNetns(t.nodes[from]!.ns, [
    process.execPath,
    '-e',
    `const s = require('net').connect(${PROBE_PORT}, '${t.nodes[to]!.addr}'); s.setTimeout(1000, () => process.exit(1)); s.on('data', () => process.exit(0)); s.on('error', () => process.exit(1));`,
  ]);
  try {
    await exec(cmd!, args);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(reason !== undefined)('netns topology (real namespaces)', () => {
  const made: Topology[] = [];
  afterAll(async () => {
    for (const p of servers) p.kill();
    for (const t of made) await destroyTopology(t);
  });

  it('connects nodes through the hub; a cut link stops traffic and a restored one carries it again; teardown leaves nothing', async () => {
    const t = await createTopology('af-agent-', ['a', 'b', 'c']);
    made.push(t);
    const mine = () => listNetns().filter((n) => n.startsWith(`af-agent-${t.id}-`));
    expect(mine().sort()).toEqual([`af-agent-${t.id}-a`, `af-agent-${t.id}-b`, `af-agent-${t.id}-c`, `af-agent-${t.id}-hub`]);
    await serve(t, 0);
    await serve(t, 1);
    await serve(t, 2);
    expect(await ping(t, 0, 1)).toBe(true);
    expect(await ping(t, 2, 0)).toBe(true);
    await setLink(t, 'b', false);
    expect(await ping(t, 0, 1)).toBe(false);
    expect(await ping(t, 0, 2)).toBe(true);
    await setLink(t, 'b', true);
    let back = false;
    for (let i = 0; i < 20 && !back; i++) back = await ping(t, 0, 1);
    expect(back).toBe(true);
    for (const p of servers.splice(0)) p.kill();
    expect(await destroyTopology(t)).toEqual([]);
    expect(mine()).toEqual([]);
  });

  it('a failed setup removes what it made', async () => {
    // A name the kernel refuses as an interface-free namespace cannot be made twice: create one,
    // then ask for the same id again so the second setup fails on its hub.
    const t = await createTopology('af-agent-', ['x'], `${process.pid}-dup`);
    made.push(t);
    await expect(createTopology('af-agent-', ['y'], `${process.pid}-dup`)).rejects.toMatchObject({ code: 'demo.netns' });
    expect(listNetns().filter((n) => n === `af-agent-${process.pid}-dup-y`)).toEqual([]);
    await destroyTopology(t);
    expect(listNetns().filter((n) => n.startsWith(`af-agent-${process.pid}-dup`))).toEqual([]);
  });

  it('removes leftovers of a dead run and leaves live runs alone', async () => {
    // pid 2^22+1 is above the default pid_max range in use here, so no process has it.
    const dead = await createTopology('af-agent-', ['z'], '4194305');
    made.push(dead);
    const live = await createTopology('af-agent-', ['w'], `${process.pid}-live`);
    made.push(live);
    const removed = await removeStale('af-agent-');
    expect(removed.sort()).toEqual(['af-agent-4194305-hub', 'af-agent-4194305-z']);
    expect(listNetns()).toContain(`af-agent-${process.pid}-live-w`);
    dead.created.length = 0;
    await destroyTopology(live);
  });

  it('rejects bad node names before touching the kernel', async () => {
    const before = listNetns().length;
    await expect(createTopology('af-agent-', ['Bad Name'])).rejects.toMatchObject({ code: 'demo.netns' });
    expect(listNetns().length).toBe(before);
  });
});
