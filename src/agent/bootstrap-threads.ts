/**
 * The bootstrap bench on several threads of one process: the nodes are dealt round-robin to
 * worker threads (one per core) so handshakes use every core, as N separate machines would.
 * Time runs from the moment every node listens to the last thread reporting all its edges keyed.
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CryptoProvider } from '../crypto/index.js';
import { bootstrapEdges, checkBothEnds, simBootstrapWorld, type BootstrapRun, type SaView } from './bootstrap.js';
import type { FromWorker, ToWorker, WorkerInput } from './bootstrap-worker.js';
import { AgentError } from './errors.js';
import type { Endpoint } from './ports.js';

/** A worker thread of the bench failed or missed the deadline; `details.cause` is the thread's own code. */
export class BootstrapThreadError extends AgentError {
  constructor(thread: number, message: string, cause?: string) {
    super(cause === 'agent.bootstrap-timeout' ? cause : 'agent.bootstrap-thread', `bootstrap thread ${thread}: ${message}`, { thread, ...(cause !== undefined ? { cause } : {}) });
  }
}

const WORKER = fileURLToPath(new URL('./bootstrap-worker.js', import.meta.url));

export async function runBootstrapThreads(opts: { nodes: number; threads: number; crypto: CryptoProvider; timeoutMs?: number }): Promise<BootstrapRun> {
  const n = opts.nodes;
  const edges = bootstrapEdges(n);
  const { world } = simBootstrapWorld(n, opts.crypto);
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const workers: Worker[] = [];
  const inbox: Array<Array<(m: FromWorker) => void>> = [];
  const next = (w: number, type: FromWorker['type']): Promise<FromWorker> =>
    new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new BootstrapThreadError(w, `no '${type}' within ${timeoutMs} ms`, 'agent.bootstrap-timeout')), timeoutMs);
      (inbox[w] as Array<(m: FromWorker) => void>).push((m) => {
        clearTimeout(t);
        if (m.type === 'error') reject(new BootstrapThreadError(w, m.message, m.code));
        else if (m.type !== type) reject(new BootstrapThreadError(w, `expected ${type}, got ${m.type}`));
        else resolve(m);
      });
    });
  try {
    const tListen = performance.timeOrigin + performance.now();
    for (let w = 0; w < opts.threads; w++) {
      const input: WorkerInput = {
        kind: 'attestflow-bootstrap',
        n,
        indices: Array.from({ length: n }, (_, i) => i).filter((i) => i % opts.threads === w),
        rootSeed: Buffer.from(world.rootSeed).toString('hex'),
        owners: world.owners,
        digest: world.policy.digestHex,
        crypto: opts.crypto.name === 'noble' ? 'noble' : 'node',
        timeoutMs,
      };
      const worker = new Worker(WORKER, { workerData: input });
      inbox.push([]);
      worker.on('message', (m: FromWorker) => (inbox[w] as Array<(m: FromWorker) => void>).shift()?.(m));
      worker.on('error', (e) => (inbox[w] as Array<(m: FromWorker) => void>).shift()?.({ type: 'error', message: e.message }));
      workers.push(worker);
    }
    const endpoints: Record<string, Endpoint> = {};
    for (const m of await Promise.all(workers.map((_, w) => next(w, 'listening')))) if (m.type === 'listening') Object.assign(endpoints, m.endpoints);
    const keyed = workers.map((_, w) => next(w, 'keyed'));
    const cpu0 = process.cpuUsage(); // process-wide: every thread's CPU counts
    const t0 = performance.timeOrigin + performance.now();
    for (const w of workers) w.postMessage({ type: 'start', endpoints } satisfies ToWorker);
    const done = await Promise.all(keyed);
    const cpu = process.cpuUsage(cpu0);
    const installed: Record<string, SaView[]> = {};
    let t1 = t0;
    let failures = 0;
    const reasons: Record<string, number> = {};
    for (const m of done) {
      if (m.type !== 'keyed') continue;
      t1 = Math.max(t1, m.at);
      Object.assign(installed, m.installed);
      failures += m.failures.count;
      for (const [k, v] of Object.entries(m.failures.reasons)) reasons[k] = (reasons[k] ?? 0) + v;
    }
    checkBothEnds((c) => installed[c] ?? [], edges);
    const seconds = (t1 - t0) / 1000;
    return {
      nodes: n,
      edges: edges.length,
      threads: opts.threads,
      seconds,
      secondsWithListen: (t1 - tListen) / 1000,
      handshakesPerSecond: edges.length / seconds,
      handshakeFailures: failures,
      failureReasons: reasons,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
    };
  } finally {
    await Promise.all(
      workers.map(async (w, i) => {
        const stopped = next(i, 'stopped').catch(() => undefined);
        w.postMessage({ type: 'stop' } satisfies ToWorker);
        await Promise.race([stopped, new Promise((r) => setTimeout(r, 5_000))]);
        await w.terminate();
      }),
    );
  }
}
