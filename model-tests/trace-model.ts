/**
 * The protocol model trace validation replays traces against: per role, which step (state, event)
 * may lead where and with which effects. Written from the protocol (src/make/README.md, spec/),
 * not derived from the machine code, so a driver or machine change that steps outside the protocol
 * shows up as a violation.
 */

export type Role = 'initiator' | 'responder';

export interface Rule {
  readonly from: string;
  readonly event: string;
  /** Allowed outcomes: target state and the exact effect sequence of the step. */
  readonly outcomes: readonly { readonly to: string; readonly effects: readonly string[]; readonly unconfirmed?: true }[];
}

const FAIL = { to: 'failed', effects: ['fail'] } as const;

export const FINAL = new Set(['done', 'failed']);

export const RULES: Readonly<Record<Role, readonly Rule[]>> = {
  initiator: [
    { from: 'start', event: 'init', outcomes: [{ to: 'idle', effects: [] }] },
    { from: 'idle', event: 'start', outcomes: [{ to: 'awaitM2', effects: ['send'] }, FAIL] },
    { from: 'awaitM2', event: 'recv.m2', outcomes: [{ to: 'verifyR', effects: ['verify'] }, FAIL] },
    { from: 'verifyR', event: 'evidence.verified', outcomes: [{ to: 'attest', effects: ['attest'] }, FAIL] },
    { from: 'verifyR', event: 'evidence.invalid', outcomes: [FAIL] },
    {
      from: 'attest',
      event: 'evidence.produced',
      // Exporting right after message 3 is the protocol without key confirmation (a mutant).
      outcomes: [{ to: 'awaitM4', effects: ['send'] }, { to: 'done', effects: ['send', 'export'], unconfirmed: true }],
    },
    { from: 'attest', event: 'evidence.failed', outcomes: [FAIL] },
    { from: 'awaitM4', event: 'recv.m4', outcomes: [{ to: 'done', effects: ['export'] }, FAIL] },
  ],
  responder: [
    { from: 'start', event: 'init', outcomes: [{ to: 'idle', effects: [] }] },
    { from: 'idle', event: 'recv.m1', outcomes: [{ to: 'attest', effects: ['attest'] }, FAIL] },
    { from: 'attest', event: 'evidence.produced', outcomes: [{ to: 'awaitM3', effects: ['send'] }] },
    { from: 'attest', event: 'evidence.failed', outcomes: [FAIL] },
    { from: 'awaitM3', event: 'recv.m3', outcomes: [{ to: 'verifyI', effects: ['verify'] }, FAIL] },
    { from: 'verifyI', event: 'evidence.verified', outcomes: [{ to: 'done', effects: ['send', 'export'] }, FAIL] },
    { from: 'verifyI', event: 'evidence.invalid', outcomes: [FAIL] },
  ],
};

/** Steps allowed in any non-final state: give up, hear of a revocation, or get a message out of turn. */
export function anyStateOutcomes(state: string, event: string): readonly { to: string; effects: readonly string[] }[] {
  if (FINAL.has(state) || state === 'start') return [];
  if (event === 'timeout' || event === 'abort') return [FAIL];
  if (event === 'revoke') return [FAIL, { to: state, effects: [] }];
  if (event.startsWith('recv.')) return [FAIL];
  return [];
}
