/**
 * The spec-to-code mapping the drift check enforces both ways: every TLA+ action in spec/*.tla to
 * the machine events it stands for, every machine event to an action (or a stated reason why the
 * spec leaves it out), and every configured invariant to a checker predicate of src/model.
 * spec/README.md shows the same table for people; the drift check also checks it names every row.
 */

export type MachineName = 'initiator' | 'responder' | 'release';

export type ActionMapping =
  /** The action is one step of the machines: these events, fed by the agent model in world.ts. */
  | { readonly kind: 'event'; readonly events: readonly { readonly machine: MachineName; readonly event: string }[]; readonly note: string }
  /** Not an XState machine: the data plane (src/dataplane, bpf/); checked by TLC only. */
  | { readonly kind: 'dataplane'; readonly note: string }
  /** A disjunction of other actions (Next and friends) or a helper used inside actions. */
  | { readonly kind: 'structure'; readonly note: string };

const ev = (machine: MachineName, event: string) => ({ machine, event });

export const ACTIONS: Readonly<Record<string, ActionMapping>> = {
  IStart: { kind: 'event', events: [ev('initiator', 'start')], note: 'A starts epoch e under the policy its host gave it; sends m1' },
  RRecvM1: {
    kind: 'event',
    events: [ev('responder', 'recv.m1'), ev('responder', 'evidence.produced')],
    note: 'responder checks m1 (version, policy, replay cache), attests over th2, sends m2',
  },
  IRecvM2: {
    kind: 'event',
    events: [ev('initiator', 'recv.m2'), ev('initiator', 'evidence.verified'), ev('initiator', 'evidence.produced')],
    note: 'initiator checks m2, appraises the responder evidence, attests over th3, sends m3',
  },
  RRecvM3: {
    kind: 'event',
    events: [ev('responder', 'recv.m3'), ev('responder', 'evidence.verified')],
    note: 'responder checks m3 and the initiator evidence, sends m4, exports keys',
  },
  IRecvM4: { kind: 'event', events: [ev('initiator', 'recv.m4')], note: 'initiator checks key confirmation, exports keys' },
  Revoke: { kind: 'event', events: [ev('initiator', 'revoke'), ev('responder', 'revoke')], note: 'component A revoked: running handshakes with it fail' },
  RevokeAll: { kind: 'event', events: [ev('release', 'REVOKE')], note: 'revocation reaches the release machines: keys removed, secrets revoked' },
  AgentAppraise: {
    kind: 'event',
    events: [ev('release', 'SESSION_OPENED'), ev('release', 'APPRAISED'), ev('release', 'APPRAISAL_FAILED')],
    note: 'the agent opens the finished session in release (SESSION_OPENED, at export) and appraises the peer claims',
  },
  AgentInstall: { kind: 'event', events: [ev('release', 'INSTALL_KEY')], note: 'the agent asks release to install the session keys' },
  PeerRequest: { kind: 'event', events: [ev('release', 'REQUEST_SECRET')], note: "the session's peer requests secret S" },
  SendPacket: { kind: 'dataplane', note: 'tc egress encrypts under the edge SA (bpf/, src/dataplane)' },
  InjectPacket: { kind: 'dataplane', note: 'the attacker injects packets on the wire' },
  ReceivePacket: { kind: 'dataplane', note: 'tc ingress accepts only under an installed SA' },
  Ready: { kind: 'structure', note: 'helper: the agent step was not taken yet (records it)' },
  MakeStep: { kind: 'structure', note: 'disjunction of the MAKE actions' },
  Next: { kind: 'structure', note: 'MakeStep or Revoke' },
  ReleaseNext: { kind: 'structure', note: 'MAKE, RevokeAll and agent actions' },
  DataPlaneNext: { kind: 'structure', note: 'release and packet actions' },
};

/**
 * Machine events the spec does not model, and why. Everything else a machine accepts must be
 * the image of some action above.
 */
export const UNMODELLED_EVENTS: Readonly<Record<string, string>> = {
  'initiator timeout': 'liveness only: a timeout fails the handshake, which the attacker can already cause by dropping',
  'initiator abort': 'transport failure or shutdown: same effect as the attacker dropping messages',
  'initiator recv.*': 'an unexpected message fails the handshake: the attacker delivering the wrong type is a drop',
  'initiator evidence.invalid': 'symbolic evidence always verifies; a forged value fails like a bad MAC (folded into IRecvM2)',
  'initiator evidence.failed': "own attester failure: the honest TEE's attester is assumed to work",
  'responder timeout': 'as for the initiator',
  'responder abort': 'as for the initiator',
  'responder recv.*': 'as for the initiator',
  'responder evidence.invalid': 'as for the initiator (folded into RRecvM3)',
  'responder evidence.failed': 'as for the initiator',
  'release RETIRE_KEY': 'retiring an old epoch after a rekey only removes keys; not needed for safety (rekey overlap kept)',
  'release SESSION_CLOSED': 'closing only removes keys; a subset of what RevokeAll does',
  'release POLICY_ACTIVATED': 'version activation and rollback refusal are tested in test/release; the spec models one revocation',
  'release STOP': 'shutdown removes everything; cannot break a safety invariant',
  'release *': 'wildcard of the stopped state (refuses everything)',
};

/** Each TLA+ invariant name to the checker predicate of src/model/invariants.ts that states it. */
export const INVARIANT_MAP: Readonly<Record<string, string>> = {
  TypeOK: 'TypeOK',
  Agreement: 'Agreement',
  Secrecy: 'Secrecy',
  MeasurementBinding: 'MeasurementBinding',
  NoDiversion: 'NoDiversion',
  NoReplay: 'NoReplay',
  NoDowngrade: 'NoDowngrade',
  RevocationMake: 'Revocation',
  ReleaseOnlyToAllowed: 'ReleaseOnlyToAllowed',
  Revocation: 'Revocation',
  DataPlaneSafety: 'DataPlaneSafety',
};
