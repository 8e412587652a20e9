/**
 * The four MAKE messages. Generic over the value type so the machines (opaque values), the wire
 * codec (bytes) and the model checker (terms) share one definition. Field meanings: README.md.
 */
import type { MakeValue } from './machines/values.js';

/** Protocol version this implementation speaks. */
export const MAKE_VERSION = 1;

/** The one cipher suite: X25519, HKDF-SHA-256, SHA-256/512 transcripts, AES-128-CCM-16 ESP keys. */
export const MAKE_SUITE = 'MAKE1-X25519-HKDF-SHA256-AES128CCM16';

/** Message 1, initiator → responder: offer. */
export interface Msg1<V = MakeValue> {
  readonly type: 'm1';
  readonly version: number;
  readonly suite: string;
  /** Initiator nonce (32 bytes). */
  readonly nonce: V;
  /** Initiator X25519 share (32 bytes). */
  readonly share: V;
  /** The initiator's component name (claimed; bound by its evidence later). */
  readonly initiator: string;
  /** The component the initiator wants to reach. */
  readonly responder: string;
  readonly policyDigest: V;
  readonly policyVersion: number;
  /** Rekey epoch of the edge. */
  readonly epoch: number;
  /** SPI the initiator chose for the responder → initiator direction (it receives that one). */
  readonly spi: number;
}

/** Message 2, responder → initiator: share, evidence bound to the transcript, identity MAC. */
export interface Msg2<V = MakeValue> {
  readonly type: 'm2';
  readonly nonce: V;
  readonly share: V;
  readonly policyDigest: V;
  readonly policyVersion: number;
  /** SPI the responder chose for the initiator → responder direction. */
  readonly spi: number;
  /** The responder's evidence, encoded (src/wire evidence encoding). */
  readonly evidence: V;
  readonly mac: V;
}

/** Message 3, initiator → responder: evidence over the whole transcript, identity MAC. */
export interface Msg3<V = MakeValue> {
  readonly type: 'm3';
  readonly evidence: V;
  readonly mac: V;
}

/** Message 4, responder → initiator: key confirmation. */
export interface Msg4<V = MakeValue> {
  readonly type: 'm4';
  readonly confirm: V;
}

export type MakeMessage<V = MakeValue> = Msg1<V> | Msg2<V> | Msg3<V> | Msg4<V>;
export type MakeMessageType = MakeMessage['type'];
