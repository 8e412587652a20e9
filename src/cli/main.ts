import { Command, CommanderError } from 'commander';
import { AttestflowError, UsageError } from '../errors.js';
import { VERSION } from '../version.js';
import { commands } from './commands/index.js';

/** Exit statuses shared by every subcommand. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Builds the root `attestflow` program (exported for tests and for embedding). */
export function buildProgram(): Command {
  const program = new Command('attestflow')
    .description('attestflow: confidential workflows across mutually distrustful TEEs')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const c of commands) c.register(program);
  // Subcommands inherit exitOverride so commander never calls process.exit behind our back.
  for (const sub of program.commands) sub.exitOverride();
  return program;
}

/** Runs the CLI with `argv` (without node and script path); resolves to the exit status. */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
      // commander already printed the message (unknown command, bad option, missing argument).
      return EXIT.usage;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`attestflow: ${e.message}\n`);
      return EXIT.usage;
    }
    if (e instanceof AttestflowError) {
      process.stderr.write(`attestflow: error [${e.code}]: ${e.message}\n`);
      return EXIT.failed;
    }
    throw e;
  }
}
