import type { CliCommand } from '../command.js';
import { benchCommand } from './bench.js';
import { demoCommand } from './demo.js';
import { statusCommand } from './status.js';

/** Every subcommand of `attestflow`, in the order `--help` lists them. */
export const commands: CliCommand[] = [demoCommand, statusCommand, benchCommand];
