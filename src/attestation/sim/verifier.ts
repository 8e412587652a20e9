/**
 * Verifies sim evidence: the endorsement must verify under the root this verifier was given, the
 * report under the endorsed device key. Without that root nothing is accepted.
 */
import { defaultCrypto, type CryptoProvider, bytesEqual } from '../../crypto/index.js';
import { AttestflowError } from '../../errors.js';
import type { Claims, Evidence, Verifier } from '../types.js';
import { simParseError, simVerifyError } from './errors.js';
import { OFF, SIM_ENDORSEMENT_BYTES, SIM_FLAG_DEBUG, SIM_MAGIC, SIM_REPORT_BYTES, SIM_SIGNED_BYTES, SIM_VERSION, endorsementMessage } from './format.js';
import { simRootFingerprint } from './attester.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

export class SimVerifier implements Verifier {
  readonly platform = 'sim' as const;
  private readonly roots: readonly Uint8Array[];

  /** @param trustedRoots the sim root public keys (32 bytes each) this verifier accepts. */
  constructor(trustedRoots: readonly Uint8Array[], private readonly crypto: CryptoProvider = defaultCrypto) {
    if (trustedRoots.length === 0) throw new AttestflowError('attestation.input', 'a sim verifier needs at least one trusted root');
    for (const r of trustedRoots) if (r.length !== 32) throw new AttestflowError('attestation.input', 'sim root public keys are 32 bytes');
    this.roots = trustedRoots.map((r) => r.slice());
  }

  async verify(evidence: Evidence): Promise<Claims> {
    return this.verifySync(evidence);
  }

  verifySync(evidence: Evidence): Claims {
    if (evidence.platform !== 'sim') throw simParseError(`evidence is for platform ${String(evidence.platform)}`);
    const r = evidence.data;
    if (!(r instanceof Uint8Array) || r.length !== SIM_REPORT_BYTES) throw simParseError(`report must be ${SIM_REPORT_BYTES} bytes`, { length: r?.length });
    if (!bytesEqual(r.subarray(0, 8), SIM_MAGIC)) throw simParseError('bad magic');
    const dv = new DataView(r.buffer, r.byteOffset, r.byteLength);
    if (dv.getUint16(OFF.version, false) !== SIM_VERSION) throw simParseError('unknown report version', { version: dv.getUint16(OFF.version, false) });
    const flags = r[OFF.flags] as number;
    if ((flags & ~SIM_FLAG_DEBUG) !== 0 || r.subarray(OFF.reserved, OFF.measurement).some((b) => b !== 0)) throw simParseError('reserved bits set');
    const end = evidence.auxiliary?.endorsement;
    if (end === undefined || end.length !== SIM_ENDORSEMENT_BYTES) throw simParseError('endorsement missing or not 96 bytes');
    const device = end.subarray(0, 32);
    const root = this.roots.find((k) => this.crypto.ed25519Verify(k, endorsementMessage(device), end.subarray(32)));
    if (root === undefined) throw simVerifyError('endorsement', 'device key is not endorsed by a trusted sim root');
    if (!bytesEqual(device, r.subarray(OFF.deviceKey, OFF.signature))) throw simVerifyError('device_key', 'report names another device key than the endorsement');
    if (!this.crypto.ed25519Verify(device, r.subarray(0, SIM_SIGNED_BYTES), r.subarray(OFF.signature))) {
      throw simVerifyError('report_signature', 'report signature does not verify');
    }
    return {
      platform: 'sim',
      measurement: hex(r.subarray(OFF.measurement, OFF.role)),
      role: hex(r.subarray(OFF.role, OFF.reportData)),
      reportData: hex(r.subarray(OFF.reportData, OFF.deviceKey)),
      debug: (flags & SIM_FLAG_DEBUG) !== 0,
      signer: simRootFingerprint(root, this.crypto),
      extra: { device: hex(device) },
    };
  }
}
