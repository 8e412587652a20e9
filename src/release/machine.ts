/**
 * The release/revocation decision machine: decides whether a secret or a data-plane key may go to
 * the peer of a MAKE session, and what must be torn down when a component is revoked.
 *
 * It is a pure XState v5 machine: no I/O, context is plain data (strings, numbers, booleans,
 * arrays), and every effect of an event is written to `context.effects`, so XState's pure
 * `transition()` shows exactly what the agent must do (send a secret, install or remove a key,
 * end a session, revoke a secret, or nothing but a logged refusal). The formal-model engineer
 * explores this very definition exhaustively; the agent runs it. See `README.md` beside it.
 */
import { assign, setup } from 'xstate';
import type { Defences } from '../make/types.js';

/** The defences this machine enforces (a subset of MAKE's {@link Defences}). */
export type ReleaseDefences = Pick<Defences, 'appraisalBeforeRelease' | 'revocationCheck'>;

/** A secret this node holds and the components the policy lets it be released to. */
export interface ReleaseSecret {
  readonly name: string;
  readonly allowed: readonly string[];
}

/** An edge of this node that may carry data-plane keys, with the component at its other end. */
export interface ReleaseEdge {
  /** Edge identifier `from->to` as named in the policy. */
  readonly id: string;
  readonly peer: string;
}

/** A MAKE session with a peer, as the release machine tracks it. */
export interface ReleaseSession {
  readonly id: string;
  /** The component the peer claimed in the handshake (unverified until appraised). */
  readonly claimed: string;
  /** True once the peer's evidence verified and matched the claimed component's reference values. */
  readonly appraised: boolean;
  /** Identifier of the reference values the peer matched ('' until appraised). */
  readonly refs: string;
  /** False once the session ended (closed, failed, revoked, or the machine stopped). */
  readonly open: boolean;
}

/**
 * A revoked identity: a component under one set of reference values (`refs`), or under every set
 * (`refs: '*'`, the component was removed from the policy).
 */
export interface Revocation {
  readonly component: string;
  readonly refs: string;
}

/** A secret the machine released and that has not been revoked since. */
export interface ReleasedSecret {
  readonly secret: string;
  readonly session: string;
  readonly component: string;
  readonly refs: string;
}

/** A data-plane key the machine told the agent to install and that is still installed. */
export interface InstalledKey {
  readonly session: string;
  readonly component: string;
  readonly refs: string;
  readonly edge: string;
  readonly epoch: number;
}

/** Why a request was refused (stable strings; also the audit log's `reason`). */
export type RefusalReason =
  | 'unknown-session'
  | 'duplicate-session'
  | 'session-closed'
  | 'unknown-secret'
  | 'unknown-edge'
  | 'unknown-key'
  | 'not-appraised'
  | 'not-allowed'
  | 'revoked'
  | 'appraisal-failed'
  | 'rollback'
  | 'stopped';

/** Why a session was ended by the machine. */
export type EndReason = 'closed' | 'appraisal-failed' | 'revoked' | 'stopped';

/** What the agent must do after an event. Exactly these, in this order; nothing else. */
export type ReleaseEffect =
  | { readonly type: 'release-secret'; readonly session: string; readonly component: string; readonly secret: string }
  | { readonly type: 'install-key'; readonly session: string; readonly component: string; readonly edge: string; readonly epoch: number }
  | { readonly type: 'remove-key'; readonly session: string; readonly component: string; readonly edge: string; readonly epoch: number }
  | { readonly type: 'revoke-secret'; readonly session: string; readonly component: string; readonly secret: string }
  | { readonly type: 'end-session'; readonly session: string; readonly component: string; readonly reason: EndReason }
  | { readonly type: 'refuse'; readonly event: ReleaseEvent['type']; readonly session: string; readonly target: string; readonly reason: RefusalReason }
  | { readonly type: 'policy-activated'; readonly version: number };

/** Everything the machine knows. Plain data only, so the model checker can hash and compare it. */
export interface ReleaseContext {
  readonly defences: ReleaseDefences;
  /** Version of the active policy. */
  readonly version: number;
  readonly secrets: readonly ReleaseSecret[];
  readonly edges: readonly ReleaseEdge[];
  readonly sessions: readonly ReleaseSession[];
  readonly revoked: readonly Revocation[];
  readonly released: readonly ReleasedSecret[];
  readonly keys: readonly InstalledKey[];
  /** The effects of the last event (replaced by every event). */
  readonly effects: readonly ReleaseEffect[];
}

/** Input to start the machine: the active policy's view for this node, and the defences. */
export interface ReleaseInput {
  readonly defences: ReleaseDefences;
  readonly version: number;
  readonly secrets: readonly ReleaseSecret[];
  readonly edges: readonly ReleaseEdge[];
}

/** Events, in the vocabulary of the spec (`spec/` maps each to a TLA+ action). */
export type ReleaseEvent =
  /** MAKE finished a handshake; the peer claims `component`. Its evidence is not yet appraised. */
  | { readonly type: 'SESSION_OPENED'; readonly session: string; readonly component: string }
  /** The peer's evidence verified and matched the claimed component's reference values `refs`. */
  | { readonly type: 'APPRAISED'; readonly session: string; readonly refs: string }
  /** The peer's evidence did not verify or did not match: the session ends. */
  | { readonly type: 'APPRAISAL_FAILED'; readonly session: string }
  /** The peer asks for a secret over the session. */
  | { readonly type: 'REQUEST_SECRET'; readonly session: string; readonly secret: string }
  /** The session exported keys for an edge and epoch; may they be installed in the data plane? */
  | { readonly type: 'INSTALL_KEY'; readonly session: string; readonly edge: string; readonly epoch: number }
  /** An old epoch's key retires after a rekey overlap. */
  | { readonly type: 'RETIRE_KEY'; readonly session: string; readonly edge: string; readonly epoch: number }
  /** The session ended (peer closed, timeout, transport failure). */
  | { readonly type: 'SESSION_CLOSED'; readonly session: string }
  /** Revoke a component under reference values `refs` ('*' = all of them). */
  | { readonly type: 'REVOKE'; readonly component: string; readonly refs: string }
  /** A new policy version was approved; installs its view and applies its revocations. */
  | {
      readonly type: 'POLICY_ACTIVATED';
      readonly version: number;
      readonly secrets: readonly ReleaseSecret[];
      readonly edges: readonly ReleaseEdge[];
      readonly revoke: readonly Revocation[];
    }
  /** Shut down: end every session and remove every key. */
  | { readonly type: 'STOP' };

const findSession = (c: ReleaseContext, id: string): ReleaseSession | undefined => c.sessions.find((s) => s.id === id);

/** True when `component` under `refs` is covered by a revocation. */
export function isRevokedIn(revoked: readonly Revocation[], component: string, refs: string): boolean {
  return revoked.some((r) => r.component === component && (r.refs === '*' || r.refs === refs));
}

/**
 * True when the session's identity (claimed component, matched reference values) is revoked. The
 * claimed component is trusted only once appraised — unless the appraisalBeforeRelease mutant
 * skips that guard, and then this check sees the unverified claim.
 */
function peerRevoked(c: ReleaseContext, s: ReleaseSession): boolean {
  return isRevokedIn(c.revoked, s.claimed, s.refs);
}

/** Tears down everything of sessions matching `hit`: keys removed, secrets revoked, sessions ended. */
function teardown(
  c: ReleaseContext,
  hit: (s: ReleaseSession) => boolean,
  reason: EndReason,
): Pick<ReleaseContext, 'sessions' | 'keys' | 'released'> & { effects: ReleaseEffect[] } {
  const effects: ReleaseEffect[] = [];
  const ids = new Set(c.sessions.filter(hit).map((s) => s.id));
  const keys = c.keys.filter((k) => {
    if (!ids.has(k.session)) return true;
    effects.push({ type: 'remove-key', session: k.session, component: k.component, edge: k.edge, epoch: k.epoch });
    return false;
  });
  // Secrets are revoked only when the peer's identity is revoked: a closed session does not make
  // the data the peer already holds less legitimate.
  const released =
    reason === 'revoked' || reason === 'appraisal-failed'
      ? c.released.filter((r) => {
          if (!ids.has(r.session)) return true;
          effects.push({ type: 'revoke-secret', session: r.session, component: r.component, secret: r.secret });
          return false;
        })
      : c.released;
  const sessions = c.sessions.map((s) => {
    if (!ids.has(s.id) || !s.open) return s;
    effects.push({ type: 'end-session', session: s.id, component: s.claimed, reason });
    return { ...s, open: false };
  });
  return { sessions, keys, released, effects };
}

function revokeAll(c: ReleaseContext, revs: readonly Revocation[]): Partial<ReleaseContext> & { effects: ReleaseEffect[] } {
  const revoked = [...c.revoked];
  for (const r of revs) if (!revoked.some((x) => x.component === r.component && x.refs === r.refs)) revoked.push(r);
  const hit = (s: ReleaseSession) => revs.some((r) => r.component === s.claimed && (r.refs === '*' || r.refs === s.refs));
  // Sessions not yet appraised are ended too when their whole component is revoked.
  const t = teardown(c, hit, 'revoked');
  return { revoked, ...t };
}

type Ev<T extends ReleaseEvent['type']> = Extract<ReleaseEvent, { type: T }>;
type Targeted = Ev<'APPRAISED' | 'APPRAISAL_FAILED' | 'REQUEST_SECRET' | 'INSTALL_KEY' | 'RETIRE_KEY' | 'SESSION_CLOSED'>;

const targetOf = (e: ReleaseEvent): string =>
  e.type === 'REQUEST_SECRET' ? e.secret : e.type === 'INSTALL_KEY' || e.type === 'RETIRE_KEY' ? e.edge : e.type === 'SESSION_OPENED' ? e.component : '';
const sessionOf = (e: ReleaseEvent): string => ('session' in e ? e.session : '');

const refusal = (e: ReleaseEvent, reason: RefusalReason): ReleaseEffect => ({
  type: 'refuse',
  event: e.type,
  session: sessionOf(e),
  target: targetOf(e),
  reason,
});

/** The release/revocation machine. Start it with {@link ReleaseInput}. */
export const releaseMachine = setup({
  types: {
    context: {} as ReleaseContext,
    events: {} as ReleaseEvent,
    input: {} as ReleaseInput,
  },
  guards: {
    sessionUnknown: ({ context, event }) => findSession(context, (event as Targeted).session) === undefined,
    sessionDuplicate: ({ context, event }) => findSession(context, (event as Ev<'SESSION_OPENED'>).session) !== undefined,
    sessionClosed: ({ context, event }) => findSession(context, (event as Targeted).session)?.open === false,
    /** A whole-component revocation refuses the session before any appraisal. */
    componentRevoked: ({ context, event }) => {
      const e = event as Ev<'SESSION_OPENED'>;
      return context.defences.revocationCheck && context.revoked.some((r) => r.component === e.component && r.refs === '*');
    },
    /** Appraisal matched reference values that are revoked. */
    appraisedRevoked: ({ context, event }) => {
      const e = event as Ev<'APPRAISED'>;
      const s = findSession(context, e.session);
      return context.defences.revocationCheck && s !== undefined && isRevokedIn(context.revoked, s.claimed, e.refs);
    },
    secretUnknown: ({ context, event }) => !context.secrets.some((x) => x.name === (event as Ev<'REQUEST_SECRET'>).secret),
    edgeUnknown: ({ context, event }) => !context.edges.some((x) => x.id === (event as Ev<'INSTALL_KEY'>).edge),
    /** Defence `appraisalBeforeRelease`: nothing goes to a peer whose evidence was not appraised. */
    peerNotAppraised: ({ context, event }) =>
      context.defences.appraisalBeforeRelease && findSession(context, (event as Targeted).session)?.appraised !== true,
    /** Defence `revocationCheck`: nothing goes to a revoked identity. */
    peerRevoked: ({ context, event }) => {
      const s = findSession(context, (event as Targeted).session);
      return context.defences.revocationCheck && s !== undefined && peerRevoked(context, s);
    },
    secretNotAllowed: ({ context, event }) => {
      const e = event as Ev<'REQUEST_SECRET'>;
      const s = findSession(context, e.session);
      const secret = context.secrets.find((x) => x.name === e.secret);
      return s === undefined || secret === undefined || !secret.allowed.includes(s.claimed);
    },
    edgeNotAllowed: ({ context, event }) => {
      const e = event as Ev<'INSTALL_KEY'>;
      const s = findSession(context, e.session);
      const edge = context.edges.find((x) => x.id === e.edge);
      return s === undefined || edge === undefined || edge.peer !== s.claimed;
    },
    keyNotInstalled: ({ context, event }) => {
      const e = event as Ev<'RETIRE_KEY'>;
      return !context.keys.some((k) => k.session === e.session && k.edge === e.edge && k.epoch === e.epoch);
    },
    versionNotNewer: ({ context, event }) => (event as Ev<'POLICY_ACTIVATED'>).version <= context.version,
  },
  actions: {
    refuseUnknownSession: assign({ effects: ({ event }) => [refusal(event, 'unknown-session')] }),
    refuseDuplicateSession: assign({ effects: ({ event }) => [refusal(event, 'duplicate-session')] }),
    refuseSessionClosed: assign({ effects: ({ event }) => [refusal(event, 'session-closed')] }),
    refuseUnknownSecret: assign({ effects: ({ event }) => [refusal(event, 'unknown-secret')] }),
    refuseUnknownEdge: assign({ effects: ({ event }) => [refusal(event, 'unknown-edge')] }),
    refuseUnknownKey: assign({ effects: ({ event }) => [refusal(event, 'unknown-key')] }),
    refuseNotAppraised: assign({ effects: ({ event }) => [refusal(event, 'not-appraised')] }),
    refuseRevoked: assign({ effects: ({ event }) => [refusal(event, 'revoked')] }),
    refuseNotAllowed: assign({ effects: ({ event }) => [refusal(event, 'not-allowed')] }),
    refuseRollback: assign({ effects: ({ event }) => [refusal(event, 'rollback')] }),
    refuseStopped: assign({ effects: ({ event }) => [refusal(event, 'stopped')] }),
    /** A session from a revoked component is recorded closed so later events about it are refused. */
    refuseRevokedSession: assign(({ context, event }) => {
      const e = event as Ev<'SESSION_OPENED'>;
      return {
        sessions: [...context.sessions, { id: e.session, claimed: e.component, appraised: false, refs: '', open: false }],
        effects: [refusal(e, 'revoked'), { type: 'end-session', session: e.session, component: e.component, reason: 'revoked' } as const],
      };
    }),
    openSession: assign(({ context, event }) => {
      const e = event as Ev<'SESSION_OPENED'>;
      return { sessions: [...context.sessions, { id: e.session, claimed: e.component, appraised: false, refs: '', open: true }], effects: [] };
    }),
    markAppraised: assign(({ context, event }) => {
      const e = event as Ev<'APPRAISED'>;
      return { sessions: context.sessions.map((s) => (s.id === e.session ? { ...s, appraised: true, refs: e.refs } : s)), effects: [] };
    }),
    /** Appraisal of revoked reference values: refuse and end the session. */
    endRevokedAppraisal: assign(({ context, event }) => {
      const e = event as Ev<'APPRAISED'>;
      const t = teardown(context, (s) => s.id === e.session, 'revoked');
      return { sessions: t.sessions, keys: t.keys, released: t.released, effects: [refusal(e, 'revoked'), ...t.effects] };
    }),
    endFailedAppraisal: assign(({ context, event }) => {
      const e = event as Ev<'APPRAISAL_FAILED'>;
      const t = teardown(context, (s) => s.id === e.session, 'appraisal-failed');
      return { sessions: t.sessions, keys: t.keys, released: t.released, effects: [refusal(e, 'appraisal-failed'), ...t.effects] };
    }),
    releaseSecret: assign(({ context, event }) => {
      const e = event as Ev<'REQUEST_SECRET'>;
      const s = findSession(context, e.session)!;
      const already = context.released.some((r) => r.session === s.id && r.secret === e.secret);
      return {
        released: already ? context.released : [...context.released, { secret: e.secret, session: s.id, component: s.claimed, refs: s.refs }],
        effects: [{ type: 'release-secret', session: s.id, component: s.claimed, secret: e.secret } as const],
      };
    }),
    installKey: assign(({ context, event }) => {
      const e = event as Ev<'INSTALL_KEY'>;
      const s = findSession(context, e.session)!;
      const already = context.keys.some((k) => k.session === s.id && k.edge === e.edge && k.epoch === e.epoch);
      return {
        keys: already ? context.keys : [...context.keys, { session: s.id, component: s.claimed, refs: s.refs, edge: e.edge, epoch: e.epoch }],
        effects: [{ type: 'install-key', session: s.id, component: s.claimed, edge: e.edge, epoch: e.epoch } as const],
      };
    }),
    retireKey: assign(({ context, event }) => {
      const e = event as Ev<'RETIRE_KEY'>;
      const k = context.keys.find((x) => x.session === e.session && x.edge === e.edge && x.epoch === e.epoch)!;
      return {
        keys: context.keys.filter((x) => x !== k),
        effects: [{ type: 'remove-key', session: k.session, component: k.component, edge: k.edge, epoch: k.epoch } as const],
      };
    }),
    closeSession: assign(({ context, event }) => {
      const e = event as Ev<'SESSION_CLOSED'>;
      const t = teardown(context, (s) => s.id === e.session, 'closed');
      return { sessions: t.sessions, keys: t.keys, released: t.released, effects: t.effects };
    }),
    revoke: assign(({ context, event }) => {
      const e = event as Ev<'REVOKE'>;
      return revokeAll(context, [{ component: e.component, refs: e.refs }]);
    }),
    activatePolicy: assign(({ context, event }) => {
      const e = event as Ev<'POLICY_ACTIVATED'>;
      const r = revokeAll(context, e.revoke);
      return {
        ...r,
        version: e.version,
        secrets: e.secrets,
        edges: e.edges,
        effects: [...r.effects, { type: 'policy-activated', version: e.version } as const],
      };
    }),
    stopAll: assign(({ context }) => {
      const t = teardown(context, () => true, 'stopped');
      return { sessions: t.sessions, keys: t.keys, released: t.released, effects: t.effects };
    }),
  },
}).createMachine({
  id: 'release',
  context: ({ input }) => ({
    defences: { appraisalBeforeRelease: input.defences.appraisalBeforeRelease, revocationCheck: input.defences.revocationCheck },
    version: input.version,
    secrets: input.secrets.map((s) => ({ name: s.name, allowed: [...s.allowed] })),
    edges: input.edges.map((e) => ({ id: e.id, peer: e.peer })),
    sessions: [],
    revoked: [],
    released: [],
    keys: [],
    effects: [],
  }),
  initial: 'active',
  states: {
    active: {
      on: {
        SESSION_OPENED: [
          { guard: 'sessionDuplicate', actions: 'refuseDuplicateSession' },
          { guard: 'componentRevoked', actions: 'refuseRevokedSession' },
          { actions: 'openSession' },
        ],
        APPRAISED: [
          { guard: 'sessionUnknown', actions: 'refuseUnknownSession' },
          { guard: 'sessionClosed', actions: 'refuseSessionClosed' },
          { guard: 'appraisedRevoked', actions: 'endRevokedAppraisal' },
          { actions: 'markAppraised' },
        ],
        APPRAISAL_FAILED: [
          { guard: 'sessionUnknown', actions: 'refuseUnknownSession' },
          { guard: 'sessionClosed', actions: 'refuseSessionClosed' },
          { actions: 'endFailedAppraisal' },
        ],
        REQUEST_SECRET: [
          { guard: 'sessionUnknown', actions: 'refuseUnknownSession' },
          { guard: 'sessionClosed', actions: 'refuseSessionClosed' },
          { guard: 'secretUnknown', actions: 'refuseUnknownSecret' },
          { guard: 'peerNotAppraised', actions: 'refuseNotAppraised' },
          { guard: 'peerRevoked', actions: 'refuseRevoked' },
          { guard: 'secretNotAllowed', actions: 'refuseNotAllowed' },
          { actions: 'releaseSecret' },
        ],
        INSTALL_KEY: [
          { guard: 'sessionUnknown', actions: 'refuseUnknownSession' },
          { guard: 'sessionClosed', actions: 'refuseSessionClosed' },
          { guard: 'edgeUnknown', actions: 'refuseUnknownEdge' },
          { guard: 'peerNotAppraised', actions: 'refuseNotAppraised' },
          { guard: 'peerRevoked', actions: 'refuseRevoked' },
          { guard: 'edgeNotAllowed', actions: 'refuseNotAllowed' },
          { actions: 'installKey' },
        ],
        RETIRE_KEY: [
          { guard: 'keyNotInstalled', actions: 'refuseUnknownKey' },
          { actions: 'retireKey' },
        ],
        SESSION_CLOSED: [
          { guard: 'sessionUnknown', actions: 'refuseUnknownSession' },
          { guard: 'sessionClosed', actions: 'refuseSessionClosed' },
          { actions: 'closeSession' },
        ],
        REVOKE: { actions: 'revoke' },
        POLICY_ACTIVATED: [{ guard: 'versionNotNewer', actions: 'refuseRollback' }, { actions: 'activatePolicy' }],
        STOP: { target: 'stopped', actions: 'stopAll' },
      },
    },
    /** Final for release: every later event is refused, nothing is released or installed again. */
    stopped: {
      on: { '*': { actions: 'refuseStopped' } },
    },
  },
});

/** The machine's type, for drivers and the model checker. */
export type ReleaseMachine = typeof releaseMachine;
