/**
 * MAKE from the bench: real handshakes between software-TEE components (fresh evidence from the
 * sim attester, full verification and appraisal, through the real wire encoding), both ends in this
 * process. Used twice: to key the eBPF edges of the bench (in-memory runner), and to measure the
 * control-plane cost of one handshake over TCP with the MAKE driver (CPU time of both ends, bytes).
 */
import { SimRoot, SimVerifier, type SimAttester } from '../attestation/sim/index.js';
import { nodeCrypto } from '../crypto/index.js';
import { runLocal } from '../make/local.js';
import { keysDigest, Party, type PartyConfig } from '../make/party.js';
import { StaticHandshakePolicy } from '../make/static-policy.js';
import type { EdgeKeys } from '../make/types.js';
import { FRAME_HEADER_BYTES } from '../wire/frame.js';
import { MakeListener, runInitiator } from '../make/driver.js';
import { countingRelay } from './relay.js';
import { median } from './stats.js';
import type { HandshakeCost } from './types.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** A workflow of sim TEEs: one root, one launched TEE per component, a policy allowing `edges`. */
export class MakeWorld {
  private readonly verifier: SimVerifier;
  private readonly attesters = new Map<string, SimAttester>();
  private readonly policy: StaticHandshakePolicy;

  constructor(components: readonly string[], edges: readonly (readonly [string, string])[]) {
    const root = SimRoot.generate(nodeCrypto);
    this.verifier = new SimVerifier([root.publicKey], nodeCrypto);
    const refs: Record<string, { platform: 'sim'; measurements: string[]; role: string; signingKeys: string[] }> = {};
    components.forEach((c, i) => {
      // Each component its own image and its own launch-time role, as in a real workflow.
      const measurement = nodeCrypto.randomBytes(48);
      const role = new Uint8Array(32).fill(i + 1);
      this.attesters.set(c, root.launch({ measurement, role }));
      refs[c] = { platform: 'sim', measurements: [hex(measurement)], role: hex(role), signingKeys: [root.fingerprint] };
    });
    this.policy = new StaticHandshakePolicy({ digest: nodeCrypto.randomBytes(32), version: 1, components: refs, edges });
  }

  config(self: string): PartyConfig {
    const attester = this.attesters.get(self);
    if (attester === undefined) throw new Error(`no component ${self}`);
    return { self, policy: this.policy, attester, verifiers: { sim: this.verifier }, crypto: nodeCrypto };
  }

  /** One handshake initiator → responder; throws unless both ends exported the same keys. */
  async handshake(initiator: string, responder: string, epoch: number): Promise<{ keys: EdgeKeys; bytes: number; messages: number }> {
    const i = Party.initiator(this.config(initiator), responder, epoch);
    const r = Party.responder(this.config(responder));
    let bytes = 0;
    let messages = 0;
    await runLocal(i, r, (_dir, b) => {
      bytes += b.length + FRAME_HEADER_BYTES;
      messages++;
      return b;
    });
    const a = i.result;
    const b = r.result;
    if (!a?.ok || !b?.ok) {
      const why = [a, b].map((x) => (x === undefined ? 'unfinished' : x.ok ? 'ok' : JSON.stringify(x.failure))).join(' / ');
      throw new Error(`MAKE handshake ${initiator}->${responder} failed: ${why}`);
    }
    if (keysDigest(a.keys, nodeCrypto) !== keysDigest(b.keys, nodeCrypto)) throw new Error('MAKE ends exported different keys');
    return { keys: a.keys, bytes, messages };
  }
}

/**
 * CPU and wire cost of one MAKE handshake over TCP on loopback with the MAKE driver
 * (`runInitiator` against a `MakeListener`), median over `n` after two warm-up handshakes; one more
 * handshake through a counting relay gives the bytes on the wire.
 */
export async function makeHandshakeCost(n: number): Promise<HandshakeCost> {
  const world = new MakeWorld(['alpha', 'beta'], [['alpha', 'beta']]);
  let responderDone: ((ok: boolean) => void) | undefined;
  const listener = new MakeListener({
    ...world.config('beta'),
    timeoutMs: 10_000,
    onKeys: () => responderDone?.(true),
    onFailure: () => responderDone?.(false),
  });
  const addr = await listener.listen(0, '127.0.0.1');
  const relay = await countingRelay(addr.port);
  // Both ends must finish: the initiator's keys and the responder's export.
  const one = async (port: number, epoch: number): Promise<void> => {
    const responder = new Promise<boolean>((resolve) => {
      responderDone = resolve;
    });
    await runInitiator({ ...world.config('alpha'), host: '127.0.0.1', port, peer: 'beta', epoch, retries: 0, timeoutMs: 10_000 });
    if (!(await responder)) throw new Error('MAKE responder did not finish the handshake');
  };
  try {
    const cpu: number[] = [];
    const wall: number[] = [];
    for (let k = 0; k < n + 2; k++) {
      const before = process.cpuUsage();
      const t0 = performance.now();
      await one(addr.port, k + 1);
      const dt = performance.now() - t0;
      const u = process.cpuUsage(before);
      if (k >= 2) {
        cpu.push((u.user + u.system) / 1000);
        wall.push(dt);
      }
    }
    await one(relay.port, n + 3);
    return {
      protocol: 'MAKE over TCP (driver; sim-TEE evidence each handshake, X25519, node:crypto)',
      count: cpu.length,
      cpuMs: median(cpu),
      wallMs: median(wall),
      bytes: relay.bytes(),
      messages: 4,
      notes: 'attest + verify + appraise on each side; TCP payload bytes both ways (4-byte frame headers included)',
    };
  } finally {
    relay.close();
    await listener.close();
  }
}
