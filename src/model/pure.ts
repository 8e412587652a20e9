/**
 * The fast pure stepper lives with the machines it steps (src/make/pure-stepper.ts) since the MAKE
 * party uses it for real handshakes too; the model checker imports it from here as before.
 */
export { pureStepper, type PureStepper, type PureAction } from '../make/pure-stepper.js';
