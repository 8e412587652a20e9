/**
 * The line-based JSON protocol between the conformance runner and an implementation under test
 * (`conformance/PROTOCOL.md` is the normative text; this file is its TypeScript mirror).
 * One JSON object per line, byte strings as lowercase hex, so any language can speak it.
 */
import { AttestflowError } from '../errors.js';

/** Protocol identifier exchanged in `hello`; bumped on any incompatible change. */
export const PROTOCOL_ID = 'attestflow-make-conformance/1';

/** Longest line either side may write (frames are far smaller; this bounds a misbehaving peer). */
export const MAX_LINE_BYTES = 1 << 20;

/** A malformed line, a protocol violation, a timeout or a crash of the implementation under test. */
export class ConformanceError extends AttestflowError {}

/** The reference values the policy holds for one component (sim platform), hex strings. */
export interface ComponentSpec {
  readonly measurement: string;
  /** 32-byte launch-time role field, hex. */
  readonly role: string;
}

/** The policy a party checks, as the runner sends it. */
export interface PolicySpec {
  /** 32-byte canonical policy digest, hex. */
  readonly digest: string;
  readonly version: number;
  readonly components: Readonly<Record<string, ComponentSpec>>;
  /** Directed edges `[from, to]` the policy allows (from = initiator). */
  readonly edges: readonly (readonly [string, string])[];
  /** Components the policy has revoked (a handshake with one must fail). */
  readonly revoked?: readonly string[];
}

/** The software TEE a party runs in: the trusted root and this party's own attester. */
export interface TeeSpec {
  readonly platform: 'sim';
  /** Public key of the sim root the verifier trusts, hex. */
  readonly rootPublicKey: string;
  /** Seed of the sim root (the party's attester is endorsed by it), hex. */
  readonly rootSeed: string;
  /** Seed of this party's attestation key, hex. */
  readonly attesterSeed: string;
  /** Measurement this party's TEE reports, hex. */
  readonly measurement: string;
  /** Launch-time role this party's TEE reports (32 bytes), hex. */
  readonly role: string;
}

/** Fixed randomness for one party in one session, so transcripts are reproducible. */
export interface RandomSpec {
  /** X25519 ephemeral private key (32 bytes), hex. */
  readonly ephemeral: string;
  /** Session nonce (32 bytes), hex. */
  readonly nonce: string;
  /** SPI this party chooses for the direction it receives (≥ 256). */
  readonly spi: number;
}

export type Role = 'initiator' | 'responder';

/** Runner → implementation: start one party of one handshake. */
export interface SetupMessage {
  readonly op: 'setup';
  readonly session: string;
  readonly role: Role;
  /** The component this party is. */
  readonly self: string;
  /** The component the initiator wants to reach (responders learn the initiator from message 1). */
  readonly peer?: string;
  readonly epoch: number;
  /** Suites this party offers (initiator) or accepts (responder), most preferred first. */
  readonly suites: readonly string[];
  readonly policy: PolicySpec;
  readonly tee: TeeSpec;
  readonly random: RandomSpec;
}

export type RunnerMessage =
  | { readonly op: 'hello'; readonly protocol: string }
  | SetupMessage
  | { readonly op: 'recv'; readonly session: string; readonly frame: string }
  | { readonly op: 'close'; readonly session: string };

/** Keys as exported on the wire (hex). */
export interface WireSaKeys {
  readonly spi: number;
  readonly key: string;
  readonly salt: string;
}
export interface WireEdgeKeys {
  readonly edge: string;
  readonly epoch: number;
  readonly initiatorToResponder: WireSaKeys;
  readonly responderToInitiator: WireSaKeys;
}

export type ImplMessage =
  | { readonly op: 'hello'; readonly protocol: string; readonly impl?: string }
  | { readonly op: 'send'; readonly session: string; readonly frame: string }
  | { readonly op: 'keys'; readonly session: string; readonly keys: WireEdgeKeys }
  | { readonly op: 'error'; readonly session: string; readonly code: string; readonly detail?: string; readonly message?: string };

const HEX = /^(?:[0-9a-f]{2})*$/;

function fail(what: string, line: string): never {
  const shown = line.length > 200 ? `${line.slice(0, 200)}…` : line;
  throw new ConformanceError('conformance.bad-line', `${what}: ${shown}`);
}

function obj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(o: Record<string, unknown>, k: string, line: string): string {
  const v = o[k];
  if (typeof v !== 'string') fail(`field "${k}" must be a string`, line);
  return v;
}

function hex(o: Record<string, unknown>, k: string, line: string, len?: number): string {
  const v = str(o, k, line);
  if (!HEX.test(v)) fail(`field "${k}" must be lowercase hex`, line);
  if (len !== undefined && v.length !== 2 * len) fail(`field "${k}" must be ${len} bytes`, line);
  return v;
}

function uint(o: Record<string, unknown>, k: string, line: string): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(`field "${k}" must be a non-negative integer`, line);
  return v;
}

function onlyKeys(o: Record<string, unknown>, allowed: readonly string[], line: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) fail(`unknown field "${k}"`, line);
}

function saKeys(v: unknown, k: string, line: string): WireSaKeys {
  if (!obj(v)) fail(`field "${k}" must be an object`, line);
  onlyKeys(v, ['spi', 'key', 'salt'], line);
  return { spi: uint(v, 'spi', line), key: hex(v, 'key', line), salt: hex(v, 'salt', line) };
}

/** A protocol line as a JSON object, or `conformance.bad-line`. */
function jsonObject(line: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    fail('not JSON', line);
  }
  if (!obj(v)) fail('not a JSON object', line);
  return v;
}

/** Parses one line the implementation wrote; throws `conformance.bad-line` on anything else. */
export function parseImplLine(line: string): ImplMessage {
  const v = jsonObject(line);
  const op = str(v, 'op', line);
  switch (op) {
    case 'hello': {
      onlyKeys(v, ['op', 'protocol', 'impl'], line);
      const impl = v.impl;
      if (impl !== undefined && typeof impl !== 'string') fail('field "impl" must be a string', line);
      return impl === undefined ? { op, protocol: str(v, 'protocol', line) } : { op, protocol: str(v, 'protocol', line), impl };
    }
    case 'send':
      onlyKeys(v, ['op', 'session', 'frame'], line);
      return { op, session: str(v, 'session', line), frame: hex(v, 'frame', line) };
    case 'keys': {
      onlyKeys(v, ['op', 'session', 'keys'], line);
      const k = v.keys;
      if (!obj(k)) fail('field "keys" must be an object', line);
      onlyKeys(k, ['edge', 'epoch', 'initiatorToResponder', 'responderToInitiator'], line);
      return {
        op,
        session: str(v, 'session', line),
        keys: {
          edge: str(k, 'edge', line),
          epoch: uint(k, 'epoch', line),
          initiatorToResponder: saKeys(k.initiatorToResponder, 'initiatorToResponder', line),
          responderToInitiator: saKeys(k.responderToInitiator, 'responderToInitiator', line),
        },
      };
    }
    case 'error': {
      onlyKeys(v, ['op', 'session', 'code', 'detail', 'message'], line);
      const { message, detail } = v;
      if (message !== undefined && typeof message !== 'string') fail('field "message" must be a string', line);
      if (detail !== undefined && typeof detail !== 'string') fail('field "detail" must be a string', line);
      const code = str(v, 'code', line);
      if (!/^[a-z0-9-]+(?:\.[a-z0-9-]+)+$/.test(code)) fail('field "code" must be a dotted lowercase code', line);
      return {
        op,
        session: str(v, 'session', line),
        code,
        ...(detail === undefined ? {} : { detail }),
        ...(message === undefined ? {} : { message }),
      };
    }
    default:
      fail(`unknown op "${op}"`, line);
  }
}

function component(v: unknown, name: string, line: string): ComponentSpec {
  if (!obj(v)) fail(`component "${name}" must be an object`, line);
  onlyKeys(v, ['measurement', 'role'], line);
  return { measurement: hex(v, 'measurement', line), role: hex(v, 'role', line, 32) };
}

/** Parses one line the runner wrote (used by adapters written in TypeScript). */
export function parseRunnerLine(line: string): RunnerMessage {
  const v = jsonObject(line);
  const op = str(v, 'op', line);
  switch (op) {
    case 'hello':
      onlyKeys(v, ['op', 'protocol'], line);
      return { op, protocol: str(v, 'protocol', line) };
    case 'recv':
      onlyKeys(v, ['op', 'session', 'frame'], line);
      return { op, session: str(v, 'session', line), frame: hex(v, 'frame', line) };
    case 'close':
      onlyKeys(v, ['op', 'session'], line);
      return { op, session: str(v, 'session', line) };
    case 'setup': {
      onlyKeys(v, ['op', 'session', 'role', 'self', 'peer', 'epoch', 'suites', 'policy', 'tee', 'random'], line);
      const role = str(v, 'role', line);
      if (role !== 'initiator' && role !== 'responder') fail('field "role" must be initiator or responder', line);
      const peer = v.peer;
      if (peer !== undefined && typeof peer !== 'string') fail('field "peer" must be a string', line);
      if (role === 'initiator' && peer === undefined) fail('an initiator needs "peer"', line);
      const suites = v.suites;
      if (!Array.isArray(suites) || suites.length === 0 || !suites.every((s) => typeof s === 'string')) fail('field "suites" must be a non-empty array of strings', line);
      const p = v.policy;
      if (!obj(p)) fail('field "policy" must be an object', line);
      onlyKeys(p, ['digest', 'version', 'components', 'edges', 'revoked'], line);
      const revoked = p.revoked;
      if (revoked !== undefined && !(Array.isArray(revoked) && revoked.every((x) => typeof x === 'string'))) fail('field "policy.revoked" must be an array of strings', line);
      const comps = p.components;
      if (!obj(comps)) fail('field "policy.components" must be an object', line);
      const components: Record<string, ComponentSpec> = {};
      for (const [name, c] of Object.entries(comps)) components[name] = component(c, name, line);
      const edges = p.edges;
      if (!Array.isArray(edges) || !edges.every((e) => Array.isArray(e) && e.length === 2 && e.every((x) => typeof x === 'string'))) fail('field "policy.edges" must be an array of [from, to]', line);
      const t = v.tee;
      if (!obj(t)) fail('field "tee" must be an object', line);
      onlyKeys(t, ['platform', 'rootPublicKey', 'rootSeed', 'attesterSeed', 'measurement', 'role'], line);
      if (t.platform !== 'sim') fail('field "tee.platform" must be "sim"', line);
      const r = v.random;
      if (!obj(r)) fail('field "random" must be an object', line);
      onlyKeys(r, ['ephemeral', 'nonce', 'spi'], line);
      const base = {
        op,
        session: str(v, 'session', line),
        role,
        self: str(v, 'self', line),
        epoch: uint(v, 'epoch', line),
        suites: suites as string[],
        policy: {
          digest: hex(p, 'digest', line, 32),
          version: uint(p, 'version', line),
          components,
          edges: edges as [string, string][],
          ...(revoked === undefined ? {} : { revoked: revoked as string[] }),
        },
        tee: {
          platform: 'sim' as const,
          rootPublicKey: hex(t, 'rootPublicKey', line),
          rootSeed: hex(t, 'rootSeed', line, 32),
          attesterSeed: hex(t, 'attesterSeed', line, 32),
          measurement: hex(t, 'measurement', line),
          role: hex(t, 'role', line, 32),
        },
        random: { ephemeral: hex(r, 'ephemeral', line, 32), nonce: hex(r, 'nonce', line, 32), spi: uint(r, 'spi', line) },
      } satisfies SetupMessage;
      return peer === undefined ? base : { ...base, peer };
    }
    default:
      fail(`unknown op "${op}"`, line);
  }
}

/** Serialises one protocol message as a line (with the trailing newline). */
export function toLine(m: RunnerMessage | ImplMessage): string {
  return `${JSON.stringify(m)}\n`;
}
