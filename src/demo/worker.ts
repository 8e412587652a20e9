#!/usr/bin/env node
/**
 * The demo's workload processes, one per component namespace (started with nsenter by the demo):
 *   worker.js source HOST:PORT N        send N records, one JSON line each
 *   worker.js relay  LISTEN HOST:PORT   score each record and forward it
 *   worker.js sink   LISTEN N           aggregate N records, print the report
 *   worker.js probe  HOST:PORT MS       try to connect; print whether it could
 * Each prints one JSON line on stdout with its outcome. These are ordinary applications: they know
 * nothing of attestflow; the data plane protects their traffic underneath.
 */
import { connect, createServer, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { makeRecords, ReportBuilder, score, type ScoredRecord, type VitalsRecord } from './workload.js';

function hostPort(s: string): { host: string; port: number } {
  const i = s.lastIndexOf(':');
  return { host: s.slice(0, i), port: Number(s.slice(i + 1)) };
}

function out(o: unknown): void {
  process.stdout.write(`${JSON.stringify(o)}\n`);
}

function dial(to: string, timeoutMs = 10_000): Promise<Socket> {
  const { host, port } = hostPort(to);
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    const t = setTimeout(() => s.destroy(new Error(`connect to ${to} timed out after ${timeoutMs} ms`)), timeoutMs);
    s.once('connect', () => {
      clearTimeout(t);
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
  });
}

function acceptOne(listen: string): Promise<Socket> {
  const { host, port } = hostPort(listen);
  return new Promise((resolve, reject) => {
    const srv = createServer((s) => {
      srv.close();
      resolve(s);
    });
    srv.once('error', reject);
    srv.listen(port, host, () => out({ listening: listen }));
  });
}

async function main(argv: string[]): Promise<void> {
  const [mode, a, b] = argv;
  if (mode === 'source' && a && b) {
    const s = await dial(a);
    const records = makeRecords(Number(b));
    for (const r of records) s.write(`${JSON.stringify(r)}\n`);
    await new Promise<void>((res) => s.end(res));
    out({ sent: records.length });
  } else if (mode === 'relay' && a && b) {
    const inbound = await acceptOne(a);
    const next = await dial(b);
    let n = 0;
    for await (const line of createInterface({ input: inbound })) {
      if (line === '') continue;
      next.write(`${JSON.stringify(score(JSON.parse(line) as VitalsRecord))}\n`);
      n++;
    }
    await new Promise<void>((res) => next.end(res));
    out({ relayed: n });
  } else if (mode === 'sink' && a && b) {
    const inbound = await acceptOne(a);
    const rb = new ReportBuilder();
    for await (const line of createInterface({ input: inbound })) if (line !== '') rb.add(JSON.parse(line) as ScoredRecord);
    out({ report: rb.done() });
  } else if (mode === 'probe' && a && b) {
    try {
      const s = await dial(a, Number(b));
      s.destroy();
      out({ connected: true });
    } catch (e) {
      out({ connected: false, error: (e as Error).message });
    }
  } else {
    process.stderr.write('usage: worker.js source HOST:PORT N | relay LISTEN HOST:PORT | sink LISTEN N | probe HOST:PORT MS\n');
    process.exit(2);
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (e: unknown) => {
    out({ error: e instanceof Error ? e.message : String(e) });
    process.exit(1);
  },
);
