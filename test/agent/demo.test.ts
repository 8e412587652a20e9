/**
 * The demo, run as a user runs it (`attestflow demo`, root): it must pass every step and remove
 * every namespace, process and pin it made — at the end, and when interrupted mid-run.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { listNetns } from '../../src/demo/netns.js';
import { announceSkip, kernelSkipReason, repoRoot } from '../util/env.js';
import { ensureBuilt } from './support/build.js';

const reason = kernelSkipReason() ?? (existsSync(join(repoRoot, 'bpf/build/afdp')) ? undefined : 'the eBPF data plane is not built (npm run setup)');
announceSkip('attestflow demo', reason);

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  pid: number;
}

/** Runs the demo; `interrupt` sends a signal once a progress line matches. */
function runDemo(args: string[], interrupt?: { when: RegExp; signal: NodeJS.Signals }): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin/attestflow.js'), 'demo', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let sent = false;
    const onData = (d: Buffer): void => {
      out += d.toString('utf8');
      if (interrupt && !sent && interrupt.when.test(out)) {
        sent = true;
        child.kill(interrupt.signal);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code, signal) => resolve({ code, signal, out, pid: child.pid as number }));
  });
}

/** Everything of run `pid` still on the machine: namespaces, pins, processes mentioning it. */
function leftovers(pid: number): string[] {
  const tag = `af-demo-${pid}-`;
  const procs: string[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(tag)) procs.push(`process ${p}: ${cmd.slice(0, 80)}`);
    } catch {
      // gone meanwhile
    }
  }
  return [
    ...listNetns().filter((n) => n.startsWith(tag)).map((n) => `namespace ${n}`),
    ...readdirSync('/sys/fs/bpf').filter((n) => n.startsWith(tag)).map((n) => `pin ${n}`),
    ...procs,
  ];
}

describe.skipIf(reason !== undefined)('attestflow demo (root, real namespaces and eBPF)', () => {
  beforeAll(() => ensureBuilt(), 120_000);

  it('runs every step, prints progress and a table of results, and leaves nothing behind', async () => {
    const r = await runDemo(['--records', '200']);
    expect(r.code, r.out).toBe(0);
    for (const step of ['key every edge', 'release a secret', 'move real data', 'rekey each epoch', 'encrypted on the wire', 'impostor, wrong measurement', 'genuine image, other role', 'flow outside the policy', 'clean shutdown']) {
      expect(r.out).toMatch(new RegExp(`\\n${step.replace(/[(),]/g, '.')}\\s.*\\sok\\n`));
    }
    expect(r.out).toMatch(/200 records ingest → analyze → report: report has 200 .* digest matches/);
    expect(r.out).toMatch(/refused by report: make\.measurement/);
    expect(r.out).toMatch(/refused by report: make\.role/);
    expect(r.out).toMatch(/marker never seen/);
    expect(r.out).toMatch(/records-key \(held by ingest\) released to analyze over their MAKE session: fingerprint matches/);
    expect(r.out).toMatch(/cleaned up: every namespace, process, program and pin the demo made is gone/);
    expect(leftovers(r.pid)).toEqual([]);
  }, 180_000);

  it('interrupted with SIGINT while the agents are keying: cleans up everything and exits 130', async () => {
    const r = await runDemo([], { when: /namespaces af-demo-\d+-ingest/, signal: 'SIGINT' });
    expect(r.code, r.out).toBe(130);
    expect(r.out).toMatch(/interrupted \(SIGINT\): cleaning up/);
    expect(r.out).toMatch(/cleaned up: no namespace, process, program or pin left/);
    expect(leftovers(r.pid)).toEqual([]);
  }, 120_000);

  it('interrupted with SIGTERM after data moved: cleans up everything and exits 143', async () => {
    const r = await runDemo(['--records', '50'], { when: /records ingest → analyze → report/, signal: 'SIGTERM' });
    expect(r.code, r.out).toBe(143);
    expect(r.out).toMatch(/cleaned up: no namespace, process, program or pin left/);
    expect(leftovers(r.pid)).toEqual([]);
  }, 120_000);
});
