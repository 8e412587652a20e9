/**
 * The MAKE responder as a pure XState v5 machine (see initiator.ts for the conventions). It waits
 * for message 1, checks the offer against its policy, attests over the transcript, and exports
 * keys only after the initiator's evidence and MAC check out.
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

export interface ResponderInput {
  readonly crypto: MakeCrypto;
  readonly policy: HandshakePolicy;
  readonly defences?: Readonly<Defences>;
  /** Our component name. */
  readonly self: string;
  /** Fresh randomness drawn by the driver: ephemeral secret, 32-byte nonce, our SPI. */
  readonly secret: MakeValue;
  readonly nonce: MakeValue;
  readonly spi: number;
  /** Suites we accept (default: the one suite) and the protocol version we speak. */
  readonly suites?: readonly string[];
  readonly version?: number;
}

export interface ResponderContext {
  readonly env: MakeEnv;
  readonly self: string;
  readonly secret: MakeValue;
  readonly nonce: MakeValue;
  readonly spi: number;
  readonly suites: readonly string[];
  readonly version: number;
  readonly m1?: Msg1;
  /** True when the driver's replay cache had seen message 1's nonce. */
  readonly replayed?: boolean;
  readonly share?: MakeValue;
  readonly dh?: MakeValue;
  readonly h2?: MakeValue;
  readonly ownEvidence?: MakeValue;
  readonly ownMac?: MakeValue;
  readonly h3?: MakeValue;
  readonly m3?: Msg3;
  readonly peerClaims?: VerifiedClaims;
  readonly h4?: MakeValue;
  readonly keys?: ExportedKeys;
  readonly failure?: MakeFailure;
}

type Ctx = ResponderContext;
type Ev<T extends MakeEvent['type']> = Extract<MakeEvent, { type: T }>;

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`MAKE responder: ${what} missing (machine bug)`);
  return v;
}

/** The initiator's component, as message 1 claims it (bound later by its evidence). */
const peerOf = (ctx: Ctx): string => need(ctx.m1, 'm1').initiator;
const ref = (ctx: Ctx) => ctx.env.policy.referenceValues(peerOf(ctx));
const claimsOk = (ctx: Ctx, test: (c: VerifiedClaims, r: NonNullable<ReturnType<typeof ref>>) => boolean): boolean => {
  const r = ref(ctx);
  return r !== undefined && test(need(ctx.peerClaims, 'claims'), r);
};

/** The responder's half of message 2, before its evidence exists (it is what th2 covers). */
function m2Core(ctx: Ctx): Pick<Msg2, 'nonce' | 'share' | 'policyDigest' | 'policyVersion' | 'spi'> {
  return {
    nonce: ctx.nonce,
    share: need(ctx.share, 'share'),
    policyDigest: ctx.env.policy.digest,
    policyVersion: ctx.env.policy.version,
    spi: ctx.spi,
  };
}

function m2Of(ctx: Ctx): Msg2 {
  return { type: 'm2', ...m2Core(ctx), evidence: need(ctx.ownEvidence, 'own evidence'), mac: need(ctx.ownMac, 'own mac') };
}

export const responderMachine = setup({
  types: {
    context: {} as ResponderContext,
    events: {} as MakeEvent,
    input: {} as ResponderInput,
  },
  actions: {
    ...effectActions,
    recordFailure: assign((_, params: MakeFailure) => ({ failure: params })),
    /** Our evidence arrived: MAC it and extend the transcript with the whole of message 2. */
    prepareM2: assign(({ context }, params: { evidence: MakeValue }) => {
      const c = context.env.crypto;
      const h2 = need(context.h2, 'h2');
      const mac = ks.macR(c, ks.macKeyR(c, need(context.dh, 'dh'), h2), h2, context.self, params.evidence);
      return { ownEvidence: params.evidence, ownMac: mac, h3: ks.th3(c, h2, params.evidence, mac) };
    }),
  },
  guards: {
    /** Not yet in a final state (XState still delivers events to a finished snapshot). */
    running: ({ context }) => context.failure === undefined && context.keys === undefined,
    // Message 1 checks (state checkM1).
    versionWrong: ({ context }) => need(context.m1, 'm1').version !== context.version,
    suiteRefused: ({ context }) => !context.suites.includes(need(context.m1, 'm1').suite),
    notForUs: ({ context }) => need(context.m1, 'm1').responder !== context.self,
    peerUnknown: ({ context }) => context.env.policy.referenceValues(peerOf(context)) === undefined,
    edgeNotAllowed: ({ context }) => !context.env.policy.allowsEdge(peerOf(context), context.self),
    policyDowngrade: ({ context }) =>
      context.env.defences.policyDigest && need(context.m1, 'm1').policyVersion < context.env.policy.version,
    policyDigestWrong: ({ context }) =>
      context.env.defences.policyDigest && !context.env.crypto.equal(need(context.m1, 'm1').policyDigest, context.env.policy.digest),
    nonceReplayed: ({ context }) =>
      context.env.defences.nonceFreshness &&
      (context.replayed === true || context.env.crypto.equal(need(context.m1, 'm1').nonce, context.nonce)),
    badShare: ({ context }) => context.dh === undefined,
    // Message 3 (state checkM3).
    macIWrong: ({ context }) => {
      if (!context.env.defences.keyConfirmation) return false;
      const c = context.env.crypto;
      const m3 = need(context.m3, 'm3');
      const expected = ks.macI(c, ks.macKeyI(c, need(context.dh, 'dh'), need(context.h2, 'h2')), need(context.h3, 'h3'), peerOf(context), m3.evidence);
      return !c.equal(expected, m3.mac);
    },
    // Appraisal of the initiator's claims (state checkI).
    platformWrong: ({ context }) => !claimsOk(context, appraisal.platform),
    measurementWrong: ({ context }) => !claimsOk(context, appraisal.measurement),
    debugRefused: ({ context }) => !claimsOk(context, appraisal.debug),
    signerWrong: ({ context }) => !claimsOk(context, appraisal.signer),
    roleWrong: ({ context }) => context.env.defences.roleBinding && !claimsOk(context, appraisal.role),
    reportDataWrong: ({ context }) => {
      if (!context.env.defences.transcriptBinding) return false;
      const c = context.env.crypto;
      const m1 = need(context.m1, 'm1');
      const expected = ks.reportDataI(c, need(context.h3, 'h3'), m1.initiator, m1.policyDigest);
      return !c.equal(need(context.peerClaims, 'claims').reportData, expected);
    },
    peerRevoked: ({ context }) =>
      context.env.defences.revocationCheck &&
      context.env.policy.isRevoked?.(peerOf(context), claimsForPolicy(need(context.peerClaims, 'claims'))) === true,
    revokesPeer: ({ context, event }) =>
      context.env.defences.revocationCheck && context.m1 !== undefined && (event as Ev<'revoke'>).component === peerOf(context),
  },
}).createMachine({
  id: 'makeResponder',
  context: ({ input }) => ({
    env: { crypto: input.crypto, policy: input.policy, defences: input.defences ?? ALL_DEFENCES },
    self: input.self,
    secret: input.secret,
    nonce: input.nonce,
    spi: input.spi,
    suites: input.suites ?? [MAKE_SUITE],
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
        'recv.m1': {
          target: 'checkM1',
          actions: assign(({ context, event }) => {
            const c = context.env.crypto;
            return { m1: event.message, replayed: event.replayed === true, share: c.dhPublic(context.secret), dh: c.dh(context.secret, event.message.share) };
          }),
        },
      },
    },
    checkM1: {
      always: [
        { guard: 'versionWrong', target: 'failed', actions: { type: 'recordFailure', params: failure('make.version') } },
        { guard: 'suiteRefused', target: 'failed', actions: { type: 'recordFailure', params: failure('make.suite') } },
        { guard: 'notForUs', target: 'failed', actions: { type: 'recordFailure', params: failure('make.wrong-responder') } },
        { guard: 'peerUnknown', target: 'failed', actions: { type: 'recordFailure', params: failure('make.unknown-component') } },
        { guard: 'edgeNotAllowed', target: 'failed', actions: { type: 'recordFailure', params: failure('make.edge-not-allowed') } },
        { guard: 'policyDowngrade', target: 'failed', actions: { type: 'recordFailure', params: failure('make.policy-downgrade') } },
        { guard: 'policyDigestWrong', target: 'failed', actions: { type: 'recordFailure', params: failure('make.policy-digest') } },
        { guard: 'nonceReplayed', target: 'failed', actions: { type: 'recordFailure', params: failure('make.replay') } },
        { guard: 'badShare', target: 'failed', actions: { type: 'recordFailure', params: failure('make.bad-share') } },
        {
          target: 'attest',
          actions: [
            assign(({ context }) => {
              const c = context.env.crypto;
              return { h2: ks.th2(c, ks.th1(c, need(context.m1, 'm1')), m2Core(context)) };
            }),
            {
              type: 'attest',
              params: ({ context }) => ({
                reportData: ks.reportDataR(context.env.crypto, need(context.h2, 'h2'), context.self, context.env.policy.digest),
              }),
            },
          ],
        },
      ],
    },
    attest: {
      on: {
        'evidence.produced': {
          target: 'awaitM3',
          actions: [
            { type: 'prepareM2', params: ({ event }) => ({ evidence: event.evidence }) },
            { type: 'send', params: ({ context }) => ({ message: m2Of(context) }) },
          ],
        },
        'evidence.failed': { target: 'failed', actions: { type: 'recordFailure', params: ({ event }) => failure('make.attester', event.code) } },
      },
    },
    awaitM3: {
      on: {
        'recv.m3': { target: 'checkM3', actions: assign({ m3: ({ event }) => event.message }) },
      },
    },
    checkM3: {
      always: [
        { guard: 'macIWrong', target: 'failed', actions: { type: 'recordFailure', params: failure('make.bad-mac') } },
        {
          target: 'verifyI',
          actions: { type: 'verify', params: ({ context }) => ({ evidence: need(context.m3, 'm3').evidence, peer: peerOf(context) }) },
        },
      ],
    },
    verifyI: {
      on: {
        'evidence.verified': { target: 'checkI', actions: assign({ peerClaims: ({ event }) => event.claims }) },
        'evidence.invalid': { target: 'failed', actions: { type: 'recordFailure', params: ({ event }) => failure('make.evidence', event.code) } },
      },
    },
    checkI: {
      always: [
        ...appraisalFailures(),
        {
          target: 'done',
          actions: [
            assign(({ context }) => {
              const m3 = need(context.m3, 'm3');
              return { h4: ks.th4(context.env.crypto, need(context.h3, 'h3'), m3.evidence, m3.mac) };
            }),
            {
              type: 'send',
              params: ({ context }) => ({ message: { type: 'm4' as const, confirm: ks.confirmTag(context.env.crypto, need(context.dh, 'dh'), need(context.h4, 'h4')) } }),
            },
          ],
        },
      ],
    },
    done: {
      type: 'final',
      entry: [
        assign(({ context }) => ({
          keys: ks.exportKeys(context.env.crypto, need(context.dh, 'dh'), need(context.h4, 'h4'), need(context.m1, 'm1'), context.spi, peerOf(context)),
        })),
        { type: 'export', params: ({ context }) => ({ keys: need(context.keys, 'keys') }) },
      ],
    },
    failed: {
      type: 'final',
      entry: { type: 'fail', params: ({ context }) => need(context.failure, 'failure') },
    },
  },
});
