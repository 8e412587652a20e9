/**
 * The MAKE key schedule over {@link MakeCrypto}: transcript hashes, report data, MAC keys, the
 * confirmation key and the exported ESP keys. Both machines call these functions, so initiator
 * and responder cannot drift apart; labels and order are documented in src/make/README.md.
 */
import type { Msg1, Msg2 } from '../messages.js';
import type { MakeCrypto, MakeValue } from './values.js';

/** Every label the key schedule uses (domain separation); conformance vectors pin them. */
export const LABELS = Object.freeze({
  th1: 'MAKE1 th1',
  th2: 'MAKE1 th2',
  th3: 'MAKE1 th3',
  th4: 'MAKE1 th4',
  reportR: 'MAKE1 report R',
  reportI: 'MAKE1 report I',
  macKeyR: 'MAKE1 km R',
  macKeyI: 'MAKE1 km I',
  macR: 'MAKE1 mac R',
  macI: 'MAKE1 mac I',
  confirmKey: 'MAKE1 kc',
  confirm: 'MAKE1 confirm',
  i2rKey: 'MAKE1 esp i2r key',
  i2rSalt: 'MAKE1 esp i2r salt',
  r2iKey: 'MAKE1 esp r2i key',
  r2iSalt: 'MAKE1 esp r2i salt',
});

/** AES-128 key and RFC 4309 salt lengths of the default suite. */
export const ESP_KEY_BYTES = 16;
export const ESP_SALT_BYTES = 3;

/** Hash of message 1 (every field). */
export function th1(c: MakeCrypto, m: Msg1): MakeValue {
  return c.hash(LABELS.th1, [
    m.version, m.suite, m.nonce, m.share, m.initiator, m.responder, m.policyDigest, m.policyVersion, m.epoch, m.spi,
  ]);
}

/** Transcript through the responder's contribution to message 2 (before its evidence). */
export function th2(c: MakeCrypto, h1: MakeValue, m: Pick<Msg2, 'nonce' | 'share' | 'policyDigest' | 'policyVersion' | 'spi'>): MakeValue {
  return c.hash(LABELS.th2, [h1, m.nonce, m.share, m.policyDigest, m.policyVersion, m.spi]);
}

/** Report data of the responder's evidence: transcript so far, its component, its policy digest. */
export function reportDataR(c: MakeCrypto, h2: MakeValue, responder: string, policyDigest: MakeValue): MakeValue {
  return c.reportData(LABELS.reportR, [h2, responder, policyDigest]);
}

export function macKeyR(c: MakeCrypto, dh: MakeValue, h2: MakeValue): MakeValue {
  return c.kdf(dh, h2, LABELS.macKeyR, 32);
}

export function macKeyI(c: MakeCrypto, dh: MakeValue, h2: MakeValue): MakeValue {
  return c.kdf(dh, h2, LABELS.macKeyI, 32);
}

/** The responder's identity MAC (SIGMA): its component and evidence under the transcript. */
export function macR(c: MakeCrypto, km: MakeValue, h2: MakeValue, responder: string, evidence: MakeValue): MakeValue {
  return c.mac(km, LABELS.macR, [h2, responder, evidence]);
}

/** Transcript including all of message 2. */
export function th3(c: MakeCrypto, h2: MakeValue, evidence: MakeValue, mac: MakeValue): MakeValue {
  return c.hash(LABELS.th3, [h2, evidence, mac]);
}

/** Report data of the initiator's evidence: the whole transcript through message 2. */
export function reportDataI(c: MakeCrypto, h3: MakeValue, initiator: string, policyDigest: MakeValue): MakeValue {
  return c.reportData(LABELS.reportI, [h3, initiator, policyDigest]);
}

export function macI(c: MakeCrypto, km: MakeValue, h3: MakeValue, initiator: string, evidence: MakeValue): MakeValue {
  return c.mac(km, LABELS.macI, [h3, initiator, evidence]);
}

/** Transcript including message 3. */
export function th4(c: MakeCrypto, h3: MakeValue, evidence: MakeValue, mac: MakeValue): MakeValue {
  return c.hash(LABELS.th4, [h3, evidence, mac]);
}

/** Key confirmation tag of message 4. */
export function confirmTag(c: MakeCrypto, dh: MakeValue, h4: MakeValue): MakeValue {
  return c.mac(c.kdf(dh, h4, LABELS.confirmKey, 32), LABELS.confirm, [h4]);
}

/** Keys of one direction as the machines export them (values opaque). */
export interface ExportedSa<V = MakeValue> {
  readonly spi: number;
  readonly key: V;
  readonly salt: V;
}

/** What a finished handshake exports; with bytes it is exactly an EdgeKeys. */
export interface ExportedKeys<V = MakeValue> {
  readonly edge: string;
  readonly epoch: number;
  /** Peer component (for release and audit). */
  readonly peer: string;
  /** Transcript hash th4 (public; identifies the session in logs and traces). */
  readonly session: V;
  readonly initiatorToResponder: ExportedSa<V>;
  readonly responderToInitiator: ExportedSa<V>;
}

/** Edge identifier as the policy names it. */
export function edgeId(initiator: string, responder: string): string {
  return `${initiator}->${responder}`;
}

/**
 * Per-direction ESP keys. Each direction's SPI is the one its receiver chose: the responder's SPI
 * (message 2) for initiator → responder, the initiator's (message 1) for the reverse.
 */
export function exportKeys(c: MakeCrypto, dh: MakeValue, h4: MakeValue, m1: Msg1, spiR: number, peer: string): ExportedKeys {
  return {
    edge: edgeId(m1.initiator, m1.responder),
    epoch: m1.epoch,
    peer,
    session: h4,
    initiatorToResponder: {
      spi: spiR,
      key: c.kdf(dh, h4, LABELS.i2rKey, ESP_KEY_BYTES),
      salt: c.kdf(dh, h4, LABELS.i2rSalt, ESP_SALT_BYTES),
    },
    responderToInitiator: {
      spi: m1.spi,
      key: c.kdf(dh, h4, LABELS.r2iKey, ESP_KEY_BYTES),
      salt: c.kdf(dh, h4, LABELS.r2iSalt, ESP_SALT_BYTES),
    },
  };
}
