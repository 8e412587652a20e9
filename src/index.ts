/**
 * attestflow — confidential workflows across mutually distrustful TEEs.
 *
 * Data flows one way: policy → (attestation + MAKE) → release → data plane. This module is the
 * public API; every export carries a doc comment. Concern modules add their exports below.
 */
export { AttestflowError, UsageError, isAttestflowError } from './errors.js';
export { VERSION } from './version.js';

// attestation
/** Contracts shared by attesters, verifiers and their users (MAKE, release, agent). */
export type { Platform, Evidence, Attester, Claims, ReferenceValues, Verifier } from './attestation/types.js';
/** Typed failures: unparseable evidence, a failed cryptographic check (named), bad verifier inputs. */
export { EvidenceParseError, EvidenceVerifyError, VerifierInputError } from './attestation/common/errors.js';
/** Every check by name, decoded fields and verdict of one piece of evidence (corpus vocabulary). */
export type { CheckReport, Verdict } from './attestation/common/report.js';
/** AMD SEV-SNP: report parsing (v2–v5, Milan/Genoa/Turin), VCEK/VLEK chain to the pinned ARK, HCL reports. */
export { parseSnpReport, decodeTcb, type SnpReport, type TcbLayout } from './attestation/snp/report.js';
export { checkSnp, snpClaims, SnpVerifier, type SnpCheckInput } from './attestation/snp/verify.js';
export { parseSnpCertTable } from './attestation/snp/cert-table.js';
/** Intel TDX: quotes v4/v5, QE binding, PCK chain to the Intel SGX Root CA; TCB Info / QE Identity collateral. */
export { parseTdxQuote, type TdxQuote } from './attestation/tdx/quote.js';
export { checkTdx, tdxClaims, TdxVerifier, type TdxCheckInput } from './attestation/tdx/verify.js';
export { checkCollateral, parseCollateral, appraiseCollateral, type CollateralInput } from './attestation/tdx/collateral.js';
/** Arm CCA: tokens (tags 399, 907, 18), realm token by its RAK, platform token by the CPAK, their binding. */
export { parseCcaToken, type CcaToken } from './attestation/cca/token.js';
export { checkCca, ccaClaims, CcaVerifier, loadCpak } from './attestation/cca/verify.js';
/** One entry point over all platforms (what `attestflow evidence verify` runs), and evidence file decoding. */
export { verifyEvidence, readCollateralDir, type VerifyEvidenceInput, type VerifyPlatform } from './attestation/evidence/verify.js';
export { decodeEvidenceFile, type EvidenceEncoding } from './attestation/evidence/decode.js';
/** Vendor roots pinned by SHA-256 fingerprint. */
export { PINNED_ROOTS, type RootName } from './attestation/roots.js';
/** Appraisal of verified claims against a component's reference values; throws naming the failing claim. */
export { appraise, AppraisalError, tcbAtLeast, type AppraisedClaim } from './attestation/appraise.js';
/** The configfs-tsm attester for real TEE guests (SNP, TDX, CCA). */
export { TsmAttester, TsmError, TSM_PROVIDERS, TSM_REPORT_ROOT, type TsmAttesterOptions } from './attestation/tsm/attester.js';
