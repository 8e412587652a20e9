/**
 * Release of secrets over established MAKE sessions. Right after a handshake, on the same
 * connection, the recipient asks the holder for each secret the policy releases to it
 * (`secret-request`); the holder's release controller decides (appraised session, secret allowed
 * to that component, not revoked) and either sends the secret sealed to the session or a refusal
 * with the machine's reason. The connection stays open only while such an exchange is due.
 */
import { createHash } from 'node:crypto';
import type { CompiledPolicy } from '../policy/compile.js';
import { ReleaseController, type ReleasePort } from '../release/controller.js';
import { openSecret, sealSecret } from '../release/envelope.js';
import { decodeReleaseMessage, encodeReleaseMessage } from '../release/protocol.js';
import type { AuditLog } from '../release/audit.js';
import { reasonOf } from './errors.js';
import type { Logger } from './log.js';
import type { SessionChannel, SessionHook } from './make-keyer.js';
import type { SecretRef } from './ports.js';

export interface SecretExchangeOptions {
  readonly component: string;
  readonly policy: CompiledPolicy;
  /** Values of the secrets this component holds, by name. */
  readonly holds: Readonly<Record<string, Uint8Array>>;
  /** Secrets this component receives, and from whom (the policy's plan). */
  readonly fetches: readonly SecretRef[];
  readonly log: Logger;
  readonly audit?: AuditLog;
  /** A secret arrived and opened under its session's keys. */
  readonly received: (secret: SecretRef, value: Uint8Array) => void;
  readonly refused?: (secret: SecretRef, reason: string) => void;
  /**
   * Performs the controller's data-plane key effects (the agent's `performKeyEffect`), so keys and
   * secrets share one release controller and one audit log. Without it the controller's key
   * effects do nothing (no key is asked of it then either).
   */
  readonly keys?: (effect: 'install' | 'remove', session: string, edge: string, epoch: number) => Promise<void>;
}

/** SHA-256 of a secret's value, hex: what logs and the demo compare, never the value. */
export const secretFingerprint = (v: Uint8Array): string => createHash('sha256').update(v).digest('hex');

export class SecretExchange {
  readonly controller: ReleaseController;
  private readonly channels = new Map<string, SessionChannel>();
  private readonly have = new Set<string>();

  constructor(private readonly o: SecretExchangeOptions) {
    const port: ReleasePort = {
      sendSecret: (session, secret, value) => {
        const ch = this.channels.get(session);
        if (ch) ch.send(encodeReleaseMessage({ type: 'secret', envelope: sealSecret(ch.keys, o.component, secret, value) }));
      },
      refuseSecret: (session, secret, reason) => {
        this.channels.get(session)?.send(encodeReleaseMessage({ type: 'secret-refused', secret, reason }));
      },
      installKey: (session, edge, epoch) => o.keys?.('install', session, edge, epoch),
      removeKey: (session, edge, epoch) => o.keys?.('remove', session, edge, epoch),
      revokeSecret: (session, secret) => {
        this.channels.get(session)?.send(encodeReleaseMessage({ type: 'secret-revoked', secret }));
      },
      // Secret channels close when their exchange is done; key sessions end with their keys.
      endSession: () => undefined,
    };
    this.controller = new ReleaseController({
      policy: o.policy,
      component: o.component,
      secrets: o.holds,
      port,
      ...(o.audit ? { audit: o.audit } : {}),
    });
  }


  readonly hook: SessionHook = async (ch) => {
    const want = this.o.fetches.filter((f) => f.holder === ch.peer && !this.have.has(f.name));
    // A holder listens for requests from every peer, so that the release machine decides (and
    // audits) each one, also those it refuses.
    const serve = Object.keys(this.o.holds).length > 0;
    if (want.length === 0 && !serve) return;
    this.channels.set(ch.id, ch);
    let opened = false;
    const open = async (): Promise<void> => {
      if (!opened) await this.controller.sessionEstablished({ id: ch.id, peer: ch.peer, claims: ch.claims });
      opened = true;
    };
    try {
      if (serve) await open();
      for (const f of want) ch.send(encodeReleaseMessage({ type: 'secret-request', secret: f.name }));
      let pending = new Set(want.map((f) => f.name));
      for (;;) {
        // Waiting for answers to our requests, or (holder) briefly for the peer's requests.
        const text = await ch.next(pending.size > 0 ? 2_000 : 300);
        if (text === undefined) {
          for (const n of pending) this.o.refused?.({ name: n, holder: ch.peer }, 'release.no-answer');
          break;
        }
        let m;
        try {
          m = decodeReleaseMessage(text);
        } catch (e) {
          this.o.log.warn('bad release message', { peer: ch.peer, reason: reasonOf(e) });
          break;
        }
        if (m.type === 'secret-request') {
          // The release machine decides (and audits) every request, also ones it must refuse.
          await open();
          await this.controller.requestSecret(ch.id, m.secret);
        } else if (m.type === 'secret') {
          const ref = want.find((f) => f.name === m.envelope.secret);
          // Only what was asked for, from the holder the policy names, sealed to this very session.
          if (ref === undefined || m.envelope.from !== ch.peer) continue;
          try {
            const value = openSecret(ch.keys, m.envelope);
            this.have.add(ref.name);
            this.o.received(ref, value);
          } catch (e) {
            this.o.refused?.(ref, reasonOf(e));
          }
          pending = new Set([...pending].filter((n) => n !== ref.name));
        } else if (m.type === 'secret-refused') {
          const ref = want.find((f) => f.name === m.secret);
          if (ref) this.o.refused?.(ref, m.reason);
          pending = new Set([...pending].filter((n) => n !== m.secret));
        }
        if (pending.size === 0 && !serve) break;
      }
    } finally {
      this.channels.delete(ch.id);
      if (opened) await this.controller.sessionClosed(ch.id).catch(() => undefined);
    }
  };
}
