import type { CliCommand } from '../command.js';
import { agentCommand } from './agent.js';
import { auditCommand } from './audit.js';
import { benchCommand } from './bench.js';
import { conformanceCommand } from './conformance.js';
import { demoCommand } from './demo.js';
import { evidenceCommand } from './evidence.js';
import { modelCheckCommand } from './model-check.js';
import { policyCommand } from './policy.js';
import { statusCommand } from './status.js';

/** Every subcommand of `attestflow`, in the order `--help` lists them. */
export const commands: CliCommand[] = [
  demoCommand,
  agentCommand,
  statusCommand,
  policyCommand,
  evidenceCommand,
  auditCommand,
  conformanceCommand,
  modelCheckCommand,
  benchCommand,
];
