import type { CliCommand } from '../command.js';
import { agentCommand } from './agent.js';
import { auditCommand } from './audit.js';
import { benchCommand } from './bench.js';
import { demoCommand } from './demo.js';
import { evidenceCommand } from './evidence.js';
import { policyCommand } from './policy.js';
import { statusCommand } from './status.js';

/** Every subcommand of `attestflow`, in the order `--help` lists them. */
export const commands: CliCommand[] = [agentCommand, statusCommand, demoCommand, policyCommand, evidenceCommand, auditCommand, benchCommand];
