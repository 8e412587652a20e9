/**
 * The pieces of the reference implementation the conformance suite builds on, behind one seam:
 * the bytes crypto of the machines, the wire codec, and the software TEE built from a setup line.
 * Attack helpers (evidence replay, oversize frames) live here too because they need the same codecs.
 */
import { SimRoot, type SimAttester } from '../attestation/sim/index.js';
import type { Attester } from '../attestation/types.js';
import { AttestflowError } from '../errors.js';
import { bytesCrypto as makeBytesCrypto } from '../make/bytes-crypto.js';
import type { MakeCrypto } from '../make/machines/values.js';
import type { MakeMessage } from '../make/messages.js';
import { decodeEvidence, decodeMessage as wireDecode, encodeCanonical, encodeMessage as wireEncode, LIMITS } from '../wire/index.js';
import type { SetupMessage } from './protocol.js';

export type Bytes = Uint8Array;

const unhex = (s: string): Bytes => new Uint8Array(Buffer.from(s, 'hex'));
const hex = (b: Bytes): string => Buffer.from(b).toString('hex');

/** The machines' crypto over bytes (default provider). */
export const bytesCrypto: MakeCrypto<Bytes> = makeBytesCrypto();

export function encodeMessage(m: MakeMessage<Bytes>): Bytes {
  return wireEncode(m);
}

/** Decodes one frame; throws a `wire.*` {@link AttestflowError}. */
export function decodeMessage(frame: Bytes): MakeMessage<Bytes> {
  return wireDecode(frame);
}

/** The sim root public key for a seed, hex. */
export function simRootPublicKey(seedHex: string): string {
  return hex(SimRoot.fromSeed(unhex(seedHex)).publicKey);
}

/** The attester of the software TEE a setup line describes (launched under `rootSeed`). */
export function simAttesterFromSetup(s: SetupMessage): SimAttester {
  return SimRoot.fromSeed(unhex(s.tee.rootSeed)).launch({ measurement: unhex(s.tee.measurement), role: unhex(s.tee.role), deviceSeed: unhex(s.tee.attesterSeed) });
}

/** The public key of a sim TEE's device (attestation) key, hex. */
export function simDevicePublicKey(s: SetupMessage): string {
  return hex(SimRoot.fromSeed(unhex(s.tee.attesterSeed)).publicKey);
}

/** The attacker's attester: whatever it is asked to attest, it presents `evidence` recorded elsewhere. */
export function replayingAttester(evidence: Bytes): Attester {
  const ev = decodeEvidence(evidence);
  return { platform: ev.platform, attest: async () => ev };
}

/**
 * An oversized variant of a genuine frame: `field` gives message 1 an initiator name one byte over
 * its bound (well-formed CBOR otherwise); `frame` pads the message past the maximum message size.
 */
export function oversizeMessage(frame: Bytes, kind: 'field' | 'frame'): Bytes {
  if (kind === 'frame') {
    const out = new Uint8Array(LIMITS.maxMessage + 1);
    out.set(frame, 0);
    return out;
  }
  const m = wireDecode(frame);
  if (m.type !== 'm1') throw new AttestflowError('conformance.internal', 'oversize field: expected message 1');
  const long = 'a'.repeat(LIMITS.maxName + 1);
  return encodeCanonical(
    new Map<string, unknown>([
      ['t', 1], ['v', m.version], ['s', m.suite], ['n', m.nonce], ['x', m.share], ['i', long], ['r', m.responder],
      ['pd', m.policyDigest], ['pv', m.policyVersion], ['e', m.epoch], ['spi', m.spi],
    ]),
  );
}
