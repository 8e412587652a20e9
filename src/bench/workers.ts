/**
 * Worker processes of the orchestrator: one Node process per namespace, entered with nsenter,
 * spoken to by JSON lines. Every request has a deadline; `close` ends the process (by pid).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { WorkerCommand, WorkerReply, WorkerResult } from './protocol.js';

/**
 * The compiled worker script. From dist it is the sibling file; from the TypeScript sources (tests)
 * it is the built copy in dist/, which the build produces.
 */
export function workerScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const sibling = join(here, 'worker.js');
  if (existsSync(sibling)) return sibling;
  const built = resolve(here, '..', '..', 'dist', 'bench', 'worker.js');
  if (existsSync(built)) return built;
  throw new Error(`bench worker not built (looked for ${sibling} and ${built}); run npm run build`);
}

export class Worker {
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: WorkerResult) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private stderr = '';
  private exited = false;

  constructor(
    readonly name: string,
    netnsPath: string,
  ) {
    this.child = spawn('nsenter', [`--net=${netnsPath}`, '--', process.execPath, workerScript()], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr?.on('data', (d: Buffer) => {
      if (this.stderr.length < 8192) this.stderr += d.toString();
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      let r: WorkerReply;
      try {
        r = JSON.parse(line) as WorkerReply;
      } catch {
        return;
      }
      const p = this.pending.get(r.id);
      if (p === undefined) return;
      this.pending.delete(r.id);
      clearTimeout(p.timer);
      if (r.ok) p.resolve(r.result);
      else p.reject(new Error(`worker ${this.name}: ${r.error}`));
    });
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      const err = new Error(`worker ${this.name} exited (${code ?? signal})${this.stderr ? `: ${this.stderr.trim()}` : ''}`);
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(err);
      }
      this.pending.clear();
    });
    this.child.on('error', () => undefined);
  }

  request<T extends WorkerResult>(cmd: WorkerCommand, timeoutMs: number): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`worker ${this.name} is not running${this.stderr ? `: ${this.stderr.trim()}` : ''}`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`worker ${this.name}: ${cmd.op} gave no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (r: WorkerResult) => void, reject, timer });
      this.child.stdin!.write(`${JSON.stringify({ id, cmd })}\n`);
    });
  }

  /** Ends the worker: closing stdin makes it exit; SIGKILL by pid if it lingers. */
  async close(): Promise<void> {
    if (this.exited) return;
    this.child.stdin?.end();
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        if (!this.exited && this.child.pid !== undefined) this.child.kill('SIGKILL');
        resolve();
      }, 1000);
      this.child.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}
