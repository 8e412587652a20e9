#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/cli/main.js (built by `npm run build`, run by the setup script).
import { runCli } from '../dist/cli/main.js';

runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`attestflow: internal error: ${e && e.stack ? e.stack : e}\n`);
    process.exit(70);
  },
);
