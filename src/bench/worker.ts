/**
 * A bench worker: started by the orchestrator inside one network namespace (through nsenter), it
 * serves and drives the workloads on command. Commands arrive as JSON lines on stdin, replies leave
 * as JSON lines on stdout. It exits when stdin closes, so it can never outlive the orchestrator.
 */
import type net from 'node:net';
import { createInterface } from 'node:readline';
import { listen } from './channel.js';
import type { WorkerCommand, WorkerReply, WorkerRequest, WorkerResult } from './protocol.js';
import { echo, latencyClient } from './workloads/latency.js';
import { Collector, pipelineDriver, stage } from './workloads/pipeline.js';
import { sink, throughputClient } from './workloads/throughput.js';

const servers: net.Server[] = [];
/** Collectors by `host:port`: each transport has its own on its own network. */
const collectors = new Map<string, Collector>();

async function handle(cmd: WorkerCommand): Promise<WorkerResult> {
  switch (cmd.op) {
    case 'serve': {
      let onConn: (s: net.Socket) => void;
      const r = cmd.serve;
      if (r.role === 'echo') onConn = echo;
      else if (r.role === 'sink') onConn = sink;
      else if (r.role === 'stage') onConn = stage(cmd.spec, r.next, r.rounds, r.maxPayload);
      else {
        const c = new Collector();
        collectors.set(`${cmd.at.host}:${cmd.at.port}`, c);
        onConn = c.onConnection;
      }
      servers.push(await listen(cmd.spec, cmd.at, onConn));
      return { served: `${r.role} ${cmd.spec.kind} ${cmd.at.host}:${cmd.at.port}` };
    }
    case 'latency':
      return latencyClient(cmd.spec, cmd.to, cmd.params);
    case 'throughput':
      return throughputClient(cmd.spec, cmd.to, cmd.params);
    case 'pipeline': {
      const c = collectors.get(`${cmd.collector.host}:${cmd.collector.port}`);
      if (c === undefined) throw new Error(`no collector at ${cmd.collector.host}:${cmd.collector.port}`);
      return pipelineDriver(cmd.spec, cmd.to, c, cmd.params);
    }
    case 'stop':
      shutdown();
      return { stopped: true };
  }
}

function reply(r: WorkerReply): void {
  process.stdout.write(`${JSON.stringify(r)}\n`);
}

function shutdown(): void {
  for (const s of servers) s.close();
  setTimeout(() => process.exit(0), 50).unref();
}

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  let req: WorkerRequest;
  try {
    req = JSON.parse(line) as WorkerRequest;
  } catch {
    reply({ id: -1, ok: false, error: 'bad command line' });
    return;
  }
  handle(req.cmd).then(
    (result) => reply({ id: req.id, ok: true, result }),
    (e: unknown) => reply({ id: req.id, ok: false, error: e instanceof Error ? e.message : String(e) }),
  );
});
rl.on('close', () => process.exit(0));
