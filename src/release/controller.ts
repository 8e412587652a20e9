/**
 * The release controller: runs the release machine for one component, performs its effects
 * through a {@link ReleasePort} (the agent's send / data-plane install / session teardown) and
 * writes every event's outcome — releases, refusals, key installs and removals, revocations — to
 * the audit log before performing it. All decisions are the machine's.
 */
import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import type { Claims } from '../attestation/types.js';
import { ALL_DEFENCES, type EdgeKeys } from '../make/types.js';
import { AppraisalError, appraise } from '../attestation/appraise.js';
import { referenceValuesId, type CompiledPolicy } from '../policy/compile.js';
import type { PolicyActivation } from '../policy/update.js';
import type { AuditEvent, AuditLog } from './audit.js';
import { releaseMachine, type EndReason, type RefusalReason, type ReleaseContext, type ReleaseDefences, type ReleaseEffect, type ReleaseEvent } from './machine.js';

/** What the agent does for the controller. Each call may be async; they run in order. */
export interface ReleasePort {
  /** Send `value` of secret `secret` to the peer over session `session` (seal with `sealSecret`). */
  sendSecret(session: string, secret: string, value: Uint8Array): void | Promise<void>;
  /** Install the session's exported keys for `edge` at `epoch` into the data plane. */
  installKey(session: string, edge: string, epoch: number): void | Promise<void>;
  /** Remove them. */
  removeKey(session: string, edge: string, epoch: number): void | Promise<void>;
  /** Tell the peer a secret it received is revoked (and rotate it where the holder can). */
  revokeSecret(session: string, secret: string): void | Promise<void>;
  /** End the MAKE session (close the connection; MAKE gets its `revoke` event). */
  endSession(session: string, reason: EndReason): void | Promise<void>;
  /** Optional: tell the peer its secret request was refused (a `secret-refused` message). */
  refuseSecret?(session: string, secret: string, reason: RefusalReason): void | Promise<void>;
}

/** A finished MAKE handshake as release sees it. */
export interface EstablishedSession {
  /** Unique session id (e.g. MAKE's session id or transcript hash). */
  readonly id: string;
  /** The component the peer claimed in the handshake. */
  readonly peer: string;
  /**
   * The peer's verified claims. MAKE verified and appraised them against the policy; when given,
   * release appraises them again (defence in depth) and checks them against revoked values. When
   * absent (MAKE's `MakeResult` does not carry them), release relies on MAKE's appraisal under the
   * policy in force and records the current reference values of `peer` as matched.
   */
  readonly claims?: Claims;
}

/** Options of a {@link ReleaseController}. */
export interface ReleaseControllerOptions {
  readonly policy: CompiledPolicy;
  /** The component this node runs. */
  readonly component: string;
  /** Values of the secrets this component holds, by name. */
  readonly secrets?: Readonly<Record<string, Uint8Array>>;
  readonly port: ReleasePort;
  readonly audit?: AuditLog;
  readonly defences?: ReleaseDefences;
  readonly now?: () => Date;
}

type Snap = SnapshotFrom<typeof releaseMachine>;

/** The audit record of an effect: the effect's fields plus who decided, under which version. */
const auditOf = (e: ReleaseEffect, node: string, policyVersion: number, peer: string | undefined): AuditEvent =>
  ({ ...e, node, policyVersion, ...(peer !== undefined ? { component: peer } : {}) }) as AuditEvent;

/** Drives the release machine for one component. */
export class ReleaseController {
  private snap: Snap;
  private policy: CompiledPolicy;
  private readonly opts: ReleaseControllerOptions;
  /** Events run one at a time, effects included (see {@link dispatch}). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(opts: ReleaseControllerOptions) {
    this.opts = opts;
    this.policy = opts.policy;
    const plan = opts.policy.plan(opts.component);
    this.snap = initialTransition(releaseMachine, { defences: opts.defences ?? ALL_DEFENCES, ...plan.release })[0];
  }

  /** The machine's context (plain data). */
  get context(): ReleaseContext {
    return this.snap.context;
  }

  /**
   * Applies one event: decide (pure), audit, then perform. Returns the effects. Events are applied
   * in order and an event's effects are performed before the next event is decided: otherwise a
   * revocation decided while a key install is still being performed would find nothing to remove,
   * and the install would land after it (a revoked peer's key in the data plane).
   */
  dispatch(event: ReleaseEvent): Promise<readonly ReleaseEffect[]> {
    const p = this.queue.then(() => this.step(event));
    this.queue = p.catch(() => undefined);
    return p;
  }

  private async step(event: ReleaseEvent): Promise<readonly ReleaseEffect[]> {
    this.snap = transition(releaseMachine, this.snap, event)[0];
    const effects = this.snap.context.effects;
    const self = this.opts.component;
    for (const e of effects) {
      // Refusals name the event's session peer as far as known; everything is logged first.
      const peer = e.type === 'refuse' ? this.snap.context.sessions.find((s) => s.id === e.session)?.claimed ?? '' : undefined;
      this.opts.audit?.append(auditOf(e, self, this.snap.context.version, peer), this.opts.now?.());
    }
    for (const e of effects) await this.perform(e);
    return effects;
  }

  private async perform(e: ReleaseEffect): Promise<void> {
    const port = this.opts.port;
    switch (e.type) {
      case 'release-secret': {
        const value = this.opts.secrets?.[e.secret];
        // The policy names a secret this node was not given: nothing to send (audited as released
        // by the machine; the agent's configuration is wrong, which its startup check reports).
        if (value !== undefined) await port.sendSecret(e.session, e.secret, value);
        return;
      }
      case 'install-key':
        return port.installKey(e.session, e.edge, e.epoch);
      case 'remove-key':
        return port.removeKey(e.session, e.edge, e.epoch);
      case 'revoke-secret':
        return port.revokeSecret(e.session, e.secret);
      case 'end-session':
        return port.endSession(e.session, e.reason);
      case 'refuse':
        if (e.event === 'REQUEST_SECRET' && port.refuseSecret !== undefined) await port.refuseSecret(e.session, e.target, e.reason);
        return;
      case 'policy-activated':
        return;
    }
  }

  /**
   * A MAKE session finished. Release appraises the peer's claims again against the policy entry
   * (defence in depth: MAKE did already) and records which reference values they matched.
   */
  async sessionEstablished(s: EstablishedSession): Promise<readonly ReleaseEffect[]> {
    const opened = await this.dispatch({ type: 'SESSION_OPENED', session: s.id, component: s.peer });
    if (opened.some((e) => e.type === 'refuse')) return opened;
    const rv = this.policy.referenceValues(s.peer);
    let failed: string | undefined = rv === undefined ? 'policy.unknown-component' : undefined;
    if (rv !== undefined && s.claims !== undefined) {
      try {
        // Full appraisal against the policy entry (signer, measurement, role, debug, TCB, TCB
        // status). Report data was bound to the transcript by MAKE; it is compared to itself here.
        appraise(s.claims, rv, s.claims.reportData);
        if (this.policy.isRevoked(s.peer, s.claims)) failed = 'policy.revoked';
      } catch (e) {
        failed = e instanceof AppraisalError ? e.code : 'attestation.appraise';
      }
    }
    if (failed !== undefined) {
      // Which claim failed goes to the audit log beside the machine's refusal.
      this.opts.audit?.append({ type: 'appraisal', session: s.id, component: s.peer, node: this.opts.component, code: failed }, this.opts.now?.());
      return this.dispatch({ type: 'APPRAISAL_FAILED', session: s.id });
    }
    return this.dispatch({ type: 'APPRAISED', session: s.id, refs: referenceValuesId(rv!) });
  }

  /** The peer of `session` asks for secret `secret`. */
  requestSecret(session: string, secret: string): Promise<readonly ReleaseEffect[]> {
    return this.dispatch({ type: 'REQUEST_SECRET', session, secret });
  }

  /** The session exported keys: may they be installed? */
  installKeys(session: string, keys: Pick<EdgeKeys, 'edge' | 'epoch'>): Promise<readonly ReleaseEffect[]> {
    return this.dispatch({ type: 'INSTALL_KEY', session, edge: keys.edge, epoch: keys.epoch });
  }

  /** An old epoch retires after a rekey. */
  retireKeys(session: string, keys: Pick<EdgeKeys, 'edge' | 'epoch'>): Promise<readonly ReleaseEffect[]> {
    return this.dispatch({ type: 'RETIRE_KEY', session, edge: keys.edge, epoch: keys.epoch });
  }

  /** The session ended. */
  sessionClosed(session: string): Promise<readonly ReleaseEffect[]> {
    return this.dispatch({ type: 'SESSION_CLOSED', session });
  }

  /** A new policy version was activated (see `PolicyStore.activate`): apply its view and revocations. */
  async policyActivated(a: PolicyActivation): Promise<readonly ReleaseEffect[]> {
    const names = new Set(a.policy.components);
    const view = names.has(this.opts.component) ? a.policy.plan(this.opts.component).release : { version: a.policy.version, secrets: [], edges: [] };
    const effects = await this.dispatch({
      type: 'POLICY_ACTIVATED',
      version: view.version,
      secrets: view.secrets,
      edges: view.edges,
      revoke: a.revoked.map((r) => ({ component: r.component, refs: r.refs })),
    });
    if (!effects.some((e) => e.type === 'refuse')) this.policy = a.policy;
    return effects;
  }

  /** Shut down: every key removed, every session ended. */
  stop(): Promise<readonly ReleaseEffect[]> {
    return this.dispatch({ type: 'STOP' });
  }
}
