/**
 * What `attestflow model-check` / `npm run model-check` prints and decides: the exhaustive runs,
 * the mutants and the drift check. Returns false on any violation, incomplete run, surviving
 * mutant or drift problem.
 */
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';
import type { Defences } from '../make/types.js';
import { formatTrace } from './explorer.js';
import { checkModel, checkMutants, CI_BOUNDS, CONFIGS, DEFENCE_NAMES, formatBounds, formatResult } from './run.js';

export interface ModelCheckCliOptions {
  readonly explore: boolean;
  readonly mutants: boolean;
  readonly only: readonly (keyof Defences)[];
  readonly drift: boolean;
  readonly traces: boolean;
  readonly maxStates?: number;
  readonly out: (line: string) => void;
}

/** spec/ of the package (from dist/model or src/model alike). */
export const SPEC_DIR = fileURLToPath(new URL('../../spec', import.meta.url));

export async function runModelCheckCli(o: ModelCheckCliOptions): Promise<boolean> {
  for (const m of o.only) if (!DEFENCE_NAMES.includes(m)) throw new UsageError(`unknown defence ${m} (one of ${DEFENCE_NAMES.join(', ')})`);
  let ok = true;
  o.out('attestflow model-check: breadth-first exhaustive exploration of the XState machines of src/make');
  o.out('(initiator, responder) and src/release, with symbolic crypto and a Dolev-Yao network attacker,');
  o.out('checking every invariant in every state. This is not TLC; see spec/README.md.');

  if (o.explore) {
    let total = 0;
    let cpu0 = process.cpuUsage();
    for (const cfg of CONFIGS) {
      o.out(`\n== configuration "${cfg.name}": ${formatBounds(cfg.bounds)}; every defence on`);
      cpu0 = process.cpuUsage();
      let lastPrint = 0;
      const r = checkModel({
        bounds: cfg.bounds,
        ...(o.maxStates !== undefined ? { maxStates: o.maxStates } : {}),
        onLayer: (p) => {
          if (p.elapsedMs - lastPrint > 10_000) {
            lastPrint = p.elapsedMs;
            o.out(`   … depth ${p.depth}: ${p.states.toLocaleString('en-US')} states, ${p.transitions.toLocaleString('en-US')} transitions, ${(p.elapsedMs / 1000).toFixed(0)} s`);
          }
        },
      });
      const cpu = process.cpuUsage(cpu0);
      o.out(formatResult(r.result));
      const cpuS = (cpu.user + cpu.system) / 1e6;
      // Wall-clock rate depends on what else runs on the machine; the CPU rate does not.
      o.out(`cpu:         ${cpuS.toFixed(1)} s, ${Math.round(r.result.states / Math.max(cpuS, 1e-3)).toLocaleString('en-US')} states per CPU second`);
      total += r.result.states;
      if (r.result.violation !== undefined) {
        ok = false;
        o.out(`FAIL: ${formatTrace(r.result.violation)}`);
      } else if (!r.result.complete) {
        ok = false;
        o.out(`FAIL: the run stopped early (${r.result.stoppedBy}); the bounds were not explored exhaustively`);
      } else {
        o.out('OK: every invariant holds in every reachable state within these bounds');
      }
    }
    o.out(`\ntotal: ${total.toLocaleString('en-US')} distinct states over ${CONFIGS.length} configurations`);
  }

  if (o.mutants) {
    o.out(`\n== mutants: one defence off each; bounds of "${CONFIGS[0]?.name}": ${formatBounds(CI_BOUNDS)}`);
    const reports = checkMutants({ ...(o.only.length > 0 ? { only: o.only } : {}), ...(o.maxStates !== undefined ? { maxStates: o.maxStates } : {}) });
    for (const m of reports) {
      if (m.caught) {
        o.out(`caught   ${m.defence.padEnd(24)} ${String(m.invariant).padEnd(20)} counterexample ${m.traceLength} transitions (${m.states.toLocaleString('en-US')} states, ${(m.elapsedMs / 1000).toFixed(1)} s): ${m.message}`);
        if (o.traces && m.trace !== undefined) o.out(m.trace);
      } else {
        ok = false;
        o.out(`SURVIVED ${m.defence.padEnd(24)} no invariant violated in ${m.states.toLocaleString('en-US')} states: the model cannot tell this defence is missing`);
      }
    }
    o.out(`${reports.filter((m) => m.caught).length} of ${reports.length} mutants caught`);
  }

  if (o.drift) {
    const { checkDrift } = await import('./drift.js');
    const d = await checkDrift(SPEC_DIR);
    o.out(`\n== drift check: ${d.modules.length} modules, ${d.configs.length} TLC configs, ${d.actions} actions, ${d.events} machine events, ${d.invariants} checker predicates`);
    for (const p of d.problems) o.out(`DRIFT: ${p}`);
    if (d.problems.length > 0) ok = false;
    else o.out('OK: spec parses; actions, events and invariants map both ways');
  }
  return ok;
}
