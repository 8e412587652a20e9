import type { Command } from 'commander';
import { onShutdown } from '../../agent/signals.js';
import { Demo, DemoError, formatTable } from '../../demo/run.js';
import { UsageError } from '../../errors.js';
import type { CliCommand } from '../command.js';

/** `attestflow demo`: the local confidential workflow across network namespaces. */
export const demoCommand: CliCommand = {
  register(program: Command): void {
    program
      .command('demo')
      .description('run a local confidential workflow across network namespaces with the software TEE (root)')
      .option('--records <n>', 'records to send through the pipeline', '400')
      .option('--rekey-seconds <s>', 'rekey interval written into the demo policy (>= 10)', '10')
      .option('--keep-logs <dir>', "copy the agents' JSON logs, the policy and the wire capture to this directory")
      .action(async (o: { records: string; rekeySeconds: string; keepLogs?: string }) => {
        const records = Number(o.records);
        const rekeySeconds = Number(o.rekeySeconds);
        if (!Number.isInteger(records) || records < 1 || records > 1_000_000) throw new UsageError(`--records must be an integer in 1..1000000, got ${o.records}`);
        if (!Number.isInteger(rekeySeconds) || rekeySeconds < 10 || rekeySeconds > 600) throw new UsageError(`--rekey-seconds must be an integer in 10..600, got ${o.rekeySeconds}`);
        process.stdout.write('attestflow demo: three parties, one confidential workflow, on this machine (software TEEs, network namespaces, eBPF ESP)\n');
        const demo = new Demo({ records, rekeySeconds, ...(o.keepLogs !== undefined ? { keepLogs: o.keepLogs } : {}) });
        // Interrupted: remove everything made so far, then exit 130/143.
        const sig = onShutdown(async (signal) => {
          process.stdout.write(`\ninterrupted (${signal}): cleaning up\n`);
          const left = await demo.teardown();
          process.stdout.write(left.length ? `left behind: ${left.join('; ')}\n` : 'cleaned up: no namespace, process, program or pin left\n');
        }, { watchdogMs: 30_000 });
        try {
          const r = await demo.run();
          process.stdout.write(`\n${formatTable(r.rows)}\n\n`);
          process.stdout.write(r.leftovers.length ? `left behind: ${r.leftovers.join('; ')}\n` : 'cleaned up: every namespace, process, program and pin the demo made is gone\n');
          if (!r.ok) throw new DemoError(`${r.rows.filter((x) => !x.ok).length} step(s) did not go as expected`);
        } finally {
          sig.dispose();
        }
      });
  },
};
