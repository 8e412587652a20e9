/**
 * Child processes of the demo, each inside a node's network namespace. Every process started is
 * tracked until it exits, so cleanup can stop exactly the processes this run started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { inNetns } from './netns.js';

export interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or signal name) once the process ended. */
  readonly exited: Promise<number | string>;
  /** Lines the process wrote on stdout, as they arrive. */
  readonly lines: string[];
  /** Resolves with the first stdout line that satisfies `pred`, or rejects after `ms` / on exit. */
  waitLine(pred: (line: string) => boolean, ms: number): Promise<string>;
}

export class ProcSet {
  private readonly procs = new Set<Proc>();

  /**
   * Starts `argv` inside namespace `ns` (in this process's own when undefined); stderr goes to
   * `logFile` (the agents' JSON logs).
   */
  start(name: string, ns: string | undefined, argv: readonly string[], logFile: string): Proc {
    const [cmd, ...args] = ns === undefined ? argv : inNetns(ns, argv);
    const child = spawn(cmd as string, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const log = createWriteStream(logFile, { flags: 'a' });
    child.stderr?.pipe(log);
    const lines: string[] = [];
    const watchers: Array<() => void> = [];
    let partial = '';
    child.stdout?.on('data', (c: Buffer) => {
      partial += c.toString('utf8');
      let i: number;
      while ((i = partial.indexOf('\n')) >= 0) {
        lines.push(partial.slice(0, i));
        partial = partial.slice(i + 1);
      }
      for (const w of watchers.slice()) w();
    });
    const exited = new Promise<number | string>((res) => {
      child.on('exit', (code, signal) => {
        this.procs.delete(proc);
        for (const w of watchers.slice()) w();
        res(code ?? signal ?? 'unknown');
      });
      child.on('error', () => res('spawn-failed'));
    });
    const proc: Proc = {
      name,
      child,
      exited,
      lines,
      waitLine: (pred, ms) =>
        new Promise((resolve, reject) => {
          let seen = 0;
          const check = (): void => {
            for (; seen < lines.length; seen++) {
              const l = lines[seen] as string;
              if (pred(l)) {
                done();
                resolve(l);
                return;
              }
            }
            if (child.exitCode !== null || child.signalCode !== null) {
              done();
              reject(new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before the expected output`));
            }
          };
          const t = setTimeout(() => {
            done();
            reject(new Error(`${name}: no expected output within ${ms} ms`));
          }, ms);
          const done = (): void => {
            clearTimeout(t);
            const k = watchers.indexOf(check);
            if (k >= 0) watchers.splice(k, 1);
          };
          watchers.push(check);
          check();
        }),
    };
    this.procs.add(proc);
    return proc;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  async stop(p: Proc, graceMs = 5_000): Promise<number | string> {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGTERM');
      const t = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
      const r = await p.exited;
      clearTimeout(t);
      return r;
    }
    return p.exited;
  }

  /** Stops every process still running (agents remove their keys on SIGTERM). */
  async stopAll(graceMs = 5_000): Promise<void> {
    await Promise.all([...this.procs].map((p) => this.stop(p, graceMs)));
  }

  get running(): number {
    return this.procs.size;
  }
}
