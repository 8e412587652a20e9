import { createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runBootstrap, simBootstrapWorld } from '../../src/agent/bootstrap.js';
import { isAttestflowError } from '../../src/errors.js';

describe('bootstrap bench run', () => {
  it('keys a small cluster with matching keys on both ends', async () => {
    const r = await runBootstrap({ nodes: 5, keyer: simBootstrapWorld(5).keyer, timeoutMs: 20_000 });
    expect(r.edges).toBe(10);
    expect(r.handshakeFailures).toBe(0);
    expect(r.seconds).toBeGreaterThan(0);
  });

  it('fails with a typed timeout, not a hang, when peers never answer', async () => {
    // A peer that accepts and never says a word: no agent can key, and the per-handshake deadline
    // (10 s here) is far beyond the run's, so only the run's own deadline can end it.
    const held = new Set<Socket>();
    const silent = createServer((s) => held.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    const { keyer } = simBootstrapWorld(4);
    const t0 = performance.now();
    try {
      const err = await runBootstrap({ nodes: 4, keyer: (c) => keyer(c, () => ({ host: '127.0.0.1', port })), timeoutMs: 400 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isAttestflowError(err, 'agent.bootstrap-timeout')).toBe(true);
      expect(isAttestflowError(err) && err.details).toMatchObject({ phase: 'keying', waiting: 4, total: 4 });
      expect(performance.now() - t0).toBeLessThan(8_000);
    } finally {
      for (const s of held) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });
});
