/**
 * The byte channels under test. `tcp` is a plain TCP socket: it is the plaintext baseline, and it is
 * also the attestflow transport, because the eBPF data plane protects the edge below the socket
 * (the bench only points it at the data-plane interface's address). `tls` is user-space mutually
 * authenticated TLS 1.3 through node:tls (OpenSSL), the stand-in for user-space confidential channels.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { TlsIdentity } from './certs.js';

export type ChannelKind = 'tcp' | 'tls';

export interface ChannelSpec {
  readonly kind: ChannelKind;
  /** Required for `tls`. */
  readonly tls?: TlsIdentity;
}

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

function tlsOptions(spec: ChannelSpec): tls.SecureContextOptions & { minVersion: tls.SecureVersion; maxVersion: tls.SecureVersion } {
  if (spec.tls === undefined) throw new Error('tls channel without an identity');
  return { ca: spec.tls.ca, cert: spec.tls.cert, key: spec.tls.key, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' };
}

/** Starts a server; `onConnection` gets each connection once it is usable (TLS: after the handshake). */
export function listen(spec: ChannelSpec, at: Endpoint, onConnection: (s: net.Socket) => void): Promise<net.Server> {
  const server =
    spec.kind === 'tls'
      ? tls.createServer({ ...tlsOptions(spec), requestCert: true, rejectUnauthorized: true }, (s) => {
          s.setNoDelay(true);
          onConnection(s);
        })
      : net.createServer((s) => {
          s.setNoDelay(true);
          onConnection(s);
        });
  // A failed TLS handshake must not crash a long-lived worker; the client side reports it.
  server.on('tlsClientError', () => undefined);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** Connects, with a deadline; resolves once the channel is usable (TLS: handshake done, peer verified). */
export function connect(spec: ChannelSpec, to: Endpoint, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s =
      spec.kind === 'tls'
        ? tls.connect({ ...tlsOptions(spec), host: to.host, port: to.port, rejectUnauthorized: true })
        : net.connect({ host: to.host, port: to.port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`connect to ${to.host}:${to.port} (${spec.kind}) timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    s.once(spec.kind === 'tls' ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      s.setNoDelay(true);
      resolve(s);
    });
  });
}

/** The negotiated TLS cipher of a socket, or undefined for plain TCP. */
export function cipherOf(s: net.Socket): string | undefined {
  return s instanceof tls.TLSSocket ? (s.getCipher()?.name ?? undefined) : undefined;
}
