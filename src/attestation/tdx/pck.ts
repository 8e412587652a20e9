import type { X509Certificate } from 'node:crypto';
import { nodeInteger, nodeOctets, oidSequence } from '../common/asn1.js';
import { extensions } from '../common/x509.js';

/** Intel's SGX extension of PCK certificates. */
export const SGX_EXTENSION = '1.2.840.113741.1.13.1';

/** What a PCK certificate says: FMSPC, PCE-ID and the platform's TCB (for TCB Info matching). */
export interface PckInfo {
  readonly fmspc: Uint8Array;
  readonly pceId: Uint8Array;
  /** SGX TCB components 1–16. */
  readonly sgxTcbComponents: readonly number[];
  readonly pceSvn: number;
}

/** Reads the SGX extension; undefined when absent or malformed. */
export function pckInfo(cert: X509Certificate): PckInfo | undefined {
  const ext = extensions(cert).get(SGX_EXTENSION);
  if (ext === undefined) return undefined;
  const top = oidSequence(ext);
  if (top === undefined) return undefined;
  const fmspc = nodeOctets(top.get(`${SGX_EXTENSION}.4`));
  const pceId = nodeOctets(top.get(`${SGX_EXTENSION}.3`));
  const tcbNode = top.get(`${SGX_EXTENSION}.2`);
  const tcb = tcbNode === undefined ? undefined : oidSequence(tcbNode);
  if (fmspc === undefined || pceId === undefined || tcb === undefined) return undefined;
  const comps: number[] = [];
  for (let i = 1; i <= 16; i++) comps.push(nodeInteger(tcb.get(`${SGX_EXTENSION}.2.${i}`)) ?? -1);
  const pceSvn = nodeInteger(tcb.get(`${SGX_EXTENSION}.2.17`)) ?? -1;
  return { fmspc, pceId, sgxTcbComponents: comps, pceSvn };
}
