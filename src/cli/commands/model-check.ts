import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { Defences } from '../../make/types.js';
import type { CliCommand } from '../command.js';

/** `attestflow model-check`: exhaustive exploration of the MAKE and release machines, mutants, drift check. */
export const modelCheckCommand: CliCommand = {
  register(program: Command): void {
    program
      .command('model-check')
      .description('explore the MAKE and release XState machines with a Dolev-Yao attacker, exhaustively within stated bounds (not TLC)')
      .option('--mutants', 'also run one mutant per defence; each must violate an invariant')
      .option('--only-mutants', 'run only the mutants')
      .option('--mutant <defence>', 'run only this mutant (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
      .option('--drift', 'also run the spec-to-code drift check over spec/')
      .option('--max-states <n>', 'stop a run after this many states (it is then reported incomplete and fails)')
      .option('--traces', 'print the counterexample of every caught mutant')
      .action(async (opts: { mutants?: boolean; onlyMutants?: boolean; mutant: string[]; drift?: boolean; maxStates?: string; traces?: boolean }) => {
        // Loaded lazily: the explorer pulls in the machines and is not needed by other commands.
        const { runModelCheckCli } = await import('../../model/cli.js');
        const maxStates = opts.maxStates === undefined ? undefined : Number(opts.maxStates);
        if (maxStates !== undefined && !(Number.isInteger(maxStates) && maxStates > 0)) throw new UsageError('--max-states takes a positive integer');
        const ok = await runModelCheckCli({
          explore: opts.onlyMutants !== true && opts.mutant.length === 0,
          mutants: opts.mutants === true || opts.onlyMutants === true || opts.mutant.length > 0,
          only: opts.mutant as (keyof Defences)[],
          drift: opts.drift === true,
          traces: opts.traces === true,
          ...(maxStates !== undefined ? { maxStates } : {}),
          out: (s) => process.stdout.write(`${s}\n`),
        });
        if (!ok) process.exitCode = 1;
      });
  },
};
