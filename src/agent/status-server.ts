/**
 * The agent's local status endpoint: `GET /metrics` (Prometheus text format) and `GET /status`
 * (JSON snapshot for `attestflow status`). It listens on loopback TCP or on a Unix socket; a Unix
 * socket is reachable from every network namespace of the host, which is how the demo reads the
 * status of agents that each live in their own namespace.
 */
import { existsSync, unlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { UsageError } from '../errors.js';
import type { AgentStatus } from './agent.js';
import type { Metrics } from './metrics.js';

/** Where `attestflow agent` serves status unless told otherwise (9464: the usual exporter range). */
export const DEFAULT_STATUS_ADDRESS = '127.0.0.1:9464';

/** Where a status endpoint listens. */
export type StatusAddress = { readonly kind: 'tcp'; readonly host: string; readonly port: number } | { readonly kind: 'unix'; readonly path: string };

/** Parses `HOST:PORT`, `:PORT` (loopback) or `unix:/path`. Non-loopback hosts are refused. */
export function parseStatusAddress(s: string): StatusAddress {
  if (s.startsWith('unix:')) {
    const path = s.slice(5);
    if (!path.startsWith('/')) throw new UsageError(`status socket must be an absolute path: ${s}`);
    return { kind: 'unix', path };
  }
  const m = /^(?:(\[[0-9a-fA-F:]+\]|[0-9.]+|localhost))?:(\d{1,5})$/.exec(s);
  if (!m) throw new UsageError(`bad status address ${JSON.stringify(s)} (want HOST:PORT or unix:/path)`);
  const host = (m[1] ?? '127.0.0.1').replace(/^\[|\]$/g, '');
  const port = Number(m[2]);
  if (port > 65535) throw new UsageError(`bad port in status address ${s}`);
  if (!(host === '127.0.0.1' || host === 'localhost' || host === '::1' || host.startsWith('127.'))) {
    throw new UsageError(`the status endpoint is local only; ${host} is not a loopback address`);
  }
  return { kind: 'tcp', host, port };
}

export function formatStatusAddress(a: StatusAddress): string {
  return a.kind === 'unix' ? `unix:${a.path}` : `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
}

export interface StatusSource {
  readonly metrics: Metrics;
  status(): AgentStatus;
}

export interface StatusServer {
  /** The bound address (the real port when 0 was asked). */
  readonly address: StatusAddress;
  close(): Promise<void>;
}

export async function startStatusServer(source: StatusSource, at: StatusAddress): Promise<StatusServer> {
  const server: Server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    if (url === '/metrics') {
      source.metrics.render().then(
        (body) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(body),
        () => res.writeHead(500).end(),
      );
    } else if (url === '/status') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(source.status()));
    } else if (url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`${source.status().state}\n`);
    } else {
      res.writeHead(404).end();
    }
  });
  // A stale socket from a killed agent would make listen fail with EADDRINUSE.
  if (at.kind === 'unix' && existsSync(at.path)) unlinkSync(at.path);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (at.kind === 'unix') server.listen(at.path, resolve);
    else server.listen(at.port, at.host, resolve);
  });
  const addr = server.address();
  const bound: StatusAddress = at.kind === 'unix' || addr === null || typeof addr === 'string' ? at : { kind: 'tcp', host: at.host, port: addr.port };
  return {
    address: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          if (at.kind === 'unix' && existsSync(at.path)) unlinkSync(at.path);
          resolve();
        });
      }),
  };
}
