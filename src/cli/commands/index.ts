import type { CliCommand } from '../command.js';
import { auditCommand } from './audit.js';
import { benchCommand } from './bench.js';
import { demoCommand } from './demo.js';
import { evidenceCommand } from './evidence.js';
import { modelCheckCommand } from './model-check.js';
import { policyCommand } from './policy.js';

/** Every subcommand of `attestflow`, in the order `--help` lists them. */
export const commands: CliCommand[] = [demoCommand, policyCommand, evidenceCommand, auditCommand, benchCommand, modelCheckCommand];
