import type { Command } from 'commander';
import type { CliCommand } from '../command.js';
import { benchAllCommand } from './bench-all.js';
import { benchBootstrap } from './bench-bootstrap.js';
import { benchDataplaneCommand } from './bench-dataplane.js';

/**
 * `attestflow bench <what>`: one command group that several concerns fill. Each concern adds its
 * subcommand to {@link benchSubcommands} (dataplane here; bootstrap by the agent, all by the bench
 * suite) so `attestflow bench --help` lists exactly the benchmarks that exist.
 */
export interface BenchSubcommand {
  /** Adds the subcommand (name, options, action) under `attestflow bench`. */
  register(bench: Command): void;
}

/** Registry of `bench` subcommands. Append yours here, in the order `--help` lists them. */
export const benchSubcommands: BenchSubcommand[] = [benchDataplaneCommand, benchBootstrap, benchAllCommand];

/** Adds a subcommand to the `bench` group (for subcommands that live outside this file). */
export function addBenchSubcommand(sub: BenchSubcommand): void {
  benchSubcommands.push(sub);
}

export const benchCommand: CliCommand = {
  register(program: Command): void {
    const bench = program
      .command('bench')
      .description('run a benchmark and print medians with ratios against a baseline measured in the same run');
    for (const sub of benchSubcommands) sub.register(bench);
  },
};
