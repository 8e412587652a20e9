export { WireError, WIRE_ERROR_CODES, type WireErrorCode } from './errors.js';
export { encodeCanonical, decodeStrict } from './cbor.js';
export { encodeMessage, decodeMessage, encodeEvidence, decodeEvidence, LIMITS, COMPONENT_PATTERN, SCHEMAS } from './messages.js';
export { encodeFrame, FrameDecoder, MAX_FRAME_PAYLOAD, FRAME_HEADER_BYTES } from './frame.js';
