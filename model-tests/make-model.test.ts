/**
 * Model-based test of MAKE: fast-check `commands` drive the real implementation (Party: bytes,
 * node:crypto, strict CBOR, sim TEEs) and the model (the same XState machines over symbolic terms,
 * symbolic TEEs) side by side through one network the test controls — deliver, drop, tamper,
 * replay, time out, revoke — and compare after every step: machine states, effects performed,
 * failure codes, messages in flight, and agreement of the exported keys.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MakeEffect, MakeEvent } from '../src/make/machines/common.js';
import type { MakeMessage } from '../src/make/messages.js';
import { eventOfBytes } from '../src/make/local.js';
import { nodeCrypto } from '../src/crypto/index.js';
import { keysDigest, Party } from '../src/make/party.js';
import { decodeMessage, encodeMessage } from '../src/wire/messages.js';
import { makeWorld } from '../test/make/fixtures.js';
import { atom, SymbolicTees, symbolicPolicy, SymParty, type Term } from './make-symbolic.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
type Dir = 'toR' | 'toI';

interface Real {
  i: Party;
  r: Party;
  toR: Uint8Array[];
  toI: Uint8Array[];
  last: Record<Dir, Uint8Array | undefined>;
  policies: ReturnType<ReturnType<typeof makeWorld>['policy']>[];
}
interface Model {
  i: SymParty;
  r: SymParty;
  toR: MakeMessage[];
  toI: MakeMessage[];
  last: Record<Dir, MakeMessage | undefined>;
  tampers: number;
  /** Effect types of the last step, real and model, for comparison. */
  fx: { real: string[]; model: string[] };
}

/** Real side: apply an event and everything it causes, collecting effect types and sent bytes. */
async function realPump(p: Party, ev: MakeEvent, raw?: Uint8Array): Promise<{ effects: MakeEffect['type'][]; sent: Uint8Array[] }> {
  const effects: MakeEffect['type'][] = [];
  const sent: Uint8Array[] = [];
  const queue: [MakeEvent, Uint8Array | undefined][] = [[ev, raw]];
  while (queue.length > 0 && !p.done) {
    const [e, b] = queue.shift() as [MakeEvent, Uint8Array | undefined];
    const fx = p.apply(e, b);
    effects.push(...fx.map((x) => x.type));
    const { events, outgoing } = await p.perform(fx);
    sent.push(...outgoing);
    for (const n of events) queue.push([n, undefined]);
  }
  return { effects, sent };
}

const outcome = (r: { ok: boolean; failure?: { code: string } } | undefined) => (r === undefined ? 'running' : r.ok ? 'ok' : (r as { failure: { code: string } }).failure.code);

function compare(m: Model, r: Real): void {
  expect(r.i.state).toBe(m.i.state);
  expect(r.r.state).toBe(m.r.state);
  expect(outcome(r.i.result as never)).toBe(outcome(m.i.result as never));
  expect(outcome(r.r.result as never)).toBe(outcome(m.r.result as never));
  expect(r.toR.length).toBe(m.toR.length);
  expect(r.toI.length).toBe(m.toI.length);
  expect(m.fx.real).toEqual(m.fx.model);
  // Agreement: when both ends exported, the real keys are identical and so are the model's terms.
  if (r.i.result?.ok && r.r.result?.ok) expect(keysDigest(r.i.result.keys)).toBe(keysDigest(r.r.result.keys));
  if (m.i.result?.ok && m.r.result?.ok) {
    const { peer: _a, ...ki } = m.i.result.keys;
    const { peer: _b, ...kr } = m.r.result.keys;
    expect(JSON.stringify(ki)).toBe(JSON.stringify(kr));
  }
}

async function deliverReal(r: Real, dir: Dir, bytes: Uint8Array, m: Model): Promise<void> {
  const to = dir === 'toR' ? r.r : r.i;
  if (to.done) {
    m.fx.real = [];
    return;
  }
  const out = await realPump(to, eventOfBytes(bytes), bytes);
  m.fx.real = out.effects;
  (dir === 'toR' ? r.toI : r.toR).push(...out.sent);
}

function deliverModel(m: Model, dir: Dir, msg: MakeMessage): void {
  const to = dir === 'toR' ? m.r : m.i;
  if (to.done) {
    m.fx.model = [];
    return;
  }
  const out = to.pump({ type: `recv.${msg.type}`, message: msg } as MakeEvent);
  m.fx.model = out.effects;
  (dir === 'toR' ? m.toI : m.toR).push(...out.sent);
}

type Cmd = fc.AsyncCommand<Model, Real, false>;

class Start implements Cmd {
  check = (m: Readonly<Model>) => m.i.state === 'idle';
  async run(m: Model, r: Real) {
    const a = await realPump(r.i, { type: 'start' });
    r.toR.push(...a.sent);
    const b = m.i.pump({ type: 'start' });
    m.toR.push(...b.sent);
    m.fx = { real: a.effects, model: b.effects };
    compare(m, r);
  }
  toString = () => 'start';
}

class Deliver implements Cmd {
  constructor(readonly dir: Dir) {}
  check = (m: Readonly<Model>) => m[this.dir].length > 0;
  async run(m: Model, r: Real) {
    const b = r[this.dir].shift() as Uint8Array;
    const s = m[this.dir].shift() as MakeMessage;
    r.last[this.dir] = b;
    m.last[this.dir] = s;
    await deliverReal(r, this.dir, b, m);
    deliverModel(m, this.dir, s);
    compare(m, r);
  }
  toString = () => `deliver ${this.dir}`;
}

class Drop implements Cmd {
  constructor(readonly dir: Dir) {}
  check = (m: Readonly<Model>) => m[this.dir].length > 0;
  async run(m: Model, r: Real) {
    r[this.dir].shift();
    m[this.dir].shift();
    m.fx = { real: [], model: [] };
    compare(m, r);
  }
  toString = () => `drop ${this.dir}`;
}

/** Re-delivers the last message delivered in that direction (a replay). */
class Replay implements Cmd {
  constructor(readonly dir: Dir) {}
  check = (m: Readonly<Model>) => m.last[this.dir] !== undefined;
  async run(m: Model, r: Real) {
    await deliverReal(r, this.dir, r.last[this.dir] as Uint8Array, m);
    deliverModel(m, this.dir, m.last[this.dir] as MakeMessage);
    compare(m, r);
  }
  toString = () => `replay ${this.dir}`;
}

/** Replaces one byte-string field of the next message: fresh random bytes for real, a fresh attacker term in the model. */
class Tamper implements Cmd {
  constructor(readonly dir: Dir, readonly pick: number) {}
  check = (m: Readonly<Model>) => m[this.dir].length > 0;
  async run(m: Model, r: Real) {
    const real = decodeMessage(r[this.dir][0] as Uint8Array) as unknown as Record<string, unknown>;
    const fields = Object.keys(real).filter((k) => real[k] instanceof Uint8Array);
    const f = fields[this.pick % fields.length] as string;
    // A fresh random value, like the model's fresh attacker term (a bit flip could be undone by a
    // second tamper of the same field, which the model cannot mirror).
    const v = nodeCrypto.randomBytes((real[f] as Uint8Array).length);
    r[this.dir][0] = encodeMessage({ ...real, [f]: v } as never);
    const sym = m[this.dir][0] as unknown as Record<string, unknown>;
    m[this.dir][0] = { ...sym, [f]: atom(`attacker${m.tampers++}`) } as unknown as MakeMessage;
    m.fx = { real: [], model: [] };
    compare(m, r);
  }
  toString = () => `tamper ${this.dir} #${this.pick}`;
}

class Timeout implements Cmd {
  constructor(readonly side: 'i' | 'r') {}
  check = () => true;
  async run(m: Model, r: Real) {
    const a = r[this.side].done ? { effects: [] } : await realPump(r[this.side], { type: 'timeout' });
    const b = m[this.side].done ? { effects: [] } : m[this.side].pump({ type: 'timeout' });
    m.fx = { real: a.effects, model: b.effects };
    compare(m, r);
  }
  toString = () => `timeout ${this.side}`;
}

class Revoke implements Cmd {
  constructor(readonly component: 'alpha' | 'beta') {}
  check = () => true;
  async run(m: Model, r: Real) {
    for (const p of r.policies) p.revoke(this.component);
    const ev: MakeEvent = { type: 'revoke', component: this.component };
    const a = [...(r.i.done ? [] : (await realPump(r.i, ev)).effects), ...(r.r.done ? [] : (await realPump(r.r, ev)).effects)];
    const b = [...(m.i.done ? [] : m.i.pump(ev).effects), ...(m.r.done ? [] : m.r.pump(ev).effects)];
    m.fx = { real: a, model: b };
    compare(m, r);
  }
  toString = () => `revoke ${this.component}`;
}

// Deliveries weigh most, so many runs get through the whole protocol; the attacker's moves are rarer.
const commands = [
  fc.oneof(
    { weight: 2, arbitrary: fc.constant(new Start()) },
    { weight: 24, arbitrary: fc.constantFrom<Dir>('toR', 'toI').map((d) => new Deliver(d)) },
    { weight: 1, arbitrary: fc.constantFrom<Dir>('toR', 'toI').map((d) => new Drop(d)) },
    { weight: 1, arbitrary: fc.constantFrom<Dir>('toR', 'toI').map((d) => new Replay(d)) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom<Dir>('toR', 'toI'), fc.nat(7)).map(([d, k]) => new Tamper(d, k)) },
    { weight: 1, arbitrary: fc.constantFrom<'i' | 'r'>('i', 'r').map((x) => new Timeout(x)) },
    { weight: 1, arbitrary: fc.constantFrom<'alpha' | 'beta'>('alpha', 'beta').map((c) => new Revoke(c)) },
  ),
];

describe('MAKE model-based test: implementation vs machines over symbolic terms', () => {
  it('agree on every step of random runs with an active network', async () => {
    let session = 0;
    let finishedBoth = 0;
    let failed = 0;
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 30, size: 'large' }), async (cmds) => {
        const w = makeWorld(9);
        const pI = w.policy();
        const pR = w.policy();
        // The symbolic verifier reports the sim root as signer, as the real one does.
        const tees = new SymbolicTees(w.root.fingerprint);
        const hexM = (b: Uint8Array) => hex(b);
        const digest: Term = atom('policy-digest');
        const s = String(session++);
        const real: Real = {
          i: Party.initiator(w.config('alpha', w.attesters.alpha, pI), 'beta', 1),
          r: Party.responder(w.config('beta', w.attesters.beta, pR)),
          toR: [], toI: [], last: { toR: undefined, toI: undefined }, policies: [pI, pR],
        };
        const model: Model = {
          i: SymParty.initiator({ self: 'alpha', measurement: hexM(w.measurements.alphaImage), role: hexM(w.roles.alpha) }, tees, symbolicPolicy(pI, digest), 'beta', 1, `i${s}`),
          r: SymParty.responder({ self: 'beta', measurement: hexM(w.measurements.betaImage), role: hexM(w.roles.beta) }, tees, symbolicPolicy(pR, digest), `r${s}`),
          toR: [], toI: [], last: { toR: undefined, toI: undefined }, tampers: 0, fx: { real: [], model: [] },
        };
        await fc.asyncModelRun(() => ({ model, real }), cmds);
        if (real.i.result?.ok && real.r.result?.ok) finishedBoth++;
        if (real.i.result?.ok === false || real.r.result?.ok === false) failed++;
      }),
      { numRuns: 250 },
    );
    // The runs reach both ends of the protocol, not only early failures.
    process.stdout.write(`model-based: ${finishedBoth} runs finished on both ends, ${failed} with a failure\n`);
    expect(finishedBoth).toBeGreaterThan(0);
    expect(failed).toBeGreaterThan(0);
  });
});
