/**
 * A worker thread of the bootstrap bench: hosts a share of the nodes (agents, TEEs, listeners) of
 * the same generated world as the main thread, and reports when all its edges are keyed.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { nobleCrypto, nodeCrypto } from '../crypto/index.js';
import { isAttestflowError } from '../errors.js';
import { BootstrapGroup, runBootstrap, simBootstrapWorld } from './bootstrap.js';
import type { Endpoint } from './ports.js';

export interface WorkerInput {
  /** Marks a bench worker, so loading this module in any other worker thread does nothing. */
  readonly kind: 'attestflow-bootstrap';
  readonly n: number;
  readonly indices: readonly number[];
  readonly rootSeed: string;
  readonly owners: Readonly<Record<string, string>>;
  readonly digest: string;
  readonly crypto: 'node' | 'noble';
  readonly timeoutMs: number;
}

export type ToWorker = { type: 'start'; endpoints: Record<string, Endpoint> } | { type: 'stop' };
export type FromWorker =
  | { type: 'listening'; endpoints: Record<string, Endpoint> }
  | { type: 'keyed'; at: number; failures: { count: number; reasons: Record<string, number> }; installed: ReturnType<BootstrapGroup['installed']> }
  | { type: 'error'; message: string; code?: string }
  | { type: 'stopped' };

const port = parentPort;
if (port && (workerData as Partial<WorkerInput> | undefined)?.kind === 'attestflow-bootstrap') {
  const input = workerData as WorkerInput;
  const post = (m: FromWorker): void => port.postMessage(m);
  const crypto = input.crypto === 'noble' ? nobleCrypto : nodeCrypto;
  const { world, keyer } = simBootstrapWorld(input.n, crypto, { rootSeed: new Uint8Array(Buffer.from(input.rootSeed, 'hex')), owners: input.owners });
  if (world.policy.digestHex !== input.digest) {
    post({ type: 'error', message: 'worker built a different policy than the main thread' });
  } else {
    const group = new BootstrapGroup(input.n, input.indices, keyer);
    port.on('message', (m: ToWorker) => {
      if (m.type === 'start') {
        for (const [c, ep] of Object.entries(m.endpoints)) group.endpoints.set(c, ep);
        group.run(input.timeoutMs).then(
          () => post({ type: 'keyed', at: performance.timeOrigin + performance.now(), failures: group.failures(), installed: group.installed() }),
          (e: unknown) => post({ type: 'error', message: (e as Error).message, ...(isAttestflowError(e) ? { code: e.code } : {}) }),
        );
      } else if (m.type === 'stop') {
        void group.stop().then(() => {
          post({ type: 'stopped' });
          port.close();
        });
      }
    });
    // Warm this thread up first (JIT, key caches) with a small cluster of its own, as the main
    // thread is warmed by the uncounted first run: both modes are then measured warm.
    runBootstrap({ nodes: 6, keyer: simBootstrapWorld(6, crypto).keyer })
      .then(() => group.listen())
      .then(
        (endpoints) => post({ type: 'listening', endpoints }),
        (e: unknown) => post({ type: 'error', message: (e as Error).message }),
      );
  }
}
