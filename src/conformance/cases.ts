/**
 * The conformance cases. Each plays the reference peer (this project's MAKE machines, run by the
 * runner) or a network attacker against the implementation under test, and names the defence it
 * exercises. `covers` lists the `Defences` flags whose removal alone lets the attack through; the
 * mutant test (conformance/mutants.test.ts) checks that list both ways against real mutants.
 */
import { ALL_DEFENCES, type Defences } from '../make/types.js';
import type { MakeMessage } from '../make/messages.js';
import { type Party, type PartyDone, type PartyOptions, createParty } from './party.js';
import type { SetupMessage } from './protocol.js';
import { decodeMessage, encodeMessage, oversizeMessage, replayingAttester } from './reference.js';
import { CaseFailure, type CaseContext, type ConformanceCase, type Expectation } from './runner.js';
import { type PartySpec, OTHER_ROOT_SEED, componentSpec, policy, setupFor, tee } from './world.js';
import { diffKeys, keysToWire } from './wire-keys.js';

type Bytes = Uint8Array;
type MessageNo = 1 | 2 | 3 | 4;

/** Attackers run the reference machines with the checks that would stop their own lie switched off. */
const LAX: Defences = { ...ALL_DEFENCES, policyDigest: false, transcriptBinding: false, roleBinding: false, nonceFreshness: false };

function refParty(spec: PartySpec, defences: Defences = ALL_DEFENCES, opts: PartyOptions = {}): { party: Party; setup: SetupMessage } {
  const setup = setupFor(spec);
  return { party: createParty(setup, defences, opts), setup };
}

/** Starts a party of the implementation under test. */
function implParty(ctx: CaseContext, spec: PartySpec): SetupMessage {
  const setup = setupFor(spec);
  ctx.impl.send(setup);
  return setup;
}

interface PumpOptions {
  /** Rewrites a frame the peer sends before the implementation sees it (by MAKE message number). */
  readonly tamper?: (no: MessageNo, frame: Bytes) => Bytes;
  /** Also run the reference implementation in the implementation's role and compare every frame. */
  readonly shadow?: Party;
}

/**
 * Relays frames between the implementation's `session` and the runner's `peer` until the
 * implementation ends the session. With no peer (or a finished one) any frame the
 * implementation sends means it went on with a handshake the case expected it to refuse.
 */
async function pump(
  ctx: CaseContext,
  session: string,
  implRole: 'initiator' | 'responder',
  peerOrFactory: Party | undefined | ((m1: Bytes) => Party | Promise<Party>),
  o: PumpOptions = {},
): Promise<PartyDone | undefined> {
  let peer = typeof peerOrFactory === 'function' ? undefined : peerOrFactory;
  let nextFromPeer: MessageNo = implRole === 'initiator' ? 2 : 1;
  let nextFromImpl: MessageNo = implRole === 'initiator' ? 1 : 2;
  let peerDone: PartyDone | undefined;
  const toImpl: Bytes[] = [];
  const fromPeer = (frames: Bytes[]): void => {
    for (const f of frames) {
      toImpl.push(o.tamper ? o.tamper(nextFromPeer, f) : f);
      nextFromPeer = (nextFromPeer + 2) as MessageNo;
    }
  };
  const shadowOut: Bytes[] = [];
  if (o.shadow) shadowOut.push(...(await o.shadow.start()).send);
  if (implRole === 'responder' && peer) fromPeer((await peer.start()).send);
  for (;;) {
    for (const f of toImpl.splice(0)) {
      ctx.deliver(session, f);
      if (o.shadow) shadowOut.push(...(await o.shadow.receive(f)).send);
    }
    const m = await ctx.read(session);
    if (m.op !== 'send') return peerDone;
    const frame = new Uint8Array(Buffer.from(m.frame, 'hex'));
    if (o.shadow) {
      const want = shadowOut.shift();
      if (want === undefined) throw new CaseFailure(`message ${nextFromImpl}: the reference implementation sends nothing here`);
      if (Buffer.compare(Buffer.from(want), Buffer.from(frame)) !== 0) {
        throw new CaseFailure(`message ${nextFromImpl} differs from the reference implementation with the same inputs: got ${m.frame.slice(0, 64)}…, expected ${Buffer.from(want).toString('hex').slice(0, 64)}…`);
      }
    }
    if (peer === undefined && typeof peerOrFactory === 'function' && nextFromImpl === 1) peer = await peerOrFactory(frame);
    if (peer === undefined || peerDone !== undefined) {
      throw new CaseFailure(`the implementation went on with the handshake (sent message ${nextFromImpl}) instead of refusing`);
    }
    const no = nextFromImpl;
    nextFromImpl = (nextFromImpl + 2) as MessageNo;
    const st = await peer.receive(frame);
    fromPeer(st.send);
    if (st.done !== undefined) {
      peerDone = st.done;
      if (st.done.outcome === 'error') {
        // The handshake cannot go on. An implementation that already exported keys (it skipped a
        // check the peer made) has said so by now; judge that outcome rather than the refusal.
        const refusal = `the runner's peer refused the implementation's message ${no}: ${st.done.message}`;
        const late = await ctx.read(session, Math.min(ctx.timeoutMs, 1000)).catch(() => undefined);
        if (late !== undefined && late.op !== 'send') return peerDone;
        throw new CaseFailure(refusal);
      }
    }
  }
}

/** Decodes a frame, changes it, encodes it again. */
function rewrite(frame: Bytes, change: (m: MakeMessage<Bytes>) => MakeMessage<Bytes>): Bytes {
  return encodeMessage(change(decodeMessage(frame)));
}

function flip(b: Bytes, at = b.length - 1): Bytes {
  const c = new Uint8Array(b);
  c[at] = (c[at] ?? 0) ^ 0x01;
  return c;
}

const errorExpect = (...codes: string[]): Expectation => ({ outcome: 'error', codes });

/** A positive case: the implementation and the reference peer agree on keys, frames equal the reference's. */
function handshake(implRole: 'initiator' | 'responder'): ConformanceCase {
  return {
    id: `handshake.${implRole}`,
    title: `complete handshake, implementation as ${implRole}, fixed randomness: frames and keys equal the reference implementation (conformance/vectors/transcript.json)`,
    defence: 'interoperability and determinism',
    covers: [],
    expect: { outcome: 'keys' },
    async run(ctx) {
      const s = 'hs';
      const implSpec: PartySpec = implRole === 'initiator' ? { session: s, role: 'initiator', self: 'alice', peer: 'bob' } : { session: s, role: 'responder', self: 'bob' };
      const peerSpec: PartySpec = implRole === 'initiator' ? { session: s, role: 'responder', self: 'bob' } : { session: s, role: 'initiator', self: 'alice', peer: 'bob' };
      const implSetup = implParty(ctx, implSpec);
      const peer = refParty(peerSpec);
      const shadow = createParty(implSetup, ALL_DEFENCES);
      const done = await pump(ctx, s, implRole, peer.party, { shadow });
      ctx.judged = s;
      ctx.checkKeys = (k) => {
        if (done?.outcome !== 'keys') return "the implementation exported keys, but the runner's peer never finished the handshake";
        const d = diffKeys(keysToWire(done.keys), k);
        return d === undefined ? undefined : `keys differ from the peer's: ${d}`;
      };
    },
  };
}

/** Implementation as initiator (alice → bob) against a peer the case builds from the implementation's message 1. */
async function againstResponder(
  ctx: CaseContext,
  session: string,
  makePeer: (m1: Bytes) => Party | Promise<Party>,
  o: PumpOptions & { implPolicy?: PartySpec['policy'] } = {},
): Promise<void> {
  implParty(ctx, { session, role: 'initiator', self: 'alice', peer: 'bob', ...(o.implPolicy ? { policy: o.implPolicy } : {}) });
  await pump(ctx, session, 'initiator', makePeer, o.tamper ? { tamper: o.tamper } : {});
  ctx.judged = session;
}

/** Implementation as responder (bob) against the given initiator. */
async function againstInitiator(ctx: CaseContext, session: string, peer: Party | undefined, o: PumpOptions & { implPolicy?: PartySpec['policy'] } = {}): Promise<void> {
  implParty(ctx, { session, role: 'responder', self: 'bob', ...(o.implPolicy ? { policy: o.implPolicy } : {}) });
  await pump(ctx, session, 'responder', peer, o.tamper ? { tamper: o.tamper } : {});
  ctx.judged = session;
}

/** Runs a complete handshake between two reference parties; returns every frame. */
async function referenceRun(initiator: Party, responder: Party): Promise<Bytes[]> {
  const frames: Bytes[] = [];
  let toR = (await initiator.start()).send;
  for (let round = 0; round < 4 && toR.length > 0; round++) {
    const toI: Bytes[] = [];
    for (const f of toR) {
      frames.push(f);
      toI.push(...(await responder.receive(f)).send);
    }
    toR = [];
    for (const f of toI) {
      frames.push(f);
      toR.push(...(await initiator.receive(f)).send);
    }
  }
  return frames;
}

const evidenceOf = (frame: Bytes): Bytes => {
  const m = decodeMessage(frame);
  if (m.type !== 'm2' && m.type !== 'm3') throw new Error(`expected message 2 or 3, got ${m.type}`);
  return m.evidence;
};

export const CASES: readonly ConformanceCase[] = [
  handshake('initiator'),
  handshake('responder'),

  {
    id: 'handshake.concurrent',
    title: 'two sessions of the implementation (alice → bob, alice → carol) interleaved in one process, answered in reverse order',
    defence: 'sessions are independent (no state shared between handshakes)',
    covers: [],
    expect: { outcome: 'keys' },
    async run(ctx) {
      implParty(ctx, { session: 'a', role: 'initiator', self: 'alice', peer: 'bob' });
      implParty(ctx, { session: 'b', role: 'initiator', self: 'alice', peer: 'carol' });
      const bob = refParty({ session: 'a', role: 'responder', self: 'bob' }).party;
      const carol = refParty({ session: 'b', role: 'responder', self: 'carol' }).party;
      const m1a = await ctx.frame('a', 'message 1 of session a');
      const m1b = await ctx.frame('b', 'message 1 of session b');
      const m2b = (await carol.receive(m1b)).send;
      const m2a = (await bob.receive(m1a)).send;
      for (const f of m2b) ctx.deliver('b', f);
      for (const f of m2a) ctx.deliver('a', f);
      const m3b = await ctx.frame('b', 'message 3 of session b');
      const m3a = await ctx.frame('a', 'message 3 of session a');
      const rb = await carol.receive(m3b);
      const ra = await bob.receive(m3a);
      for (const f of ra.send) ctx.deliver('a', f);
      for (const f of rb.send) ctx.deliver('b', f);
      for (const [session, done] of [['a', ra.done], ['b', rb.done]] as const) {
        if (done?.outcome !== 'keys') throw new CaseFailure(`session ${session}: the runner's peer did not finish: ${done?.outcome === 'error' ? done.message : 'no outcome'}`);
        const o = await ctx.outcome(session);
        if (o.outcome !== 'keys') throw new CaseFailure(`session ${session}: expected keys, got error ${o.code}`);
        const d = diffKeys(keysToWire(done.keys), o.keys);
        if (d !== undefined) throw new CaseFailure(`session ${session}: keys differ from the peer's: ${d}`);
      }
      ctx.judged = 'a';
    },
  },

  {
    id: 'handshake.rekey',
    title: 'the same edge keyed again at epoch 2 in the same process, with fresh randomness: new keys, equal to the peer\'s',
    defence: 'every epoch is a fresh exchange (no key reuse across rekeys)',
    covers: [],
    expect: { outcome: 'keys' },
    async run(ctx) {
      const keys: string[] = [];
      for (const epoch of [1, 2]) {
        const s = `e${epoch}`;
        implParty(ctx, { session: s, role: 'responder', self: 'bob' });
        const peer = refParty({ session: s, role: 'initiator', self: 'alice', peer: 'bob', epoch }).party;
        const done = await pump(ctx, s, 'responder', peer);
        const o = await ctx.outcome(s);
        if (o.outcome !== 'keys') throw new CaseFailure(`epoch ${epoch}: expected keys, got error ${o.code}`);
        if (done?.outcome !== 'keys') throw new CaseFailure(`epoch ${epoch}: the implementation exported keys, but the runner's peer never finished the handshake`);
        const d = diffKeys(keysToWire(done.keys), o.keys);
        if (d !== undefined) throw new CaseFailure(`epoch ${epoch}: keys differ from the peer's: ${d}`);
        if (o.keys.epoch !== epoch) throw new CaseFailure(`epoch ${epoch}: keys exported for epoch ${o.keys.epoch}`);
        keys.push(o.keys.initiatorToResponder.key, o.keys.responderToInitiator.key);
      }
      if (new Set(keys).size !== keys.length) throw new CaseFailure('a key of epoch 2 repeats a key of epoch 1');
      ctx.judged = 'e2';
    },
  },

  // ---- tampering and MACs
  {
    id: 'neg.tampered-msg2',
    title: "the network changes the responder's nonce in message 2",
    defence: 'transcript hash over message 2 (identity MAC, then evidence report data)',
    covers: [],
    expect: errorExpect('make.bad-mac', 'make.report-data'),
    run: (ctx) =>
      againstResponder(ctx, 'c', () => refParty({ session: 'c', role: 'responder', self: 'bob' }).party, {
        tamper: (no, f) => (no === 2 ? rewrite(f, (m) => (m.type === 'm2' ? { ...m, nonce: flip(m.nonce, 0) } : m)) : f),
      }),
  },
  {
    id: 'neg.tampered-msg3',
    title: "the network changes a byte of the initiator's evidence in message 3",
    defence: 'identity MAC over the evidence, then the evidence signature',
    covers: [],
    expect: errorExpect('make.bad-mac', 'make.evidence'),
    run: (ctx) =>
      againstInitiator(ctx, 'c', refParty({ session: 'c', role: 'initiator', self: 'alice', peer: 'bob' }).party, {
        tamper: (no, f) => (no === 3 ? rewrite(f, (m) => (m.type === 'm3' ? { ...m, evidence: flip(m.evidence, Math.floor(m.evidence.length / 2)) } : m)) : f),
      }),
  },
  {
    id: 'neg.bad-mac-msg2',
    title: "the responder's identity MAC in message 2 is wrong",
    defence: 'identity MAC (SIGMA) checked by the initiator',
    covers: ['keyConfirmation'],
    expect: errorExpect('make.bad-mac'),
    run: (ctx) =>
      againstResponder(ctx, 'c', () => refParty({ session: 'c', role: 'responder', self: 'bob' }).party, {
        tamper: (no, f) => (no === 2 ? rewrite(f, (m) => (m.type === 'm2' ? { ...m, mac: flip(m.mac) } : m)) : f),
      }),
  },
  {
    id: 'neg.bad-mac-msg3',
    title: "the initiator's identity MAC in message 3 is wrong",
    defence: 'identity MAC (SIGMA) checked by the responder',
    covers: ['keyConfirmation'],
    expect: errorExpect('make.bad-mac'),
    run: (ctx) =>
      againstInitiator(ctx, 'c', refParty({ session: 'c', role: 'initiator', self: 'alice', peer: 'bob' }).party, {
        tamper: (no, f) => (no === 3 ? rewrite(f, (m) => (m.type === 'm3' ? { ...m, mac: flip(m.mac) } : m)) : f),
      }),
  },
  {
    id: 'neg.bad-confirm-msg4',
    title: 'the key confirmation in message 4 is wrong',
    defence: 'key confirmation before export',
    covers: ['keyConfirmation'],
    expect: errorExpect('make.bad-confirm'),
    run: (ctx) =>
      againstResponder(ctx, 'c', () => refParty({ session: 'c', role: 'responder', self: 'bob' }).party, {
        tamper: (no, f) => (no === 4 ? rewrite(f, (m) => (m.type === 'm4' ? { ...m, confirm: flip(m.confirm) } : m)) : f),
      }),
  },

  // ---- replay and relay
  {
    id: 'neg.replayed-evidence',
    title: "the attacker answers a new session with bob's genuine evidence recorded in an earlier session",
    defence: 'evidence report data bound to this transcript',
    covers: ['transcriptBinding'],
    expect: errorExpect('make.report-data'),
    async run(ctx) {
      // Session 1: an honest handshake the attacker records.
      const bob = refParty({ session: 'old', role: 'responder', self: 'bob' });
      await againstResponder(ctx, 'old', () => bob.party);
      const old = await ctx.outcome('old');
      if (old.outcome !== 'keys') throw new CaseFailure(`the honest earlier session failed: ${old.code}`);
      const m2 = bob.party.sent[0];
      if (m2 === undefined) throw new CaseFailure('the honest earlier session ended before the genuine bob answered');
      const recorded = evidenceOf(m2);
      // Session 2: the attacker (no TEE) plays bob with its own share and the old evidence.
      await againstResponder(ctx, 'new', () => {
        const s = setupFor({ session: 'new', role: 'responder', self: 'bob', random: 'attacker' });
        return createParty(s, LAX, { attester: replayingAttester(recorded) });
      });
    },
  },
  {
    id: 'neg.relayed-evidence',
    title: "the attacker relays message 1 to the genuine bob with its own share and forwards bob's evidence",
    defence: 'evidence report data bound to this transcript (both DH shares)',
    covers: ['transcriptBinding'],
    expect: errorExpect('make.report-data'),
    run: (ctx) =>
      againstResponder(ctx, 'c', async (m1) => {
        // The attacker's own share in the relayed copy of message 1; bob attests over that transcript.
        const attackerI = refParty({ session: 'relay', role: 'initiator', self: 'alice', peer: 'bob', random: 'attacker i' });
        const attackerM1 = decodeMessage((await attackerI.party.start()).send[0] as Bytes);
        const relayed = rewrite(m1, (m) => (m.type === 'm1' && attackerM1.type === 'm1' ? { ...m, share: attackerM1.share } : m));
        const bob = refParty({ session: 'relay', role: 'responder', self: 'bob', random: 'relay bob' });
        const m2 = (await bob.party.receive(relayed)).send[0];
        if (m2 === undefined) throw new CaseFailure('the genuine bob did not answer the relayed message 1');
        const s = setupFor({ session: 'c', role: 'responder', self: 'bob', random: 'attacker r' });
        return createParty(s, LAX, { attester: replayingAttester(evidenceOf(m2)) });
      }),
  },
  {
    id: 'neg.relayed-evidence-msg3',
    title: "the attacker answers bob with alice's genuine evidence from alice's concurrent session with carol",
    defence: 'evidence report data bound to this transcript (responder side)',
    covers: ['transcriptBinding'],
    expect: errorExpect('make.report-data'),
    async run(ctx) {
      const alice = refParty({ session: 'other', role: 'initiator', self: 'alice', peer: 'carol' });
      const carol = refParty({ session: 'other', role: 'responder', self: 'carol' });
      const frames = await referenceRun(alice.party, carol.party);
      const aliceEvidence = evidenceOf(frames[2] as Bytes);
      const s = setupFor({ session: 'c', role: 'initiator', self: 'alice', peer: 'bob', random: 'attacker i' });
      await againstInitiator(ctx, 'c', createParty(s, LAX, { attester: replayingAttester(aliceEvidence) }));
    },
  },
  {
    id: 'neg.identity-misbinding',
    title: "the attacker readdresses alice's message 1 to carol and hands carol's genuine answer to alice as bob's (unknown key share)",
    defence: 'identities bound by the MAC and the evidence (SIGMA identity protection)',
    covers: [],
    expect: errorExpect('make.bad-mac', 'make.role', 'make.report-data'),
    run: (ctx) =>
      againstResponder(ctx, 'c', (m1) => {
        // The genuine carol sees a well-formed offer from alice to carol; alice sees carol's reply.
        const carol = refParty({ session: 'c', role: 'responder', self: 'carol' }).party;
        return {
          sent: carol.sent,
          start: () => carol.start(),
          receive: (f: Bytes) => carol.receive(f === m1 ? rewrite(f, (m) => (m.type === 'm1' ? { ...m, responder: 'carol' } : m)) : f),
        };
      }),
  },
  {
    id: 'neg.reflected-nonce',
    title: "a responder echoes the initiator's own nonce in message 2",
    defence: 'nonce freshness (reflection)',
    covers: ['nonceFreshness'],
    expect: errorExpect('make.replay'),
    run: (ctx) =>
      againstResponder(ctx, 'c', (m1) => {
        const d = decodeMessage(m1);
        if (d.type !== 'm1') throw new CaseFailure('message 1 did not decode as message 1');
        const s = setupFor({ session: 'c', role: 'responder', self: 'bob' });
        const echo = { ...s, random: { ...s.random, nonce: Buffer.from(d.nonce).toString('hex') } };
        return createParty(echo, LAX);
      }),
  },
  {
    id: 'neg.replayed-msg1',
    title: 'message 1 of a finished session is replayed to the responder',
    defence: "nonce freshness (the responder's replay cache)",
    covers: ['nonceFreshness'],
    expect: errorExpect('make.replay'),
    async run(ctx) {
      const alice = refParty({ session: 'old', role: 'initiator', self: 'alice', peer: 'bob' });
      await againstInitiator(ctx, 'old', alice.party);
      const old = await ctx.outcome('old');
      if (old.outcome !== 'keys') throw new CaseFailure(`the honest earlier session failed: ${old.code}`);
      implParty(ctx, { session: 'new', role: 'responder', self: 'bob' });
      ctx.deliver('new', alice.party.sent[0] as Bytes);
      await pump(ctx, 'new', 'responder', undefined);
      ctx.judged = 'new';
    },
  },

  // ---- diversion (role binding)
  {
    id: 'neg.wrong-role',
    title: "carol's genuine TEE (bob's image, carol's role) answers as bob",
    defence: 'launch-time role bound by the verifier (no diversion)',
    covers: ['roleBinding'],
    expect: errorExpect('make.role'),
    run: (ctx) => againstResponder(ctx, 'c', () => refParty({ session: 'c', role: 'responder', self: 'bob', tee: tee('carol') }, LAX).party),
  },
  {
    id: 'neg.wrong-role-initiator',
    title: "dave's genuine TEE (alice's image, dave's role) connects to bob as alice",
    defence: 'launch-time role bound by the verifier, responder side',
    covers: ['roleBinding'],
    expect: errorExpect('make.role'),
    run: (ctx) => againstInitiator(ctx, 'c', refParty({ session: 'c', role: 'initiator', self: 'alice', peer: 'bob', tee: tee('dave') }, LAX).party),
  },

  // ---- policy
  {
    id: 'neg.policy-digest',
    title: 'the responder runs another policy (same version, other digest)',
    defence: 'policy digest agreement',
    covers: ['policyDigest'],
    expect: errorExpect('make.policy-digest'),
    run: (ctx) => againstResponder(ctx, 'c', () => refParty({ session: 'c', role: 'responder', self: 'bob', policy: policy({ label: 'other' }) }, LAX).party),
  },
  {
    id: 'neg.policy-digest-responder',
    title: 'the initiator runs another policy (same version, other digest)',
    defence: 'policy digest agreement, responder side',
    covers: ['policyDigest'],
    expect: errorExpect('make.policy-digest'),
    run: (ctx) => againstInitiator(ctx, 'c', refParty({ session: 'c', role: 'initiator', self: 'alice', peer: 'bob', policy: policy({ label: 'other' }) }, LAX).party),
  },
  {
    id: 'neg.policy-downgrade',
    title: 'the initiator offers an older policy version (2 < 3)',
    defence: 'no policy downgrade',
    covers: ['policyDigest'],
    expect: errorExpect('make.policy-downgrade'),
    run: (ctx) => againstInitiator(ctx, 'c', refParty({ session: 'c', role: 'initiator', self: 'alice', peer: 'bob', policy: policy({ version: 2 }) }, LAX).party),
  },
  {
    id: 'neg.policy-downgrade-initiator',
    title: 'the responder answers with an older policy version (2 < 3)',
    defence: 'no policy downgrade, initiator side',
    covers: ['policyDigest'],
    expect: errorExpect('make.policy-downgrade'),
    run: (ctx) => againstResponder(ctx, 'c', () => refParty({ session: 'c', role: 'responder', self: 'bob', policy: policy({ version: 2 }) }, LAX).party),
  },
  {
    id: 'neg.suite-downgrade',
    title: 'message 1 offers a suite the responder does not accept',
    defence: 'suite negotiation (no downgrade)',
    covers: [],
    expect: errorExpect('make.suite'),
    run: (ctx) =>
      againstInitiator(
        ctx,
        'c',
        refParty({ session: 'c', role: 'initiator', self: 'alice', peer: 'bob' }, ALL_DEFENCES, { suite: 'MAKE0-X25519-HKDF-SHA256-NULL' }).party,
      ),
  },
  {
    id: 'neg.version',
    title: 'message 1 speaks another protocol version',
    defence: 'version negotiation',
    covers: [],
    expect: errorExpect('make.version'),
    run: (ctx) => againstInitiator(ctx, 'c', refParty({ session: 'c', role: 'initiator', self: 'alice', peer: 'bob' }, ALL_DEFENCES, { version: 0 }).party),
  },
  {
    id: 'neg.revoked-peer',
    title: "the initiator's policy has revoked bob",
    defence: 'revocation check before export',
    covers: ['revocationCheck'],
    expect: errorExpect('make.revoked'),
    run: (ctx) => againstResponder(ctx, 'c', () => refParty({ session: 'c', role: 'responder', self: 'bob' }).party, { implPolicy: policy({ revoked: ['bob'] }) }),
  },

  {
    id: 'neg.low-order-share',
    title: "message 2 carries an all-zero (low-order) X25519 share",
    defence: 'DH share validation',
    covers: [],
    expect: errorExpect('make.bad-share'),
    run: (ctx) =>
      againstResponder(ctx, 'c', () => refParty({ session: 'c', role: 'responder', self: 'bob' }).party, {
        tamper: (no, f) => (no === 2 ? rewrite(f, (m) => (m.type === 'm2' ? { ...m, share: new Uint8Array(32) } : m)) : f),
      }),
  },
  {
    id: 'neg.wrong-responder',
    title: "message 1 addressed to carol is delivered to bob",
    defence: 'message 1 must name this responder',
    covers: [],
    expect: errorExpect('make.wrong-responder'),
    run: (ctx) => againstInitiator(ctx, 'c', refParty({ session: 'c', role: 'initiator', self: 'alice', peer: 'carol' }).party),
  },
  {
    id: 'neg.edge-not-allowed',
    title: 'carol (named by the policy) initiates to bob over an edge the policy does not allow',
    defence: 'policy edge check',
    covers: [],
    expect: errorExpect('make.edge-not-allowed'),
    run: (ctx) => {
      // carol's own copy of the policy allows the edge; bob's does not.
      const s = setupFor({ session: 'c', role: 'initiator', self: 'carol', peer: 'bob' });
      const lax = { ...s, policy: { ...s.policy, edges: [...s.policy.edges, ['carol', 'bob'] as const] } };
      return againstInitiator(ctx, 'c', createParty(lax, ALL_DEFENCES));
    },
  },

  // ---- appraisal
  {
    id: 'neg.untrusted-root',
    title: 'bob answers with evidence from a sim root the policy does not trust',
    defence: 'evidence verified to a trusted root',
    covers: [],
    expect: errorExpect('make.evidence'),
    run: (ctx) => againstResponder(ctx, 'c', () => refParty({ session: 'c', role: 'responder', self: 'bob', tee: tee('bob', { rootSeed: OTHER_ROOT_SEED }) }).party),
  },
  {
    id: 'neg.wrong-measurement',
    title: "bob's TEE reports a measurement the policy does not accept",
    defence: 'measurement appraisal',
    covers: [],
    expect: errorExpect('make.measurement'),
    run: (ctx) =>
      againstResponder(ctx, 'c', () => refParty({ session: 'c', role: 'responder', self: 'bob', tee: tee('bob', { measurement: componentSpec('mallory').measurement }) }).party),
  },
  {
    id: 'neg.unknown-initiator',
    title: 'message 1 claims a component the policy does not name',
    defence: 'policy names the peer',
    covers: [],
    expect: errorExpect('make.unknown-component'),
    run: (ctx) => {
      const s = setupFor({ session: 'c', role: 'initiator', self: 'mallory', peer: 'bob', tee: tee('mallory') });
      const withMallory = { ...s, policy: { ...s.policy, components: { ...s.policy.components, mallory: componentSpec('mallory') }, edges: [...s.policy.edges, ['mallory', 'bob'] as const] } };
      return againstInitiator(ctx, 'c', createParty(withMallory, ALL_DEFENCES));
    },
  },

  // ---- framing
  {
    id: 'neg.truncated-msg1',
    title: 'message 1 loses its last byte',
    defence: 'strict decoding (truncated frame)',
    covers: [],
    expect: errorExpect('make.malformed'),
    run: (ctx) => againstInitiator(ctx, 'c', refParty({ session: 'c', role: 'initiator', self: 'alice', peer: 'bob' }).party, { tamper: (no, f) => (no === 1 ? f.subarray(0, f.length - 1) : f) }),
  },
  {
    id: 'neg.truncated-msg2',
    title: 'message 2 is cut in half',
    defence: 'strict decoding (truncated frame)',
    covers: [],
    expect: errorExpect('make.malformed'),
    run: (ctx) =>
      againstResponder(ctx, 'c', () => refParty({ session: 'c', role: 'responder', self: 'bob' }).party, { tamper: (no, f) => (no === 2 ? f.subarray(0, f.length >> 1) : f) }),
  },
  {
    id: 'neg.trailing-bytes-msg3',
    title: 'message 3 carries one extra byte after its encoding',
    defence: 'strict decoding (oversized frame: trailing bytes)',
    covers: [],
    expect: errorExpect('make.malformed'),
    run: (ctx) =>
      againstInitiator(ctx, 'c', refParty({ session: 'c', role: 'initiator', self: 'alice', peer: 'bob' }).party, {
        tamper: (no, f) => (no === 3 ? new Uint8Array([...f, 0]) : f),
      }),
  },
  {
    id: 'neg.oversized-field-msg1',
    title: 'message 1 names an initiator component longer than the encoding allows',
    defence: 'strict decoding (field over its bound)',
    covers: [],
    expect: errorExpect('make.malformed'),
    run: (ctx) =>
      againstInitiator(ctx, 'c', refParty({ session: 'c', role: 'initiator', self: 'alice', peer: 'bob' }).party, {
        tamper: (no, f) => (no === 1 ? oversizeMessage(f, 'field') : f),
      }),
  },
  {
    id: 'neg.oversized-frame-msg2',
    title: 'message 2 arrives in a frame larger than the maximum frame size',
    defence: 'strict decoding (frame over the maximum size)',
    covers: [],
    expect: errorExpect('make.malformed'),
    run: (ctx) =>
      againstResponder(ctx, 'c', () => refParty({ session: 'c', role: 'responder', self: 'bob' }).party, {
        tamper: (no, f) => (no === 2 ? oversizeMessage(f, 'frame') : f),
      }),
  },
  {
    id: 'neg.unexpected-message',
    title: 'the responder receives message 3 before message 1',
    defence: 'state machine accepts only the expected message',
    covers: [],
    expect: errorExpect('make.unexpected-message'),
    async run(ctx) {
      const alice = refParty({ session: 'other', role: 'initiator', self: 'alice', peer: 'carol' });
      const carol = refParty({ session: 'other', role: 'responder', self: 'carol' });
      const frames = await referenceRun(alice.party, carol.party);
      implParty(ctx, { session: 'c', role: 'responder', self: 'bob' });
      ctx.deliver('c', frames[2] as Bytes);
      await pump(ctx, 'c', 'responder', undefined);
      ctx.judged = 'c';
    },
  },
];
