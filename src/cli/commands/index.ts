import type { CliCommand } from '../command.js';
import { demoCommand } from './demo.js';
import { evidenceCommand } from './evidence.js';

/** Every subcommand of `attestflow`, in the order `--help` lists them. */
export const commands: CliCommand[] = [demoCommand, evidenceCommand];
