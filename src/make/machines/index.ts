export { initiatorMachine, type InitiatorInput, type InitiatorContext } from './initiator.js';
export { responderMachine, type ResponderInput, type ResponderContext } from './responder.js';
export { effectsOf, appraisal, EFFECT_TYPES, type MakeEffect, type MakeEvent, type MakeEnv, type VerifiedClaims } from './common.js';
export * as keySchedule from './schedule.js';
export { LABELS, type ExportedKeys, type ExportedSa } from './schedule.js';
export type { MakeCrypto, MakeValue, Part } from './values.js';
