/**
 * The software TEE's report layout (fixed, binary, like an SNP report), and its endorsement.
 *
 * report (256 bytes), signed by the TEE's device key:
 *   0   8  magic "AFSIMRPT"
 *   8   2  version (big-endian) = 1
 *   10  1  flags: bit 0 = debug; other bits zero
 *   11  5  reserved, zero
 *   16 48  measurement
 *   64 32  role (launch-time, like SNP HOST_DATA)
 *   96 64  report data
 *   160 32 device public key (Ed25519)
 *   192 64 Ed25519 signature by the device key over bytes 0..191
 * endorsement (auxiliary "endorsement", 96 bytes): device public key ‖ Ed25519 signature by the
 *   sim root over "AFSIM endorsement v1" ‖ device public key.
 */
export const SIM_MAGIC = new TextEncoder().encode('AFSIMRPT');
export const SIM_VERSION = 1;
export const SIM_REPORT_BYTES = 256;
export const SIM_SIGNED_BYTES = 192;
export const SIM_MEASUREMENT_BYTES = 48;
export const SIM_ROLE_BYTES = 32;
export const SIM_REPORT_DATA_BYTES = 64;
export const SIM_ENDORSEMENT_BYTES = 96;
export const SIM_ENDORSEMENT_LABEL = new TextEncoder().encode('AFSIM endorsement v1');
export const SIM_FLAG_DEBUG = 1;

export const OFF = Object.freeze({
  version: 8,
  flags: 10,
  reserved: 11,
  measurement: 16,
  role: 64,
  reportData: 96,
  deviceKey: 160,
  signature: 192,
});

export function endorsementMessage(devicePublic: Uint8Array): Uint8Array {
  const m = new Uint8Array(SIM_ENDORSEMENT_LABEL.length + 32);
  m.set(SIM_ENDORSEMENT_LABEL, 0);
  m.set(devicePublic, SIM_ENDORSEMENT_LABEL.length);
  return m;
}
