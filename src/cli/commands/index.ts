import type { CliCommand } from '../command.js';
import { conformanceCommand } from './conformance.js';
import { demoCommand } from './demo.js';

/** Every subcommand of `attestflow`, in the order `--help` lists them. */
export const commands: CliCommand[] = [demoCommand, conformanceCommand];
