/**
 * The MAKE initiator as a pure XState v5 machine. It decides; the driver performs the effects it
 * returns (send, attest, verify, export, fail) and feeds results back as events. Crypto comes in
 * through `input.crypto`, so the model checker runs this very definition over symbolic terms.
 * States, events and effects: src/make/README.md.
 */
import { and, assign, setup } from 'xstate';
import type { Msg1, Msg2, Msg3 } from '../messages.js';
import { MAKE_SUITE, MAKE_VERSION } from '../messages.js';
import type { MakeFailure } from '../reasons.js';
import { ALL_DEFENCES, type Defences, type HandshakePolicy } from '../types.js';
import { appraisal, appraisalFailures, claimsForPolicy, effectActions, failure, type MakeEnv, type MakeEvent, type VerifiedClaims } from './common.js';
import * as ks from './schedule.js';
import type { ExportedKeys } from './schedule.js';
import type { MakeCrypto, MakeValue } from './values.js';

export interface InitiatorInput {
  readonly crypto: MakeCrypto;
  readonly policy: HandshakePolicy;
  /** Defaults to {@link ALL_DEFENCES}; mutants switch one off. */
  readonly defences?: Readonly<Defences>;
  /** Our component name. */
  readonly self: string;
  /** The component we key an edge to. */
  readonly peer: string;
  readonly epoch: number;
  /** Fresh randomness, drawn by the driver: ephemeral X25519 secret, 32-byte nonce, our SPI. */
  readonly secret: MakeValue;
  readonly nonce: MakeValue;
  readonly spi: number;
  /** Overrides for tests of version and suite negotiation. */
  readonly suite?: string;
  readonly version?: number;
}

export interface InitiatorContext {
  readonly env: MakeEnv;
  readonly self: string;
  readonly peer: string;
  readonly epoch: number;
  readonly secret: MakeValue;
  readonly nonce: MakeValue;
  readonly spi: number;
  readonly suite: string;
  readonly version: number;
  /** Set as the handshake proceeds. */
  readonly m1?: Msg1;
  readonly h1?: MakeValue;
  readonly m2?: Msg2;
  readonly dh?: MakeValue;
  readonly h2?: MakeValue;
  readonly h3?: MakeValue;
  readonly h4?: MakeValue;
  readonly peerClaims?: VerifiedClaims;
  readonly ownEvidence?: MakeValue;
  readonly ownMac?: MakeValue;
  readonly keys?: ExportedKeys;
  readonly failure?: MakeFailure;
}

type Ctx = InitiatorContext;
type Ev<T extends MakeEvent['type']> = Extract<MakeEvent, { type: T }>;

/** Values that exist once the state is reached; a missing one is a machine bug, not bad input. */
function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`MAKE initiator: ${what} missing (machine bug)`);
  return v;
}

const ref = (ctx: Ctx) => ctx.env.policy.referenceValues(ctx.peer);
const claimsOk = (ctx: Ctx, test: (c: VerifiedClaims, r: NonNullable<ReturnType<typeof ref>>) => boolean): boolean => {
  const r = ref(ctx);
  return r !== undefined && test(need(ctx.peerClaims, 'claims'), r);
};

function m3Of(ctx: Ctx): Msg3 {
  return { type: 'm3', evidence: need(ctx.ownEvidence, 'own evidence'), mac: need(ctx.ownMac, 'own mac') };
}

export const initiatorMachine = setup({
  types: {
    context: {} as InitiatorContext,
    events: {} as MakeEvent,
    input: {} as InitiatorInput,
  },
  actions: {
    ...effectActions,
    recordFailure: assign((_, params: MakeFailure) => ({ failure: params })),
    /** Our evidence arrived: MAC it (SIGMA identity MAC) and extend the transcript with message 3. */
    prepareM3: assign(({ context }, params: { evidence: MakeValue }) => {
      const c = context.env.crypto;
      const h3 = need(context.h3, 'h3');
      const mac = ks.macI(c, ks.macKeyI(c, need(context.dh, 'dh'), need(context.h2, 'h2')), h3, context.self, params.evidence);
      return { ownEvidence: params.evidence, ownMac: mac, h4: ks.th4(c, h3, params.evidence, mac) };
    }),
  },
  guards: {
    /** Not yet in a final state (XState still delivers events to a finished snapshot). */
    running: ({ context }) => context.failure === undefined && context.keys === undefined,
    peerUnknown: ({ context }) => context.env.policy.referenceValues(context.peer) === undefined,
    edgeNotAllowed: ({ context }) => !context.env.policy.allowsEdge(context.self, context.peer),
    // Message 2 checks (state checkM2).
    policyDowngrade: ({ context }) =>
      context.env.defences.policyDigest && need(context.m2, 'm2').policyVersion < context.env.policy.version,
    policyDigestWrong: ({ context }) =>
      context.env.defences.policyDigest && !context.env.crypto.equal(need(context.m2, 'm2').policyDigest, context.env.policy.digest),
    nonceReflected: ({ context }) => context.env.defences.nonceFreshness && context.env.crypto.equal(need(context.m2, 'm2').nonce, context.nonce),
    badShare: ({ context }) => context.dh === undefined,
    macRWrong: ({ context }) => {
      if (!context.env.defences.keyConfirmation) return false;
      const c = context.env.crypto;
      const m2 = need(context.m2, 'm2');
      const h2 = need(context.h2, 'h2');
      const expected = ks.macR(c, ks.macKeyR(c, need(context.dh, 'dh'), h2), h2, context.peer, m2.evidence);
      return !c.equal(expected, m2.mac);
    },
    // Appraisal of the responder's claims (state checkR).
    platformWrong: ({ context }) => !claimsOk(context, appraisal.platform),
    measurementWrong: ({ context }) => !claimsOk(context, appraisal.measurement),
    debugRefused: ({ context }) => !claimsOk(context, appraisal.debug),
    signerWrong: ({ context }) => !claimsOk(context, appraisal.signer),
    roleWrong: ({ context }) => context.env.defences.roleBinding && !claimsOk(context, appraisal.role),
    reportDataWrong: ({ context }) => {
      if (!context.env.defences.transcriptBinding) return false;
      const c = context.env.crypto;
      const m2 = need(context.m2, 'm2');
      const expected = ks.reportDataR(c, need(context.h2, 'h2'), context.peer, m2.policyDigest);
      return !c.equal(need(context.peerClaims, 'claims').reportData, expected);
    },
    peerRevoked: ({ context }) =>
      context.env.defences.revocationCheck &&
      context.env.policy.isRevoked?.(context.peer, claimsForPolicy(need(context.peerClaims, 'claims'))) === true,
    revokesPeer: ({ context, event }) =>
      context.env.defences.revocationCheck && (event as Ev<'revoke'>).component === context.peer,
    // Key confirmation (state awaitM4).
    noKeyConfirmation: ({ context }) => !context.env.defences.keyConfirmation,
    confirmWrong: ({ context, event }) => {
      const c = context.env.crypto;
      const expected = ks.confirmTag(c, need(context.dh, 'dh'), need(context.h4, 'h4'));
      return !c.equal(expected, (event as Ev<'recv.m4'>).message.confirm);
    },
  },
}).createMachine({
  id: 'makeInitiator',
  context: ({ input }) => ({
    env: { crypto: input.crypto, policy: input.policy, defences: input.defences ?? ALL_DEFENCES },
    self: input.self,
    peer: input.peer,
    epoch: input.epoch,
    secret: input.secret,
    nonce: input.nonce,
    spi: input.spi,
    suite: input.suite ?? MAKE_SUITE,
    version: input.version ?? MAKE_VERSION,
  }),
  initial: 'idle',
  on: {
    timeout: { guard: 'running', target: '.failed', actions: { type: 'recordFailure', params: failure('make.timeout') } },
    abort: { guard: 'running', target: '.failed', actions: { type: 'recordFailure', params: ({ event }) => failure(event.code, event.detail) } },
    revoke: { guard: and(['running', 'revokesPeer']), target: '.failed', actions: { type: 'recordFailure', params: failure('make.revoked') } },
    'recv.*': { guard: 'running', target: '.failed', actions: { type: 'recordFailure', params: ({ event }) => failure('make.unexpected-message', event.type) } },
  },
  states: {
    idle: {
      on: {
        start: [
          { guard: 'peerUnknown', target: 'failed', actions: { type: 'recordFailure', params: failure('make.unknown-component') } },
          { guard: 'edgeNotAllowed', target: 'failed', actions: { type: 'recordFailure', params: failure('make.edge-not-allowed') } },
          {
            target: 'awaitM2',
            actions: [
              assign(({ context }) => {
                const c = context.env.crypto;
                const m1: Msg1 = {
                  type: 'm1',
                  version: context.version,
                  suite: context.suite,
                  nonce: context.nonce,
                  share: c.dhPublic(context.secret),
                  initiator: context.self,
                  responder: context.peer,
                  policyDigest: context.env.policy.digest,
                  policyVersion: context.env.policy.version,
                  epoch: context.epoch,
                  spi: context.spi,
                };
                return { m1, h1: ks.th1(c, m1) };
              }),
              { type: 'send', params: ({ context }) => ({ message: need(context.m1, 'm1') }) },
            ],
          },
        ],
      },
    },
    awaitM2: {
      on: {
        'recv.m2': {
          target: 'checkM2',
          actions: assign(({ context, event }) => {
            const c = context.env.crypto;
            const m2 = event.message;
            return { m2, dh: c.dh(context.secret, m2.share), h2: ks.th2(c, need(context.h1, 'h1'), m2) };
          }),
        },
      },
    },
    checkM2: {
      always: [
        { guard: 'policyDowngrade', target: 'failed', actions: { type: 'recordFailure', params: failure('make.policy-downgrade') } },
        { guard: 'policyDigestWrong', target: 'failed', actions: { type: 'recordFailure', params: failure('make.policy-digest') } },
        { guard: 'nonceReflected', target: 'failed', actions: { type: 'recordFailure', params: failure('make.replay') } },
        { guard: 'badShare', target: 'failed', actions: { type: 'recordFailure', params: failure('make.bad-share') } },
        { guard: 'macRWrong', target: 'failed', actions: { type: 'recordFailure', params: failure('make.bad-mac') } },
        {
          target: 'verifyR',
          actions: { type: 'verify', params: ({ context }) => ({ evidence: need(context.m2, 'm2').evidence, peer: context.peer }) },
        },
      ],
    },
    verifyR: {
      on: {
        'evidence.verified': { target: 'checkR', actions: assign({ peerClaims: ({ event }) => event.claims }) },
        'evidence.invalid': { target: 'failed', actions: { type: 'recordFailure', params: ({ event }) => failure('make.evidence', event.code) } },
      },
    },
    checkR: {
      always: [
        ...appraisalFailures(),
        {
          target: 'attest',
          actions: [
            assign(({ context }) => {
              const m2 = need(context.m2, 'm2');
              return { h3: ks.th3(context.env.crypto, need(context.h2, 'h2'), m2.evidence, m2.mac) };
            }),
            {
              type: 'attest',
              params: ({ context }) => ({
                reportData: ks.reportDataI(context.env.crypto, need(context.h3, 'h3'), context.self, context.env.policy.digest),
              }),
            },
          ],
        },
      ],
    },
    attest: {
      on: {
        'evidence.produced': [
          {
            guard: 'noKeyConfirmation',
            target: 'done',
            actions: [{ type: 'prepareM3', params: ({ event }) => ({ evidence: event.evidence }) }, { type: 'send', params: ({ context }) => ({ message: m3Of(context) }) }],
          },
          {
            target: 'awaitM4',
            actions: [{ type: 'prepareM3', params: ({ event }) => ({ evidence: event.evidence }) }, { type: 'send', params: ({ context }) => ({ message: m3Of(context) }) }],
          },
        ],
        'evidence.failed': { target: 'failed', actions: { type: 'recordFailure', params: ({ event }) => failure('make.attester', event.code) } },
      },
    },
    awaitM4: {
      on: {
        'recv.m4': [
          { guard: 'confirmWrong', target: 'failed', actions: { type: 'recordFailure', params: failure('make.bad-confirm') } },
          { target: 'done' },
        ],
      },
    },
    done: {
      type: 'final',
      entry: [
        assign(({ context }) => {
          const m1 = need(context.m1, 'm1');
          return { keys: ks.exportKeys(context.env.crypto, need(context.dh, 'dh'), need(context.h4, 'h4'), m1, need(context.m2, 'm2').spi, context.peer) };
        }),
        { type: 'export', params: ({ context }) => ({ keys: need(context.keys, 'keys') }) },
      ],
    },
    failed: {
      type: 'final',
      entry: { type: 'fail', params: ({ context }) => need(context.failure, 'failure') },
    },
  },
});
