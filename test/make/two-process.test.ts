/**
 * MAKE between two processes: a child node process runs the responder (MakeListener from the
 * built package, as a deployment would) and this process the initiator, over loopback TCP. Both
 * derive their world (sim root, TEEs, policy) from the same seeds and must export identical keys.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { SimRoot, SimVerifier } from '../../src/attestation/sim/index.js';
import { nodeCrypto } from '../../src/crypto/index.js';
import { runInitiator } from '../../src/make/driver.js';
import { keysDigest } from '../../src/make/party.js';
import { ndjsonTrace, readTrace } from '../../src/make/trace.js';
import { checkTraceFile } from '../../model-tests/trace-check.js';
import { StaticHandshakePolicy } from '../../src/make/static-policy.js';
import { repoRoot } from '../util/env.js';
import { seededWorld } from './seeded-world.mjs';

const CHILD = `
  import * as lib from ${JSON.stringify(join(repoRoot, 'dist', 'index.js'))};
  import { seededWorld } from ${JSON.stringify(join(repoRoot, 'test', 'make', 'seeded-world.mjs'))};
  const { MakeListener, keysDigest, ndjsonTrace } = lib;
  const l = new MakeListener({ ...seededWorld(lib).beta, trace: ndjsonTrace(process.env.AF_TRACE), timeoutMs: 10000,
    onKeys: async (r) => { console.log(JSON.stringify({ keys: keysDigest(r.keys), peer: r.peer })); await l.close(); },
    onFailure: async (f) => { console.log(JSON.stringify({ failure: f })); await l.close(); } });
  const { port } = await l.listen(0, '127.0.0.1');
  console.log(JSON.stringify({ port }));
`;

describe('MAKE between two processes over TCP', () => {
  it('a responder process and an initiator process export identical keys', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'af-make-2p-'));
    const trace = join(dir, 'trace.ndjson');
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, AF_TRACE: trace } });
    try {
      const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
      const first = JSON.parse(String((await lines.next()).value)) as { port: number };
      const world = seededWorld({ SimRoot, SimVerifier, StaticHandshakePolicy, nodeCrypto });
      const mine = await runInitiator({ ...world.alpha, trace: ndjsonTrace(trace), host: '127.0.0.1', port: first.port, peer: 'beta', epoch: 3, retries: 0 });
      const theirs = JSON.parse(String((await lines.next()).value)) as { keys?: string; peer?: string; failure?: unknown };
      expect(theirs.failure).toBeUndefined();
      expect(theirs.peer).toBe('alpha');
      expect(theirs.keys).toBe(keysDigest(mine.keys));
      expect(mine.keys.edge).toBe('alpha->beta');
      expect(mine.keys.epoch).toBe(3);
      const code = await new Promise<number | null>((r) => child.once('exit', r));
      expect(code).toBe(0);
      // Both processes traced their side; together they replay against the protocol model.
      expect(new Set(readTrace(trace).map((st) => st.role))).toEqual(new Set(['initiator', 'responder']));
      expect(checkTraceFile(trace)).toEqual([]);
    } finally {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
