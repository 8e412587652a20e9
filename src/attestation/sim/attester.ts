/**
 * The software TEE: a real attester with its own key hierarchy (a root that endorses device keys,
 * device keys that sign reports), so the verifier does the same work as for hardware. It protects
 * nothing — its keys are in process memory — which is why a verifier accepts it only when handed
 * this root explicitly and policies must name the sim root to trust it.
 */
import { defaultCrypto, type CryptoProvider } from '../../crypto/index.js';
import { AttestflowError } from '../../errors.js';
import type { Attester, Evidence } from '../types.js';
import { OFF, SIM_FLAG_DEBUG, SIM_MAGIC, SIM_MEASUREMENT_BYTES, SIM_REPORT_BYTES, SIM_REPORT_DATA_BYTES, SIM_ROLE_BYTES, SIM_SIGNED_BYTES, SIM_VERSION, endorsementMessage } from './format.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** A sim root of trust (the "vendor"). */
export class SimRoot {
  readonly publicKey: Uint8Array;
  private constructor(private readonly seed: Uint8Array, private readonly crypto: CryptoProvider) {
    this.publicKey = crypto.ed25519Public(seed);
  }
  /** A fresh root with a random key. */
  static generate(crypto: CryptoProvider = defaultCrypto): SimRoot {
    return new SimRoot(crypto.randomBytes(32), crypto);
  }
  /** A root from a fixed 32-byte seed (tests, conformance vectors). */
  static fromSeed(seed: Uint8Array, crypto: CryptoProvider = defaultCrypto): SimRoot {
    if (seed.length !== 32) throw new AttestflowError('attestation.input', 'sim root seed must be 32 bytes');
    return new SimRoot(seed.slice(), crypto);
  }
  /** SHA-256 of the root public key, lowercase hex: the `signer` in claims. */
  get fingerprint(): string {
    return simRootFingerprint(this.publicKey, this.crypto);
  }
  /** Endorses a device key (what a vendor does at manufacturing). */
  endorse(devicePublic: Uint8Array): Uint8Array {
    const sig = this.crypto.ed25519Sign(this.seed, endorsementMessage(devicePublic));
    const out = new Uint8Array(96);
    out.set(devicePublic, 0);
    out.set(sig, 32);
    return out;
  }
  /** Launches a sim TEE with this root's endorsement. */
  launch(config: SimLaunchConfig): SimAttester {
    return new SimAttester(this, config, this.crypto);
  }
}

export function simRootFingerprint(publicKey: Uint8Array, crypto: CryptoProvider = defaultCrypto): string {
  return hex(crypto.sha256(publicKey));
}

/** What a host fixes at launch: the image measurement, the role field, debug. */
export interface SimLaunchConfig {
  /** 48 bytes (the image measurement). */
  readonly measurement: Uint8Array;
  /** 32 bytes (launch-time role, like SNP HOST_DATA). */
  readonly role: Uint8Array;
  readonly debug?: boolean;
  /** Device key seed (tests); random when absent. */
  readonly deviceSeed?: Uint8Array;
}

export class SimAttester implements Attester {
  readonly platform = 'sim' as const;
  private readonly deviceSeed: Uint8Array;
  private readonly devicePublic: Uint8Array;
  private readonly endorsement: Uint8Array;
  private readonly measurement: Uint8Array;
  private readonly role: Uint8Array;
  private readonly debug: boolean;

  constructor(root: SimRoot, config: SimLaunchConfig, private readonly crypto: CryptoProvider = defaultCrypto) {
    if (config.measurement.length !== SIM_MEASUREMENT_BYTES) throw new AttestflowError('attestation.input', `sim measurement must be ${SIM_MEASUREMENT_BYTES} bytes`);
    if (config.role.length !== SIM_ROLE_BYTES) throw new AttestflowError('attestation.input', `sim role must be ${SIM_ROLE_BYTES} bytes`);
    this.deviceSeed = config.deviceSeed?.slice() ?? crypto.randomBytes(32);
    this.devicePublic = crypto.ed25519Public(this.deviceSeed);
    this.endorsement = root.endorse(this.devicePublic);
    this.measurement = config.measurement.slice();
    this.role = config.role.slice();
    this.debug = config.debug === true;
  }

  async attest(reportData: Uint8Array): Promise<Evidence> {
    return this.attestSync(reportData);
  }

  /** Same as {@link attest}, synchronously (the work is local). */
  attestSync(reportData: Uint8Array): Evidence {
    if (!(reportData instanceof Uint8Array) || reportData.length !== SIM_REPORT_DATA_BYTES) {
      throw new AttestflowError('attestation.input', `report data must be ${SIM_REPORT_DATA_BYTES} bytes`);
    }
    const r = new Uint8Array(SIM_REPORT_BYTES);
    r.set(SIM_MAGIC, 0);
    new DataView(r.buffer).setUint16(OFF.version, SIM_VERSION, false);
    r[OFF.flags] = this.debug ? SIM_FLAG_DEBUG : 0;
    r.set(this.measurement, OFF.measurement);
    r.set(this.role, OFF.role);
    r.set(reportData, OFF.reportData);
    r.set(this.devicePublic, OFF.deviceKey);
    r.set(this.crypto.ed25519Sign(this.deviceSeed, r.subarray(0, SIM_SIGNED_BYTES)), OFF.signature);
    return { platform: 'sim', data: r, auxiliary: { endorsement: this.endorsement.slice() } };
  }
}
