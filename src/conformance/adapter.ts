/**
 * This project's MAKE implementation behind the conformance protocol: `attestflow conformance impl`
 * reads runner lines on stdin and answers on stdout, one session per `setup`.
 * `--disable-defence NAME` builds a mutant with that defence off (the mutant tests use it);
 * `--transport tcp` runs every session through the TCP driver over loopback instead of in memory.
 */
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Defences } from '../make/types.js';
import { VERSION } from '../version.js';
import { ndjsonTrace } from '../make/trace.js';
import { type PartyDone, type PartyOptions, createParty } from './party.js';
import { ConformanceError, type ImplMessage, PROTOCOL_ID, type RunnerMessage, type SetupMessage, parseRunnerLine, toLine } from './protocol.js';
import { type LiveSession, type SessionEvents, startTcpSession } from './tcp-session.js';
import { keysToWire } from './wire-keys.js';

export type Transport = 'memory' | 'tcp';

export interface AdapterOptions {
  readonly defences: Defences;
  readonly transport?: Transport;
  /** Appends every protocol step of every session to this ndjson file (src/make/trace.ts). */
  readonly tracePath?: string;
}

/** An in-memory session: the party is pumped on each frame, in line order. */
async function startMemorySession(setup: SetupMessage, defences: Defences, popts: PartyOptions, ev: SessionEvents): Promise<LiveSession> {
  const party = createParty(setup, defences, popts);
  let ended = false;
  let chain = Promise.resolve();
  const run = async (step: Promise<{ send: Uint8Array[]; done?: PartyDone }>): Promise<void> => {
    const st = await step;
    if (ended) return;
    for (const f of st.send) ev.send(f);
    if (st.done !== undefined) {
      ended = true;
      ev.done(st.done);
    }
  };
  await run(party.start());
  return {
    deliver(frame) {
      chain = chain.then(() => run(party.receive(frame)));
    },
    close() {
      ended = true;
    },
    // Lets the adapter wait for the frame's effects before reading the next line (deterministic order).
    get settled() {
      return chain;
    },
  } as LiveSession & { settled: Promise<void> };
}

/** Serves the protocol until `input` ends, then closes every open session. */
export async function runAdapter(input: Readable, output: Writable, opts: AdapterOptions): Promise<void> {
  const transport = opts.transport ?? 'memory';
  const sessions = new Map<string, LiveSession & { settled?: Promise<void> }>();
  // One replay cache per process, shared by its responder sessions, as a long-running agent keeps one.
  const replayCache = new Set<string>();
  const popts: PartyOptions = opts.tracePath === undefined ? { replayCache } : { replayCache, trace: ndjsonTrace(opts.tracePath) };
  const write = (m: ImplMessage): void => {
    output.write(toLine(m));
  };
  const eventsFor = (session: string): SessionEvents => ({
    send: (f) => write({ op: 'send', session, frame: Buffer.from(f).toString('hex') }),
    done: (d) => {
      sessions.delete(session);
      if (d.outcome === 'keys') write({ op: 'keys', session, keys: keysToWire(d.keys) });
      else write(d.detail === undefined ? { op: 'error', session, code: d.code, message: d.message } : { op: 'error', session, code: d.code, detail: d.detail, message: d.message });
    },
  });
  const handle = async (m: RunnerMessage): Promise<void> => {
    switch (m.op) {
      case 'hello':
        write({ op: 'hello', protocol: PROTOCOL_ID, impl: `attestflow ${VERSION} (${transport})` });
        return;
      case 'setup': {
        if (sessions.has(m.session)) throw new ConformanceError('conformance.protocol', `session "${m.session}" already exists`);
        const ev = eventsFor(m.session);
        // Registered before it starts: an initiator may finish (fail) while starting.
        const placeholder: LiveSession = { deliver: () => {}, close: () => {} };
        sessions.set(m.session, placeholder);
        const s = transport === 'tcp' ? await startTcpSession(m, opts.defences, popts, ev) : await startMemorySession(m, opts.defences, popts, ev);
        if (sessions.get(m.session) === placeholder) sessions.set(m.session, s);
        else s.close();
        return;
      }
      case 'recv': {
        // A frame for a finished or unknown session is dropped, as a network endpoint would.
        const s = sessions.get(m.session);
        if (s === undefined) return;
        s.deliver(new Uint8Array(Buffer.from(m.frame, 'hex')));
        await s.settled;
        return;
      }
      case 'close':
        sessions.get(m.session)?.close();
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
  for (const s of sessions.values()) s.close();
  sessions.clear();
}
