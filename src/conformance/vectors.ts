/**
 * Conformance test vectors, generated from the reference implementation with fixed inputs:
 * the key schedule step by step, the encoding of every message, complete transcripts, and the
 * negative cases with their expected codes. `attestflow conformance vectors --dir D` writes them;
 * `--check` (and conformance/vectors.test.ts) regenerates and compares, so they cannot drift.
 */
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ks from '../make/machines/schedule.js';
import { MAKE_SUITE, MAKE_VERSION, type MakeMessage, type Msg1 } from '../make/messages.js';
import { ALL_DEFENCES } from '../make/types.js';
import { CASES } from './cases.js';
import { createParty } from './party.js';
import { PROTOCOL_ID, type SetupMessage } from './protocol.js';
import { bytesCrypto, encodeMessage, simDevicePublicKey } from './reference.js';
import { derive, setupFor } from './world.js';
import { keysToWire } from './wire-keys.js';

type Bytes = Uint8Array;
const hex = (b: Bytes): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Bytes => new Uint8Array(Buffer.from(s, 'hex'));
const b = (v: unknown): Bytes => v as Bytes;

/** The key schedule of src/make/machines/schedule.ts over fixed inputs, every intermediate value. */
function keySchedule(): unknown {
  const c = bytesCrypto;
  const x = unhex(derive('ks initiator secret'));
  const y = unhex(derive('ks responder secret'));
  const digest = unhex(derive('ks policy'));
  const m1: Msg1 = {
    type: 'm1',
    version: MAKE_VERSION,
    suite: MAKE_SUITE,
    nonce: unhex(derive('ks nonce i')),
    share: c.dhPublic(x),
    initiator: 'alice',
    responder: 'bob',
    policyDigest: digest,
    policyVersion: 3,
    epoch: 1,
    spi: 0x1000,
  };
  const core = { nonce: unhex(derive('ks nonce r')), share: c.dhPublic(y), policyDigest: digest, policyVersion: 3, spi: 0x2000 };
  const dh = b(c.dh(x, b(core.share)));
  const evidenceR = unhex(derive('ks evidence r') + derive('ks evidence r 2'));
  const evidenceI = unhex(derive('ks evidence i') + derive('ks evidence i 2'));
  const h1 = ks.th1(c, m1);
  const h2 = ks.th2(c, h1, core);
  const kmR = ks.macKeyR(c, dh, h2);
  const kmI = ks.macKeyI(c, dh, h2);
  const macR = ks.macR(c, kmR, h2, 'bob', evidenceR);
  const h3 = ks.th3(c, h2, evidenceR, macR);
  const macI = ks.macI(c, kmI, h3, 'alice', evidenceI);
  const h4 = ks.th4(c, h3, evidenceI, macI);
  const keys = ks.exportKeys(c, dh, h4, m1, core.spi, 'bob');
  return {
    description: 'MAKE key schedule (src/make/machines/schedule.ts, labels in src/make/README.md) over fixed inputs. Evidence values are opaque bytes here.',
    labels: ks.LABELS,
    inputs: {
      initiatorSecret: hex(x),
      responderSecret: hex(y),
      message1: { ...m1, nonce: hex(b(m1.nonce)), share: hex(b(m1.share)), policyDigest: hex(digest) },
      message2Core: { ...core, nonce: hex(core.nonce), share: hex(b(core.share)), policyDigest: hex(digest) },
      responderEvidence: hex(evidenceR),
      initiatorEvidence: hex(evidenceI),
    },
    outputs: {
      dh: hex(dh),
      th1: hex(b(h1)),
      th2: hex(b(h2)),
      reportDataR: hex(b(ks.reportDataR(c, h2, 'bob', digest))),
      macKeyR: hex(b(kmR)),
      macKeyI: hex(b(kmI)),
      macR: hex(b(macR)),
      th3: hex(b(h3)),
      reportDataI: hex(b(ks.reportDataI(c, h3, 'alice', digest))),
      macI: hex(b(macI)),
      th4: hex(b(h4)),
      confirm: hex(b(ks.confirmTag(c, dh, h4))),
      keys: keysToWire({
        edge: keys.edge,
        epoch: keys.epoch,
        initiatorToResponder: { spi: keys.initiatorToResponder.spi, key: b(keys.initiatorToResponder.key), salt: b(keys.initiatorToResponder.salt) },
        responderToInitiator: { spi: keys.responderToInitiator.spi, key: b(keys.responderToInitiator.key), salt: b(keys.responderToInitiator.salt) },
      }),
    },
  };
}

/** Every message type with fixed field values, and its encoding. */
function encodings(): unknown {
  const f = (label: string, n = 32): Bytes => unhex((derive(label) + derive(`${label} 2`)).slice(0, 2 * n));
  const messages: MakeMessage<Bytes>[] = [
    {
      type: 'm1',
      version: MAKE_VERSION,
      suite: MAKE_SUITE,
      nonce: f('enc nonce i'),
      share: f('enc share i'),
      initiator: 'alice',
      responder: 'bob',
      policyDigest: f('enc digest'),
      policyVersion: 3,
      epoch: 1,
      spi: 4660,
    },
    { type: 'm2', nonce: f('enc nonce r'), share: f('enc share r'), policyDigest: f('enc digest'), policyVersion: 3, spi: 4661, evidence: f('enc evidence r', 64), mac: f('enc mac r') },
    { type: 'm3', evidence: f('enc evidence i', 64), mac: f('enc mac i') },
    { type: 'm4', confirm: f('enc confirm') },
  ];
  const show = (m: MakeMessage<Bytes>): Record<string, unknown> =>
    Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v instanceof Uint8Array ? hex(v) : v]));
  return {
    description: 'Encoding of each MAKE message (src/wire) with fixed field values; byte strings hex.',
    messages: messages.map((m) => ({ type: m.type, fields: show(m), encoding: hex(encodeMessage(m)) })),
  };
}

/** A complete handshake between two reference parties with the world's fixed randomness. */
async function transcript(initiator: SetupMessage, responder: SetupMessage): Promise<unknown> {
  const i = createParty(initiator, ALL_DEFENCES);
  const r = createParty(responder, ALL_DEFENCES);
  const frames: { from: string; message: number; frame: string }[] = [];
  let no = 1;
  let toR = (await i.start()).send;
  let iDone;
  let rDone;
  while (toR.length > 0) {
    const toI: Bytes[] = [];
    for (const f of toR) {
      frames.push({ from: 'initiator', message: no++, frame: hex(f) });
      const st = await r.receive(f);
      toI.push(...st.send);
      rDone = st.done ?? rDone;
    }
    toR = [];
    for (const f of toI) {
      frames.push({ from: 'responder', message: no++, frame: hex(f) });
      const st = await i.receive(f);
      toR.push(...st.send);
      iDone = st.done ?? iDone;
    }
  }
  if (iDone?.outcome !== 'keys' || rDone?.outcome !== 'keys') throw new Error('reference transcript did not complete');
  // The sim TEE's public identity, so an implementation can check it verifies the evidence in the frames.
  const teeId = (s: SetupMessage) => ({ rootPublicKey: s.tee.rootPublicKey, attesterPublicKey: simDevicePublicKey(s) });
  return {
    description: `Complete MAKE handshake with fixed randomness: send the two setup lines to two parties and they must produce exactly these frames and keys.`,
    protocol: PROTOCOL_ID,
    setup: { initiator, responder },
    tee: { initiator: teeId(initiator), responder: teeId(responder) },
    frames,
    keys: keysToWire(iDone.keys),
  };
}

/** The negative (and positive) cases with the defence each covers and the codes expected. */
function caseTable(): unknown {
  return {
    description: 'The conformance cases (src/conformance/cases.ts): the defence each covers, the Defences flags whose removal alone lets it through, and the outcome expected.',
    cases: CASES.map((c) => ({ id: c.id, title: c.title, defence: c.defence, covers: c.covers, expect: c.expect })),
  };
}

/** Every vector file, name → contents. */
export async function generateVectors(): Promise<Map<string, string>> {
  const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;
  const out = new Map<string, string>();
  out.set('key-schedule.json', json(keySchedule()));
  out.set('encoding.json', json(encodings()));
  out.set('transcript.json', json(await transcript(setupFor({ session: 'hs', role: 'initiator', self: 'alice', peer: 'bob' }), setupFor({ session: 'hs', role: 'responder', self: 'bob' }))));
  out.set(
    'transcript-epoch7.json',
    json(await transcript(setupFor({ session: 'e7', role: 'initiator', self: 'alice', peer: 'carol', epoch: 7 }), setupFor({ session: 'e7', role: 'responder', self: 'carol' }))),
  );
  out.set('cases.json', json(caseTable()));
  return out;
}

export async function writeVectors(dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const v = await generateVectors();
  for (const [name, text] of v) await writeFile(join(dir, name), text);
  return [...v.keys()];
}

/** Names of vector files that differ from a fresh generation (missing, changed or extra .json). */
export async function checkVectors(dir: string): Promise<string[]> {
  const v = await generateVectors();
  const diffs: string[] = [];
  for (const [name, text] of v) {
    let have: string | undefined;
    try {
      have = await readFile(join(dir, name), 'utf8');
    } catch {
      have = undefined;
    }
    if (have !== text) diffs.push(have === undefined ? `${name} (missing)` : name);
  }
  let present: string[] = [];
  try {
    present = (await readdir(dir)).filter((n) => n.endsWith('.json'));
  } catch {
    present = [];
  }
  for (const n of present) if (!v.has(n)) diffs.push(`${n} (not generated any more)`);
  return diffs;
}
