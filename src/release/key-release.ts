/**
 * Data-plane keys through release: every epoch of an edge is one release session. The agent's
 * verified MAKE result opens it (appraised again by the controller), `INSTALL_KEY` asks for the
 * install, `RETIRE_KEY` + `SESSION_CLOSED` end it. The install and removal themselves are the
 * controller's `install-key` / `remove-key` effects, performed through its `ReleasePort` — so a
 * revocation (`POLICY_ACTIVATED`, `REVOKE`) or `STOP` removes keys the same way, and all of it is
 * audited. Shaped structurally like the agent's `KeyRelease` port (release does not import agent).
 */
import type { Claims } from '../attestation/types.js';
import type { ReleaseController } from './controller.js';
import type { ReleaseEffect } from './machine.js';

/** What the gate needs of a verified handshake. */
export interface KeyedSession {
  readonly keys: { readonly edge: string; readonly epoch: number };
  readonly peer: { readonly component: string; readonly claims: Claims };
}

const refusal = (effects: readonly ReleaseEffect[]): string | undefined => {
  const r = effects.find((e) => e.type === 'refuse');
  return r?.type === 'refuse' ? r.reason : undefined;
};

export class KeyReleaseGate {
  /** `controller` is a function so the gate can be built before the controller that uses its port. */
  constructor(private readonly controller: () => ReleaseController) {}

  async release(session: string, r: KeyedSession): Promise<string | undefined> {
    const ctl = this.controller();
    const opened = await ctl.sessionEstablished({ id: session, peer: r.peer.component, claims: r.peer.claims });
    // An appraisal failure tears the session down in the machine; the refusal says why.
    const notOpened = refusal(opened) ?? (ctl.context.sessions.find((s) => s.id === session)?.appraised ? undefined : 'appraisal-failed');
    if (notOpened !== undefined) return notOpened;
    const installed = await ctl.installKeys(session, r.keys);
    const refused = refusal(installed);
    if (refused !== undefined || !installed.some((e) => e.type === 'install-key')) {
      await ctl.sessionClosed(session);
      return refused ?? 'not-installed';
    }
    return undefined;
  }

  async retire(session: string, edge: string, epoch: number): Promise<void> {
    const ctl = this.controller();
    await ctl.retireKeys(session, { edge, epoch });
    await ctl.sessionClosed(session);
  }
}
