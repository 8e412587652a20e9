/**
 * Runs both sides of a handshake in one process without a network, through the real wire
 * encoding: for tests, conformance vectors and model-based tests. An optional `intercept` plays the
 * network attacker (see, change, drop, or replace each message).
 */
import { isAttestflowError } from '../errors.js';
import { decodeMessage } from '../wire/messages.js';
import type { MakeEvent } from './machines/common.js';
import { Party } from './party.js';

/** Turns received bytes into the machine event (decode failures become an abort). */
export function eventOfBytes(bytes: Uint8Array, replayed?: (nonce: Uint8Array) => boolean): MakeEvent {
  try {
    const m = decodeMessage(bytes);
    switch (m.type) {
      case 'm1':
        return { type: 'recv.m1', message: m, replayed: replayed?.(m.nonce) === true };
      case 'm2':
        return { type: 'recv.m2', message: m };
      case 'm3':
        return { type: 'recv.m3', message: m };
      case 'm4':
        return { type: 'recv.m4', message: m };
    }
  } catch (e) {
    return { type: 'abort', code: 'make.malformed', detail: isAttestflowError(e) ? e.code : 'wire.malformed' };
  }
}

/** Applies an event and everything it causes locally; returns the messages to send. */
export async function pump(party: Party, event: MakeEvent, received?: Uint8Array): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  const queue: { ev: MakeEvent; raw?: Uint8Array }[] = [{ ev: event, ...(received ? { raw: received } : {}) }];
  while (queue.length > 0 && !party.done) {
    const { ev, raw } = queue.shift() as { ev: MakeEvent; raw?: Uint8Array };
    const effects = party.apply(ev, raw);
    const { events, outgoing } = await party.perform(effects);
    out.push(...outgoing);
    for (const e of events) queue.push({ ev: e });
  }
  return out;
}

export type Direction = 'i2r' | 'r2i';
/** Returns the bytes to deliver (possibly changed), or undefined to drop the message. */
export type Interceptor = (dir: Direction, bytes: Uint8Array, index: number) => Uint8Array | undefined;

/** Delivers messages back and forth until both parties finish or nothing is in flight. */
export async function runLocal(initiator: Party, responder: Party, intercept?: Interceptor, replayed?: (nonce: Uint8Array) => boolean): Promise<void> {
  let toR = await pump(initiator, { type: 'start' });
  let toI: Uint8Array[] = [];
  let n = 0;
  while ((toR.length > 0 || toI.length > 0) && !(initiator.done && responder.done)) {
    const nextToI: Uint8Array[] = [];
    const nextToR: Uint8Array[] = [];
    for (const b of toR) {
      const d = intercept ? intercept('i2r', b, n++) : b;
      if (d !== undefined && !responder.done) nextToI.push(...(await pump(responder, eventOfBytes(d, replayed), d)));
    }
    for (const b of toI) {
      const d = intercept ? intercept('r2i', b, n++) : b;
      if (d !== undefined && !initiator.done) nextToR.push(...(await pump(initiator, eventOfBytes(d), d)));
    }
    toR = nextToR;
    toI = nextToI;
  }
  // A side still waiting has nothing more coming: that is a timeout.
  if (!initiator.done) await pump(initiator, { type: 'timeout' });
  if (!responder.done) await pump(responder, { type: 'timeout' });
}
