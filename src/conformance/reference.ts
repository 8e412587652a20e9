/**
 * The pieces of the reference implementation the conformance suite builds on, behind one seam:
 * the bytes crypto of the machines, the wire codec, and the software TEE built from a setup line.
 * Attack helpers (evidence replay, oversize frames) live here too because they need the same codecs.
 */
import { SimRoot, SimVerifier } from '../attestation/sim/index.js';
import { AttestflowError } from '../errors.js';
import { bytesCrypto as makeBytesCrypto } from '../make/bytes-crypto.js';
import type { VerifiedClaims } from '../make/machines/common.js';
import type { MakeCrypto } from '../make/machines/values.js';
import type { MakeMessage } from '../make/messages.js';
import { decodeEvidence, decodeMessage as wireDecode, encodeCanonical, encodeEvidence, encodeMessage as wireEncode, LIMITS } from '../wire/index.js';
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

/** A party's TEE as the driver sees it: make encoded evidence, verify a peer's into claims. */
export interface Tee {
  /** The attester's device public key, hex (for vectors). */
  readonly publicKey: string;
  attest(reportData: Bytes): Promise<Bytes>;
  verify(evidence: Bytes): Promise<VerifiedClaims>;
}

/** The sim root public key for a seed, hex. */
export function simRootPublicKey(seedHex: string): string {
  return hex(SimRoot.fromSeed(unhex(seedHex)).publicKey);
}

/** The software TEE a setup line describes: attester launched under `rootSeed`, verifier trusting `rootPublicKey`. */
export function teeFromSetup(s: SetupMessage): Tee {
  const deviceSeed = unhex(s.tee.attesterSeed);
  const attester = SimRoot.fromSeed(unhex(s.tee.rootSeed)).launch({ measurement: unhex(s.tee.measurement), role: unhex(s.tee.role), deviceSeed });
  const verifier = new SimVerifier([unhex(s.tee.rootPublicKey)]);
  const publicKey = hex(SimRoot.fromSeed(deviceSeed).publicKey);
  return {
    publicKey,
    attest: async (reportData) => encodeEvidence(await attester.attest(reportData)),
    async verify(evidence) {
      const c = await verifier.verify(decodeEvidence(evidence));
      return {
        platform: c.platform,
        measurement: c.measurement,
        role: c.role,
        debug: c.debug,
        reportData: unhex(c.reportData),
        ...(c.signer === undefined ? {} : { signer: c.signer }),
      };
    },
  };
}

/** The attacker's TEE: whatever it is asked to attest, it presents `evidence` recorded elsewhere. */
export function fixedEvidenceTee(inner: Tee, evidence: Bytes): Tee {
  return { publicKey: inner.publicKey, attest: async () => evidence, verify: (e) => inner.verify(e) };
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
