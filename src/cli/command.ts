import type { Command } from 'commander';

/**
 * One CLI subcommand. Each concern registers its commands in `src/cli/commands/index.ts`; the CLI
 * builds `--help` from this list, so help only ever lists commands that exist.
 */
export interface CliCommand {
  /** Adds the subcommand (with its options and action) to the root program. */
  register(program: Command): void;
}
