import type { Command } from 'commander';
import { AttestflowError } from '../../errors.js';
import type { CliCommand } from '../command.js';

/** `attestflow demo`: the local confidential workflow across network namespaces. */
export const demoCommand: CliCommand = {
  register(program: Command): void {
    program
      .command('demo')
      .description('run a local confidential workflow across network namespaces with the software TEE (root)')
      .action(() => {
        throw new AttestflowError('cli.not-built', 'the demo is not built yet (see the agent issue); nothing was run');
      });
  },
};
