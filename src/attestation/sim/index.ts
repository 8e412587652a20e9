export { SimRoot, SimAttester, simRootFingerprint, type SimLaunchConfig } from './attester.js';
export { SimVerifier } from './verifier.js';
export { SimEvidenceError } from './errors.js';
export { SIM_REPORT_BYTES, SIM_MEASUREMENT_BYTES, SIM_ROLE_BYTES, SIM_REPORT_DATA_BYTES } from './format.js';
