/**
 * Reads an agent's status endpoint and renders it for people (`attestflow status`).
 */
import { request } from 'node:http';
import { AgentError } from './errors.js';
import type { AgentStatus } from './agent.js';
import { parsePrometheus } from './metrics.js';
import { formatStatusAddress, type StatusAddress } from './status-server.js';

/** The status endpoint could not be reached or answered nonsense. */
export class StatusUnavailableError extends AgentError {
  constructor(at: StatusAddress, why: string) {
    super('agent.status-unavailable', `no agent status at ${formatStatusAddress(at)}: ${why}`);
  }
}

function get(at: StatusAddress, path: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      at.kind === 'unix' ? { socketPath: at.path, path, timeout: timeoutMs } : { host: at.host, port: at.port, path, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(new StatusUnavailableError(at, `HTTP ${res.statusCode}`))));
        res.on('error', (e) => reject(new StatusUnavailableError(at, e.message)));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('error', (e) => reject(e instanceof StatusUnavailableError ? e : new StatusUnavailableError(at, e.message)));
    req.end();
  });
}

/** The agent's status snapshot plus its data-plane packet counters (from /metrics). */
export interface FetchedStatus extends AgentStatus {
  readonly packets: Readonly<Record<string, number>>;
}

export async function fetchStatus(at: StatusAddress, timeoutMs = 2_000): Promise<FetchedStatus> {
  const [statusText, metricsText] = await Promise.all([get(at, '/status', timeoutMs), get(at, '/metrics', timeoutMs)]);
  let status: AgentStatus;
  try {
    status = JSON.parse(statusText) as AgentStatus;
  } catch {
    throw new StatusUnavailableError(at, 'the /status answer is not JSON');
  }
  if (typeof status !== 'object' || status === null || typeof status.component !== 'string' || !Array.isArray(status.edges)) {
    throw new StatusUnavailableError(at, 'the /status answer is not an agent status');
  }
  const packets: Record<string, number> = {};
  for (const r of parsePrometheus(metricsText)) {
    if (r.name === 'attestflow_packets_total' && r.labels.verdict) packets[`${r.labels.direction ?? '?'}.${r.labels.verdict}`] = r.value;
  }
  return { ...status, packets };
}

/** A short, readable summary. */
export function formatStatus(s: FetchedStatus): string {
  const lines: string[] = [];
  const keyed = s.edges.filter((e) => e.status === 'keyed').length;
  lines.push(`component ${s.component}  (${s.state}, policy v${s.policyVersion}${s.listen ? `, MAKE on ${s.listen}` : ''})`);
  lines.push(`edges     ${keyed}/${s.edges.length} keyed   keys installed: ${s.keysInstalled}   handshakes: ${s.handshakes.ok} ok, ${s.handshakes.failed} failed`);
  const w = Math.max(4, ...s.edges.map((e) => e.edge.length));
  for (const e of s.edges) {
    const detail = [e.epoch !== undefined ? `epoch ${e.epoch}` : '', e.lastError ? `last error ${e.lastError}` : '', e.attempts > 1 ? `${e.attempts} attempts` : '']
      .filter(Boolean)
      .join(', ');
    lines.push(`  ${e.edge.padEnd(w)}  ${e.side.padEnd(9)}  ${e.status.padEnd(11)} ${detail}`);
  }
  const f = Object.entries(s.failures);
  if (f.length) lines.push(`failures  ${f.map(([k, v]) => `${k}=${v}`).join('  ')}`);
  const p = Object.entries(s.packets);
  if (p.length) lines.push(`packets   ${p.map(([k, v]) => `${k}=${v}`).join('  ')}`);
  if (s.secrets.length) lines.push(`secrets   ${s.secrets.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
