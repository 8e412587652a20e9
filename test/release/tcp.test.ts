import { createServer, connect, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { SimVerifier } from '../../src/attestation/sim/index.js';
import { nodeCrypto } from '../../src/crypto/index.js';
import { MakeListener, runInitiator, type MakeResult } from '../../src/make/driver.js';
import { ReleaseController } from '../../src/release/controller.js';
import { openSecret, sealSecret, type SecretEnvelope } from '../../src/release/envelope.js';
import { demoVersion, launch } from './world.js';

const SECRET = new TextEncoder().encode('records key over TCP');

/** Waits (bounded) for a condition set by another socket's callback. */
async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('release over MAKE on real TCP (loopback)', () => {
  it('ingest keys the edge with analyze over TCP, releases the secret; analyze opens it with its own keys', async () => {
    const policy = demoVersion(1);
    const verifiers = { sim: new SimVerifier(policy.simRootKeys(), nodeCrypto) };
    let analyzeSide: MakeResult | undefined;
    const listener = new MakeListener({
      self: 'analyze',
      policy,
      attester: launch('analyze', 'analyze'),
      verifiers,
      crypto: nodeCrypto,
      onKeys: (r) => (analyzeSide = r),
    });
    // analyze's secret inbox: one JSON envelope per connection.
    const received: SecretEnvelope[] = [];
    const inbox = createServer((sock) => {
      let buf = '';
      sock.on('data', (d) => (buf += d.toString()));
      sock.on('end', () => received.push(JSON.parse(buf) as SecretEnvelope));
    });
    try {
      const make = await listener.listen(0, '127.0.0.1');
      await new Promise<void>((r) => inbox.listen(0, '127.0.0.1', r));
      const inboxPort = (inbox.address() as AddressInfo).port;

      const ingestSide = await runInitiator({
        self: 'ingest',
        policy,
        attester: launch('ingest', 'ingest'),
        verifiers,
        crypto: nodeCrypto,
        host: '127.0.0.1',
        port: make.port,
        peer: 'analyze',
        epoch: 0,
        timeoutMs: 20_000,
      });
      expect(ingestSide.peer).toBe('analyze');
      await until(() => analyzeSide !== undefined);
      expect(analyzeSide?.peer).toBe('ingest');

      const delivered: Promise<void>[] = [];
      const ctl = new ReleaseController({
        policy,
        component: 'ingest',
        secrets: { 'records-key': SECRET },
        port: {
          sendSecret: (_session, secret, value) => {
            const env = sealSecret(ingestSide.keys, 'ingest', secret, value);
            delivered.push(
              new Promise<void>((resolve, reject) => {
                const s = connect(inboxPort, '127.0.0.1', () => s.end(JSON.stringify(env)));
                s.on('close', () => resolve());
                s.on('error', reject);
              }),
            );
          },
          installKey: () => undefined,
          removeKey: () => undefined,
          revokeSecret: () => undefined,
          endSession: () => undefined,
        },
      });
      // MakeResult carries no claims: release relies on MAKE's appraisal under the policy in force.
      await ctl.sessionEstablished({ id: ingestSide.session, peer: ingestSide.peer });
      expect((await ctl.installKeys(ingestSide.session, ingestSide.keys))[0]).toMatchObject({ type: 'install-key', edge: 'ingest->analyze' });
      expect((await ctl.requestSecret(ingestSide.session, 'records-key'))[0]).toMatchObject({ type: 'release-secret', component: 'analyze' });
      await Promise.all(delivered);
      await until(() => received.length > 0);
      expect(received).toHaveLength(1);
      expect(Buffer.from(openSecret(analyzeSide!.keys, received[0]!)).toString()).toBe('records key over TCP');
    } finally {
      await listener.close();
      await new Promise<void>((r) => inbox.close(() => r()));
    }
  });
});
