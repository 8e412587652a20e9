/**
 * Control-plane cost per handshake, both ends in this process on loopback: CPU time (user + system
 * of the whole process, so both ends), wall time and bytes on the wire. User-space mTLS 1.3 is
 * measured beside MAKE as the yardstick.
 */
import type net from 'node:net';
import tls from 'node:tls';
import { makeTlsIdentities, type TlsIdentity } from './certs.js';
import { makeHandshakeCost } from './make-cost.js';
import { countingRelay } from './relay.js';
import { median } from './stats.js';
import type { HandshakeCost } from './types.js';

function cpuMs(u: NodeJS.CpuUsage): number {
  return (u.user + u.system) / 1000;
}

async function tlsHandshake(id: TlsIdentity, port: number, serverDone: () => Promise<void>): Promise<void> {
  const s = tls.connect({ ...id, host: '127.0.0.1', port, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' });
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('TLS handshake took over 5 s')), 5000);
      s.once('secureConnect', () => {
        clearTimeout(t);
        resolve();
      });
      s.once('error', (e) => {
        clearTimeout(t);
        reject(e);
      });
    });
    await serverDone();
  } finally {
    s.destroy();
  }
}

/** Mutually authenticated TLS 1.3 with ECDSA P-256 certificates, as in the data-path baseline. */
export async function tlsHandshakeCost(n: number): Promise<HandshakeCost> {
  const ids = await makeTlsIdentities({ node: ['127.0.0.1'] });
  const id = ids.node!;
  let waiter: (() => void) | undefined;
  const server = tls.createServer({ ...id, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' }, (s) => {
    s.on('error', () => undefined);
    s.on('data', () => undefined);
    const w = waiter;
    waiter = undefined;
    w?.();
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const relay = await countingRelay(port(server));
  try {
    const cpu: number[] = [];
    const wall: number[] = [];
    for (let i = 0; i < n + 2; i++) {
      const before = process.cpuUsage();
      const t0 = performance.now();
      const sd = new Promise<void>((resolve) => {
        waiter = resolve;
      });
      await tlsHandshake(id, port(server), () => sd);
      const dt = performance.now() - t0;
      // The first two warm OpenSSL and the JIT; they are not counted.
      if (i >= 2) {
        cpu.push(cpuMs(process.cpuUsage(before)));
        wall.push(dt);
      }
    }
    const sd = new Promise<void>((resolve) => {
      waiter = resolve;
    });
    await tlsHandshake(id, relay.port, () => sd);
    // Let the server's post-handshake session tickets cross the relay before reading the count.
    await new Promise((r) => setTimeout(r, 50));
    return {
      protocol: 'user-space mTLS 1.3 (node:tls, ECDSA P-256 certificates)',
      count: cpu.length,
      cpuMs: median(cpu),
      wallMs: median(wall),
      bytes: relay.bytes(),
      notes: 'TCP payload bytes both ways, certificates and session tickets included',
    };
  } finally {
    relay.close();
    server.close();
  }
}

function port(s: net.Server): number {
  const a = s.address();
  if (a === null || typeof a === 'string') throw new Error('server has no TCP address');
  return a.port;
}

/** Every protocol that can be measured here; MAKE when its driver is available. */
export async function measureHandshakes(n: number, progress: (l: string) => void): Promise<HandshakeCost[]> {
  const out: HandshakeCost[] = [];
  const m = await makeHandshakeCost(n);
  out.push(m);
  progress(`MAKE: ${m.cpuMs.toFixed(2)} ms CPU, ${m.bytes} bytes in ${m.messages} messages per handshake`);
  const t = await tlsHandshakeCost(n);
  progress(`mTLS 1.3: ${t.cpuMs.toFixed(2)} ms CPU, ${t.bytes} bytes per handshake`);
  out.push(t);
  return out;
}
