/**
 * This project's MAKE implementation behind the conformance protocol: `attestflow conformance impl`
 * reads runner lines on stdin and answers on stdout, one {@link Party} per session.
 * `--disable-defence NAME` builds a mutant with that defence off (the mutant tests use it).
 */
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Defences } from '../make/types.js';
import { VERSION } from '../version.js';
import { type Party, type PartyStep, createParty } from './party.js';
import { ConformanceError, type ImplMessage, PROTOCOL_ID, type RunnerMessage, parseRunnerLine, toLine } from './protocol.js';
import { keysToWire } from './wire-keys.js';

/** Serves the protocol until `input` ends. Sessions are independent; lines are handled in order. */
export async function runAdapter(input: Readable, output: Writable, defences: Defences): Promise<void> {
  const sessions = new Map<string, Party>();
  // One replay cache per process, shared by its responder sessions, as a long-running agent keeps one.
  const replayCache = new Set<string>();
  const write = (m: ImplMessage): void => {
    output.write(toLine(m));
  };
  const emit = (session: string, step: PartyStep): void => {
    for (const f of step.send) write({ op: 'send', session, frame: Buffer.from(f).toString('hex') });
    if (step.done === undefined) return;
    sessions.delete(session);
    if (step.done.outcome === 'keys') write({ op: 'keys', session, keys: keysToWire(step.done.keys) });
    else {
      const d = step.done;
      write(d.detail === undefined ? { op: 'error', session, code: d.code, message: d.message } : { op: 'error', session, code: d.code, detail: d.detail, message: d.message });
    }
  };
  const handle = async (m: RunnerMessage): Promise<void> => {
    switch (m.op) {
      case 'hello':
        write({ op: 'hello', protocol: PROTOCOL_ID, impl: `attestflow ${VERSION}` });
        return;
      case 'setup': {
        if (sessions.has(m.session)) throw new ConformanceError('conformance.protocol', `session "${m.session}" already exists`);
        const party = createParty(m, defences, { replayCache });
        sessions.set(m.session, party);
        emit(m.session, await party.start());
        return;
      }
      case 'recv': {
        const party = sessions.get(m.session);
        // A frame for a finished or unknown session is dropped, as a network endpoint would.
        if (party === undefined) return;
        emit(m.session, await party.receive(Buffer.from(m.frame, 'hex')));
        return;
      }
      case 'close':
        sessions.delete(m.session);
        return;
    }
  };
  const rl = createInterface({ input, crlfDelay: Infinity });
  for await (const line of rl) {
    if (line.trim() === '') continue;
    try {
      await handle(parseRunnerLine(line));
    } catch (e) {
      // A bad runner line is a bug in the runner, not in a session: say so on stderr and go on.
      process.stderr.write(`attestflow conformance impl: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
}
