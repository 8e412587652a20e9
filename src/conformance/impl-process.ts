/**
 * One running implementation under test: a child process spoken to over stdin/stdout lines.
 * The runner starts a fresh process per case so no state leaks from one case into the next.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ConformanceError, type ImplMessage, MAX_LINE_BYTES, PROTOCOL_ID, type RunnerMessage, parseImplLine, toLine } from './protocol.js';

/** How long the implementation may take to start and answer `hello`. */
export const START_TIMEOUT_MS = 15_000;

type Waiter = { resolve: (m: ImplMessage) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

// Implementations run in their own process groups, so a signal to the runner does not reach them:
// kill whatever is still running when the runner exits (also on Ctrl-C, see the CLI).
const live = new Set<ImplProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const p of live) p.kill();
  });
}

export class ImplProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly queue: ImplMessage[] = [];
  private waiter: Waiter | undefined;
  private failure: ConformanceError | undefined;
  private stderrTail = '';
  private readonly exited: Promise<void>;
  /** Every line exchanged, for the failure report of a case. */
  readonly log: string[] = [];

  private constructor(readonly command: string) {
    // The command is a shell command line by design (`--impl "python3 impl.py --flag"`).
    // Its own process group, so a stuck implementation is killed with everything the shell started.
    this.child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    installExitHook();
    live.add(this);
    this.child.stdin.on('error', () => {
      /* EPIPE after the child died: reported through 'exit' instead. */
    });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (d: string) => {
      this.stderrTail = (this.stderrTail + d).slice(-4000);
    });
    const rl = createInterface({ input: this.child.stdout, crlfDelay: Infinity });
    rl.on('line', (line) => this.onLine(line));
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        live.delete(this);
        this.setFailure(new ConformanceError('conformance.impl-exited', `implementation exited (${signal ?? `status ${code}`})${this.stderrSuffix()}`));
        resolve();
      });
      this.child.on('error', (e) => {
        this.setFailure(new ConformanceError('conformance.impl-spawn', `cannot start implementation: ${e.message}`));
        resolve();
      });
    });
  }

  /** Starts `command` and exchanges `hello`; throws if it does not speak the protocol. */
  static async start(command: string, timeoutMs = START_TIMEOUT_MS): Promise<ImplProcess> {
    const p = new ImplProcess(command);
    try {
      p.send({ op: 'hello', protocol: PROTOCOL_ID });
      const m = await p.next(timeoutMs);
      if (m.op !== 'hello') throw new ConformanceError('conformance.protocol', `expected hello, got ${m.op}`);
      if (m.protocol !== PROTOCOL_ID) throw new ConformanceError('conformance.protocol', `implementation speaks ${m.protocol}, runner speaks ${PROTOCOL_ID}`);
      return p;
    } catch (e) {
      await p.stop();
      throw e;
    }
  }

  private stderrSuffix(): string {
    const t = this.stderrTail.trim();
    return t === '' ? '' : `; stderr: ${t.split('\n').slice(-5).join(' | ')}`;
  }

  private setFailure(e: ConformanceError): void {
    this.failure ??= e;
    const w = this.waiter;
    if (w !== undefined && this.queue.length === 0) {
      this.waiter = undefined;
      clearTimeout(w.timer);
      w.reject(this.failure);
    }
  }

  private onLine(line: string): void {
    this.log.push(`< ${line.length > 300 ? `${line.slice(0, 300)}…` : line}`);
    if (line.length > MAX_LINE_BYTES) {
      this.setFailure(new ConformanceError('conformance.bad-line', `line of ${line.length} bytes exceeds ${MAX_LINE_BYTES}`));
      return;
    }
    let m: ImplMessage;
    try {
      m = parseImplLine(line);
    } catch (e) {
      this.setFailure(e instanceof ConformanceError ? e : new ConformanceError('conformance.bad-line', String(e)));
      return;
    }
    const w = this.waiter;
    if (w !== undefined) {
      this.waiter = undefined;
      clearTimeout(w.timer);
      w.resolve(m);
    } else this.queue.push(m);
  }

  send(m: RunnerMessage): void {
    const line = toLine(m);
    this.log.push(`> ${line.length > 300 ? `${line.slice(0, 300)}…` : line.trimEnd()}`);
    if (this.child.stdin.writable) this.child.stdin.write(line);
  }

  /** The next line the implementation writes, within `timeoutMs`. */
  next(timeoutMs: number): Promise<ImplMessage> {
    const m = this.queue.shift();
    if (m !== undefined) return Promise.resolve(m);
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.waiter !== undefined) return Promise.reject(new ConformanceError('conformance.internal', 'concurrent next() on one implementation'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new ConformanceError('conformance.timeout', `no answer from the implementation within ${timeoutMs} ms${this.stderrSuffix()}`));
      }, timeoutMs);
      this.waiter = { resolve, reject, timer };
    });
  }

  /** Kills the implementation and everything its shell started, at once. */
  kill(): void {
    this.killGroup();
  }

  private killGroup(): void {
    const pid = this.child.pid;
    try {
      if (pid !== undefined) process.kill(-pid, 'SIGKILL');
    } catch {
      this.child.kill('SIGKILL');
    }
  }

  /** Closes stdin (the implementation should exit) and kills it if it does not within a second. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.stdin.end();
      const timer = setTimeout(() => this.killGroup(), 1000);
      await this.exited;
      clearTimeout(timer);
    }
  }
}
