/**
 * Verifies sim evidence: the endorsement must verify under the root this verifier was given, the
 * report under the endorsed device key. Without that root nothing is accepted.
 *
 * The endorsement is static (one per launched TEE), so its verification is remembered: a node keying
 * many edges sees the same few endorsements over and over. Only successes are remembered, keyed by
 * the exact 96 endorsement bytes (this verifier's roots are fixed, and the entry names the root that
 * verified). The report signature, over fresh report data, is verified on every call.
 */
import { defaultCrypto, type CryptoProvider, bytesEqual } from '../../crypto/index.js';
import { AttestflowError } from '../../errors.js';
import type { Claims, Evidence, Verifier } from '../types.js';
import { simParseError, simVerifyError } from './errors.js';
import { OFF, SIM_ENDORSEMENT_BYTES, SIM_FLAG_DEBUG, SIM_MAGIC, SIM_REPORT_BYTES, SIM_SIGNED_BYTES, SIM_VERSION, endorsementMessage } from './format.js';
import { simRootFingerprint } from './attester.js';

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** Distinct endorsements remembered per verifier (one per peer TEE; a 1,000-node bench needs 1,000). */
const ENDORSEMENT_CACHE_MAX = 4096;

export class SimVerifier implements Verifier {
  readonly platform = 'sim' as const;
  private readonly roots: readonly Uint8Array[];
  /** Endorsement bytes (hex) → the root that verified them and its fingerprint; bounded, oldest out first. */
  private readonly endorsed = new Map<string, { readonly root: Uint8Array; readonly signer: string }>();

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
    const endorser = this.endorser(end);
    if (endorser === undefined) throw simVerifyError('endorsement', 'device key is not endorsed by a trusted sim root');
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
      signer: endorser.signer,
      extra: { device: hex(device) },
    };
  }

  /** The trusted root whose signature over the endorsed device key verifies, remembered per endorsement. */
  private endorser(end: Uint8Array): { readonly root: Uint8Array; readonly signer: string } | undefined {
    const key = hex(end);
    const hit = this.endorsed.get(key);
    if (hit !== undefined) return hit;
    const device = end.subarray(0, 32);
    const root = this.roots.find((k) => this.crypto.ed25519Verify(k, endorsementMessage(device), end.subarray(32)));
    if (root === undefined) return undefined;
    const entry = { root, signer: simRootFingerprint(root, this.crypto) };
    if (this.endorsed.size >= ENDORSEMENT_CACHE_MAX) this.endorsed.delete(this.endorsed.keys().next().value as string);
    this.endorsed.set(key, entry);
    return entry;
  }
}
