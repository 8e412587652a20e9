import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { checkBackoff, DEFAULT_BACKOFF } from '../../agent/backoff.js';
import { Daemon } from '../../agent/daemon.js';
import { jsonLogger, type LogLevel } from '../../agent/log.js';
import { DEFAULT_MAKE_PORT } from '../../agent/plan.js';
import { onShutdown } from '../../agent/signals.js';
import { loadSimTee } from '../../agent/sim-tee.js';
import { DEFAULT_STATUS_ADDRESS, parseStatusAddress } from '../../agent/status-server.js';
import { UsageError } from '../../errors.js';
import type { CliCommand } from '../command.js';

interface AgentFlags {
  policy: string;
  component: string;
  simTee?: string;
  listen?: string;
  makePort: string;
  status: string;
  interface?: string;
  pinDir?: string;
  logLevel: string;
  rekeySeconds?: string;
  maxAttempts?: string;
  handshakeTimeout?: string;
  approvals?: string;
  audit?: string;
  secret: string[];
}

function int(v: string, what: string, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${what} must be an integer in ${min}..${max}, got ${v}`);
  return n;
}

/** `attestflow agent`: the node daemon (runs until SIGTERM/SIGINT; SIGHUP reloads the policy). */
export const agentCommand: CliCommand = {
  register(program: Command): void {
    program
      .command('agent')
      .description('run the node agent: attest, key every edge of a component with MAKE, install data-plane keys, rekey each epoch')
      .requiredOption('--policy <file>', 'workflow policy (YAML); SIGHUP re-reads it')
      .requiredOption('--component <name>', 'the component this node runs')
      .option('--approvals <file>', "owners' approvals of the policy (re-read with it on SIGHUP; needed for updates)")
      .option('--secret <name=file>', 'a secret this component holds (repeatable); released only as the policy says', (v: string, acc: string[]) => [...acc, v], [] as string[])
      .option('--audit <file>', 'hash-chained audit log of every release decision (keys and secrets; check it with `attestflow audit verify`)')
      .option('--sim-tee <file>', 'software TEE launch file (JSON: rootSeed, measurement, role); development only')
      .option('--listen <host:port>', 'MAKE listen address (default: the component address from the policy)')
      .option('--make-port <port>', 'MAKE TCP port of every node', String(DEFAULT_MAKE_PORT))
      .option('--status <addr>', 'status endpoint: HOST:PORT on loopback or unix:/path', DEFAULT_STATUS_ADDRESS)
      .option('--interface <ifname>', 'workflow interface to attach the eBPF data plane to (without it: no data plane)')
      .option('--pin-dir <dir>', 'bpffs directory for the data plane pins (default /sys/fs/bpf/af-agent-<component>)')
      .option('--rekey-seconds <s>', "override the policy's rekey interval")
      .option('--max-attempts <n>', 'handshake attempts per epoch before waiting for the next one', String(DEFAULT_BACKOFF.maxAttempts))
      .option('--handshake-timeout <ms>', 'deadline of one handshake attempt', '5000')
      .option('--log-level <level>', 'debug | info | warn | error', 'info')
      .action(async (f: AgentFlags) => {
        if (!['debug', 'info', 'warn', 'error'].includes(f.logLevel)) throw new UsageError(`bad --log-level ${f.logLevel}`);
        // Only the software TEE has an attester wired in the agent so far; say so instead of guessing.
        if (f.simTee === undefined) throw new UsageError('--sim-tee is required: the agent has no hardware attester wired in yet');
        const makePort = int(f.makePort, '--make-port', 1, 65535);
        let listen: { host: string; port: number } | undefined;
        if (f.listen !== undefined) {
          const m = /^([0-9.]+|localhost):(\d+)$/.exec(f.listen);
          if (!m) throw new UsageError(`bad --listen ${f.listen} (want IPv4:PORT)`);
          listen = { host: m[1] as string, port: int(m[2] as string, '--listen port', 0, 65535) };
        }
        const secrets: Record<string, Uint8Array> = {};
        for (const spec of f.secret) {
          const m = /^([A-Za-z0-9._-]+)=(.+)$/.exec(spec);
          if (!m) throw new UsageError(`bad --secret ${spec} (want NAME=FILE)`);
          try {
            secrets[m[1] as string] = new Uint8Array(readFileSync(m[2] as string));
          } catch (e) {
            throw new UsageError(`cannot read secret ${m[1]} from ${m[2]}: ${(e as Error).message}`);
          }
        }
        const log = jsonLogger({ component: f.component }, { level: f.logLevel as LogLevel });
        const daemon = new Daemon({
          policyFile: f.policy,
          secrets,
          ...(f.approvals !== undefined ? { approvalsFile: f.approvals } : {}),
          ...(f.audit !== undefined ? { auditFile: f.audit } : {}),
          component: f.component,
          attester: loadSimTee(f.simTee),
          makePort,
          ...(listen ? { listen } : {}),
          status: parseStatusAddress(f.status),
          ...(f.interface ? { dataplane: { ifname: f.interface, pinDir: f.pinDir ?? `/sys/fs/bpf/af-agent-${f.component}` } } : {}),
          log,
          backoff: checkBackoff({ ...DEFAULT_BACKOFF, maxAttempts: int(f.maxAttempts ?? String(DEFAULT_BACKOFF.maxAttempts), '--max-attempts', 1, 100) }),
          handshakeTimeoutMs: int(f.handshakeTimeout ?? '5000', '--handshake-timeout', 50, 600_000),
          ...(f.rekeySeconds !== undefined ? { rekeySeconds: int(f.rekeySeconds, '--rekey-seconds', 1, 86_400 * 30) } : {}),
        });
        // Signals are handled from before start: a SIGTERM while the data plane loads still unpins.
        const hup = (): void => void daemon.reload();
        onShutdown(async (signal) => {
          process.off('SIGHUP', hup);
          await daemon.stop(`signal ${signal}`);
          log.info('agent exiting', { signal });
        });
        await daemon.start();
        process.on('SIGHUP', hup);
        // Runs until a signal; the handler removes keys and unpins before the process exits.
        await new Promise<void>(() => undefined);
      });
  },
};
