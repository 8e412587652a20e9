import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { checkPolicy } from '../../policy/check.js';
import { CompiledPolicy } from '../../policy/compile.js';
import { formatProblem } from '../../policy/errors.js';
import { PolicyStore, signApproval, type Approval } from '../../policy/update.js';
import type { CliCommand } from '../command.js';

/** Reads a file the user named; a missing or unreadable file is a usage error (exit 2). */
export function readUserFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

/** The version in force, from `--previous FILE` (a policy) or `--previous-version N`. */
function previousVersion(opts: { previous?: string; previousVersion?: string }): number | undefined {
  if (opts.previous !== undefined && opts.previousVersion !== undefined) throw new UsageError('give --previous or --previous-version, not both');
  if (opts.previousVersion !== undefined) {
    const n = Number(opts.previousVersion);
    if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`--previous-version must be a whole number, got '${opts.previousVersion}'`);
    return n;
  }
  if (opts.previous !== undefined) return CompiledPolicy.fromText(readUserFile(opts.previous), opts.previous).version;
  return undefined;
}

/** Reads approvals: a JSON array of {owner, signature} or one such object per line. */
function readApprovals(file: string): Approval[] {
  const text = readUserFile(file).trim();
  const ok = (x: unknown): x is Approval =>
    x !== null && typeof x === 'object' && typeof (x as Approval).owner === 'string' && typeof (x as Approval).signature === 'string';
  try {
    const items: unknown[] = text.startsWith('[') ? (JSON.parse(text) as unknown[]) : text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as unknown);
    if (!items.every(ok)) throw new Error('not {owner, signature}');
    return items;
  } catch (e) {
    throw new UsageError(`${file}: approvals must be a JSON array of {owner, signature} or one per line (${(e as Error).message})`);
  }
}

/** `attestflow policy check|digest|plan|approve|verify-update`: the workflow policy from the command line. */
export const policyCommand: CliCommand = {
  register(program: Command): void {
    const policy = program.command('policy').description('check a workflow policy, print its canonical digest or a component plan');

    policy
      .command('check')
      .description('report every problem of a policy file with file:line:column (exit 1 on problems, 0 when clean)')
      .argument('<file>', 'policy file (YAML)')
      .option('--previous <file>', 'the policy in force: the version must increase over it')
      .option('--previous-version <n>', 'the version in force: the version must increase over it')
      .option('--json', 'print the problems as JSON')
      .action((file: string, opts: { previous?: string; previousVersion?: string; json?: boolean }) => {
        const prev = previousVersion(opts);
        const r = checkPolicy(readUserFile(file), file, prev === undefined ? {} : { previousVersion: prev });
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ ok: r.problems.length === 0, problems: r.problems }, null, 2)}\n`);
        } else {
          for (const p of r.problems) process.stdout.write(`${formatProblem(p)}\n`);
          if (r.document) {
            const d = r.document;
            process.stdout.write(
              `${file}: ok: workflow ${d.workflow.name} version ${d.workflow.version}, ${d.components.length} components, ${d.edges.length} edges, ${d.secrets.length} secrets\n`,
            );
          } else process.stdout.write(`${file}: ${r.problems.length} problem(s)\n`);
        }
        process.exitCode = r.problems.length === 0 ? 0 : 1;
      });

    policy
      .command('digest')
      .description('print the canonical policy digest (SHA-256, hex): independent of formatting, key order and comments')
      .argument('<file>', 'policy file (YAML)')
      .action((file: string) => {
        process.stdout.write(`${CompiledPolicy.fromText(readUserFile(file), file).digestHex}\n`);
      });

    policy
      .command('plan')
      .description('print what one component does under the policy (peers, edges, secrets) as JSON')
      .argument('<file>', 'policy file (YAML)')
      .requiredOption('--component <name>', 'the component')
      .action((file: string, opts: { component: string }) => {
        process.stdout.write(`${JSON.stringify(CompiledPolicy.fromText(readUserFile(file), file).plan(opts.component), null, 2)}\n`);
      });

    policy
      .command('approve')
      .description("sign a policy's digest as one of its owners (prints an approval as one JSON line)")
      .argument('<file>', 'policy file (YAML)')
      .requiredOption('--owner <name>', 'the owner signing')
      .requiredOption('--key <file>', "file with the owner's Ed25519 secret key (32-byte seed, hex)")
      .action((file: string, opts: { owner: string; key: string }) => {
        const p = CompiledPolicy.fromText(readUserFile(file), file);
        const hex = readUserFile(opts.key).trim();
        if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new UsageError(`${opts.key} must hold a 32-byte Ed25519 seed as 64 hex digits`);
        if (!p.document.owners.some((o) => o.name === opts.owner)) throw new UsageError(`'${opts.owner}' is not an owner of ${file}`);
        process.stdout.write(`${JSON.stringify(signApproval(opts.owner, Buffer.from(hex, 'hex'), p))}\n`);
      });

    policy
      .command('verify-update')
      .description('check that a policy version would activate: newer than the one in force, approved by the owners both require (exit 0 yes, 1 no)')
      .argument('<file>', 'the new policy (YAML)')
      .requiredOption('--approvals <file>', 'approvals: JSON array or one JSON object per line')
      .option('--current <file>', 'the policy in force (omit for the first version)')
      .option('--current-approvals <file>', 'approvals of the policy in force (default: trusted as in force)')
      .action((file: string, opts: { approvals: string; current?: string; currentApprovals?: string }) => {
        const next = CompiledPolicy.fromText(readUserFile(file), file);
        const store = new PolicyStore();
        if (opts.current !== undefined) {
          const cur = CompiledPolicy.fromText(readUserFile(opts.current), opts.current);
          store.adopt(cur);
          if (opts.currentApprovals !== undefined) store.checkApproved(cur, readApprovals(opts.currentApprovals));
        }
        const a = store.activate(next, readApprovals(opts.approvals));
        process.stdout.write(
          `${file}: version ${a.policy.version} activates (digest ${a.policy.digestHex}); approved by ${a.approvers.join(', ')}` +
            `${a.revoked.length ? `; revokes ${a.revoked.map((r) => (r.refs === '*' ? `${r.component} (removed)` : `${r.component} (old reference values)`)).join(', ')}` : ''}\n`,
        );
      });
  },
};
