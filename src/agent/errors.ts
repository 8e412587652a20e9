import { AttestflowError } from '../errors.js';

/**
 * Failures the agent reports on purpose. Codes are stable (`agent.*`) because metrics label
 * handshake failures by code and operators alert on them.
 */
export class AgentError extends AttestflowError {}

/** A completed handshake whose result does not match what this node's plan expects (never installed). */
export class UnexpectedPeerError extends AgentError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('agent.unexpected-peer', message, details);
  }
}

/** A handshake did not finish within the agent's deadline. */
export class HandshakeTimeoutError extends AgentError {
  constructor(edge: string, ms: number) {
    super('agent.handshake-timeout', `handshake for edge ${edge} did not finish within ${ms} ms`, { edge, ms });
  }
}

/** The agent was asked to do something in a state that does not allow it (e.g. start twice). */
export class AgentStateError extends AgentError {
  constructor(message: string) {
    super('agent.state', message);
  }
}

/** Reason label for a failure: the typed code when there is one, else a generic bucket. */
export function reasonOf(e: unknown): string {
  if (e instanceof AttestflowError) return e.code;
  if (e instanceof Error && 'code' in e && typeof (e as { code: unknown }).code === 'string') {
    // Node system errors (ECONNREFUSED, ECONNRESET, ...) are useful reasons as they are.
    return `net.${(e as { code: string }).code.toLowerCase()}`;
  }
  return 'internal';
}
