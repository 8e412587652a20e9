/**
 * The secret-fetch messages exchanged over an established MAKE session: the recipient asks for a
 * secret by name; the holder answers with the sealed secret or a refusal with the machine's
 * reason. One JSON object per message; decoding is strict (exact fields, types, lengths) and
 * every malformed input is a typed {@link ReleaseProtocolError}.
 */
import { AttestflowError } from '../errors.js';
import type { RefusalReason } from './machine.js';
import type { SecretEnvelope } from './envelope.js';

/** A request for one secret. */
export interface SecretRequest {
  readonly type: 'secret-request';
  readonly secret: string;
}
/** The secret, sealed to the session (see `sealSecret`). */
export interface SecretDelivery {
  readonly type: 'secret';
  readonly envelope: SecretEnvelope;
}
/** The holder's refusal, with the release machine's reason. */
export interface SecretRefusal {
  readonly type: 'secret-refused';
  readonly secret: string;
  readonly reason: RefusalReason;
}
/** Revocation notice for a secret released earlier on this session. */
export interface SecretRevoked {
  readonly type: 'secret-revoked';
  readonly secret: string;
}
export type ReleaseMessage = SecretRequest | SecretDelivery | SecretRefusal | SecretRevoked;

/** Malformed release message (code `release.bad-message`). */
export class ReleaseProtocolError extends AttestflowError {
  constructor(message: string) {
    super('release.bad-message', message);
  }
}

/** Largest accepted message (a sealed secret of up to 16 KiB, hex, plus framing). */
export const MAX_RELEASE_MESSAGE = 40_000;

const REASONS: readonly RefusalReason[] = [
  'unknown-session',
  'duplicate-session',
  'session-closed',
  'unknown-secret',
  'unknown-edge',
  'unknown-key',
  'not-appraised',
  'not-allowed',
  'revoked',
  'appraisal-failed',
  'rollback',
  'stopped',
];
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
type Rec = Record<string, unknown>;

function exact(o: Rec, keys: readonly string[], what: string): void {
  const have = Object.keys(o).sort();
  const want = [...keys].sort();
  if (have.length !== want.length || have.some((k, i) => k !== want[i])) {
    throw new ReleaseProtocolError(`${what} must have exactly the fields ${want.join(', ')} (got ${have.join(', ') || 'none'})`);
  }
}
function name(o: Rec, k: string): string {
  const v = o[k];
  if (typeof v !== 'string' || !NAME.test(v)) throw new ReleaseProtocolError(`${k} must be a name`);
  return v;
}
const isRec = (x: unknown): x is Rec => x !== null && typeof x === 'object' && !Array.isArray(x);

function envelope(x: unknown): SecretEnvelope {
  if (!isRec(x)) throw new ReleaseProtocolError('envelope must be an object');
  exact(x, ['edge', 'epoch', 'from', 'secret', 'nonce', 'sealed'], 'envelope');
  if (typeof x.edge !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}->[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(x.edge)) {
    throw new ReleaseProtocolError('envelope edge must be from->to');
  }
  if (!Number.isSafeInteger(x.epoch) || (x.epoch as number) < 0) throw new ReleaseProtocolError('envelope epoch must be a non-negative integer');
  if (typeof x.nonce !== 'string' || !/^[0-9a-f]{24}$/.test(x.nonce)) throw new ReleaseProtocolError('envelope nonce must be 12 bytes of lowercase hex');
  if (typeof x.sealed !== 'string' || !/^([0-9a-f]{2}){16,}$/.test(x.sealed)) throw new ReleaseProtocolError('envelope sealed must be lowercase hex of at least 16 bytes');
  return { edge: x.edge, epoch: x.epoch as number, from: name(x, 'from'), secret: name(x, 'secret'), nonce: x.nonce, sealed: x.sealed };
}

/** Encodes a message as one line of JSON. */
export function encodeReleaseMessage(m: ReleaseMessage): string {
  return JSON.stringify(m);
}

/** Decodes one message; throws {@link ReleaseProtocolError} on anything but a well-formed message. */
export function decodeReleaseMessage(text: string): ReleaseMessage {
  if (text.length > MAX_RELEASE_MESSAGE) throw new ReleaseProtocolError(`message longer than ${MAX_RELEASE_MESSAGE} characters`);
  let x: unknown;
  try {
    x = JSON.parse(text);
  } catch {
    throw new ReleaseProtocolError('not JSON');
  }
  if (!isRec(x)) throw new ReleaseProtocolError('message must be a JSON object');
  switch (x.type) {
    case 'secret-request':
      exact(x, ['type', 'secret'], 'secret-request');
      return { type: 'secret-request', secret: name(x, 'secret') };
    case 'secret':
      exact(x, ['type', 'envelope'], 'secret');
      return { type: 'secret', envelope: envelope(x.envelope) };
    case 'secret-refused': {
      exact(x, ['type', 'secret', 'reason'], 'secret-refused');
      if (!REASONS.includes(x.reason as RefusalReason)) throw new ReleaseProtocolError('unknown refusal reason');
      return { type: 'secret-refused', secret: name(x, 'secret'), reason: x.reason as RefusalReason };
    }
    case 'secret-revoked':
      exact(x, ['type', 'secret'], 'secret-revoked');
      return { type: 'secret-revoked', secret: name(x, 'secret') };
    default:
      throw new ReleaseProtocolError('unknown message type');
  }
}
