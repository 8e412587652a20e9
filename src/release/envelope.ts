/**
 * Sealing a released secret to one MAKE session. Both ends of a finished handshake hold the same
 * {@link EdgeKeys}; the release key is derived from them with HKDF-SHA-256 under release's own label
 * (so it is independent of the ESP keys the data plane uses), bound to the edge, epoch and
 * direction, and the secret travels under AES-256-GCM with the secret's name and the session as
 * associated data. Only the two ends of that session can open it; a copy replayed into another
 * session, edge, epoch or name fails to open.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { AttestflowError } from '../errors.js';
import type { EdgeKeys } from '../make/types.js';
import { canonicalJson } from '../policy/canonical.js';

/** HKDF info label of the release key. */
export const RELEASE_LABEL = 'attestflow/release/v1\0';

/** A sealed secret as it travels over the session. */
export interface SecretEnvelope {
  readonly edge: string;
  readonly epoch: number;
  /** Component that released it (the holder). */
  readonly from: string;
  readonly secret: string;
  /** 12-byte GCM nonce, hex. */
  readonly nonce: string;
  /** Ciphertext ‖ 16-byte tag, hex. */
  readonly sealed: string;
}

/** Failure to open an envelope (code `release.bad-envelope`). */
export class EnvelopeError extends AttestflowError {}

function releaseKey(keys: EdgeKeys, from: string): Uint8Array {
  const ikm = concatBytes(keys.initiatorToResponder.key, keys.responderToInitiator.key);
  const salt = concatBytes(keys.initiatorToResponder.salt, keys.responderToInitiator.salt);
  const info = utf8ToBytes(`${RELEASE_LABEL}${keys.edge}\0${keys.epoch}\0${from}`);
  return hkdf(sha256, ikm, salt, info, 32);
}

const aad = (e: Pick<SecretEnvelope, 'edge' | 'epoch' | 'from' | 'secret'>) =>
  utf8ToBytes(canonicalJson({ edge: e.edge, epoch: e.epoch, from: e.from, secret: e.secret }));

/** Seals `value` from component `from` to the other end of the session that exported `keys`. */
export function sealSecret(keys: EdgeKeys, from: string, secret: string, value: Uint8Array): SecretEnvelope {
  const head = { edge: keys.edge, epoch: keys.epoch, from, secret };
  const nonce = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', releaseKey(keys, from), nonce);
  c.setAAD(aad(head));
  const body = Buffer.concat([c.update(value), c.final(), c.getAuthTag()]);
  return { ...head, nonce: bytesToHex(nonce), sealed: bytesToHex(body) };
}

/** Opens an envelope with this end's copy of the session keys; throws {@link EnvelopeError}. */
export function openSecret(keys: EdgeKeys, env: SecretEnvelope): Uint8Array {
  if (env.edge !== keys.edge || env.epoch !== keys.epoch) {
    throw new EnvelopeError('release.bad-envelope', `envelope for ${env.edge}#${env.epoch} does not belong to session ${keys.edge}#${keys.epoch}`);
  }
  if (!/^[0-9a-f]{24}$/.test(env.nonce) || !/^([0-9a-f]{2}){16,}$/.test(env.sealed)) {
    throw new EnvelopeError('release.bad-envelope', 'envelope nonce or body is malformed');
  }
  const body = hexToBytes(env.sealed);
  try {
    const d = createDecipheriv('aes-256-gcm', releaseKey(keys, env.from), hexToBytes(env.nonce));
    d.setAAD(aad(env));
    d.setAuthTag(body.subarray(body.length - 16));
    return new Uint8Array(Buffer.concat([d.update(body.subarray(0, body.length - 16)), d.final()]));
  } catch (e) {
    throw new EnvelopeError('release.bad-envelope', `secret '${env.secret}' does not open under this session's keys`, undefined, { cause: e });
  }
}
