import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { readHead, verifyAuditLog } from '../../release/audit.js';
import type { CliCommand } from '../command.js';
import { readUserFile } from './policy.js';

/** `attestflow audit verify LOG`: checks a release audit log offline. */
export const auditCommand: CliCommand = {
  register(program: Command): void {
    const audit = program.command('audit').description('check the hash-chained release audit log');
    audit
      .command('verify')
      .description('verify an audit log offline: edits, removed, reordered or cut entries (exit 1 when broken, 0 when intact)')
      .argument('<log>', 'audit log (one JSON entry per line)')
      .option('--head <hash>', 'expected hash of the last entry (defaults to the LOG.head anchor beside the log)')
      .option('--no-head-file', 'ignore the LOG.head anchor file')
      .option('--json', 'print the verdict as JSON')
      .action((log: string, opts: { head?: string; headFile: boolean; json?: boolean }) => {
        if (opts.head !== undefined && !/^[0-9a-fA-F]{64}$/.test(opts.head)) throw new UsageError('--head must be 64 hex digits');
        const text = readUserFile(log);
        const head = opts.head ?? (opts.headFile ? readHead(log) : undefined);
        const v = verifyAuditLog(text, head);
        if (opts.json) process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
        else {
          for (const p of v.problems) process.stdout.write(`${log}:${p.line}: error [${p.code}]: ${p.message}\n`);
          if (v.ok) {
            process.stdout.write(`${log}: ok: ${v.entries} entries, head ${v.head}${v.anchored ? '' : ' (no head anchor: a cut at the end would not show)'}\n`);
          } else process.stdout.write(`${log}: BROKEN: ${v.problems.length} problem(s) in ${v.entries} entries\n`);
        }
        process.exitCode = v.ok ? 0 : 1;
      });
  },
};
