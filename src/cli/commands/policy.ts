import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { checkPolicy } from '../../policy/check.js';
import { CompiledPolicy } from '../../policy/compile.js';
import { formatProblem } from '../../policy/errors.js';
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

/** `attestflow policy check|digest|plan`: the workflow policy from the command line. */
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
  },
};
