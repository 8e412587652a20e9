import type { Command } from 'commander';
import { fetchStatus, formatStatus } from '../../agent/status-client.js';
import { DEFAULT_STATUS_ADDRESS, parseStatusAddress } from '../../agent/status-server.js';
import type { CliCommand } from '../command.js';

/** `attestflow status`: a readable summary of a running agent, read from its status endpoint. */
export const statusCommand: CliCommand = {
  register(program: Command): void {
    program
      .command('status')
      .description("print a running agent's edges, keys, handshakes, failures and packet counters")
      .option('--endpoint <addr>', 'agent status endpoint: HOST:PORT on loopback or unix:/path', DEFAULT_STATUS_ADDRESS)
      .option('--json', 'print the raw status as JSON')
      .action(async (opts: { endpoint: string; json?: boolean }) => {
        const s = await fetchStatus(parseStatusAddress(opts.endpoint));
        process.stdout.write(opts.json ? `${JSON.stringify(s, null, 2)}\n` : formatStatus(s));
        // A person or a probe reading this wants to know at a glance whether all edges are keyed.
        if (s.edges.some((e) => e.status !== 'keyed')) process.exitCode = 1;
      });
  },
};
