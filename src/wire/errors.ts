/** Typed decode/encode failures of MAKE messages and frames. */
import { AttestflowError } from '../errors.js';

export const WIRE_ERROR_CODES = [
  'wire.malformed', // not well-formed CBOR
  'wire.truncated', // input ends inside an item
  'wire.trailing-bytes', // bytes after the single top-level item
  'wire.not-canonical', // well-formed but not the deterministic encoding (key order, long forms, streaming)
  'wire.duplicate-field',
  'wire.unknown-field',
  'wire.missing-field',
  'wire.wrong-type',
  'wire.bad-length', // a fixed-length byte string of the wrong length
  'wire.oversize', // a field, message or frame over its bound
  'wire.out-of-range', // an integer or enumeration outside its range
  'wire.unexpected-message', // a well-formed message of another type than expected
] as const;
export type WireErrorCode = (typeof WIRE_ERROR_CODES)[number];

export class WireError extends AttestflowError {
  declare readonly code: WireErrorCode;
  constructor(code: WireErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
  }
}
