import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './env.js';

/** The CLI of this checkout. */
export const cliBin = join(repoRoot, 'bin', 'attestflow.js');

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `attestflow ...args` in a child process and resolves once its output is closed.
 * Asynchronous on purpose: some tests serve what the command talks to from this very process.
 */
export function runCli(...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [cliBin, ...args]);
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
