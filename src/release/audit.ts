/**
 * The append-only, hash-chained audit log of releases, refusals and revocations.
 *
 * One JSON object per line: `{seq, time, prev, event, hash}` where `hash` is
 * SHA-256("attestflow/audit/v1\0" ‖ canonical JSON of {seq, time, prev, event}) and `prev` is the
 * previous line's hash (64 zeros for the first). Editing a line breaks its hash; deleting or
 * reordering lines breaks `seq` and `prev`. Cutting whole lines off the end leaves a valid chain,
 * so every append also rewrites a head anchor `LOG.head` (`{seq, hash}`) and `verifyAuditLog`
 * checks the log reaches it; keep a copy of the head elsewhere (or pass `--head HASH`) to detect a
 * truncation of both.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { AttestflowError } from '../errors.js';
import { canonicalJson } from '../policy/canonical.js';

/** A field value of an audit event. */
export type AuditValue = string | number | boolean | readonly string[];
/** An audit event: a `type` plus flat fields (never secret values). */
export type AuditEvent = { readonly type: string } & { readonly [k: string]: AuditValue };

/** One line of the log. */
export interface AuditEntry {
  readonly seq: number;
  readonly time: string;
  readonly prev: string;
  readonly event: AuditEvent;
  readonly hash: string;
}

/** The head anchor written beside the log. */
export interface AuditHead {
  readonly seq: number;
  readonly hash: string;
}

/** `prev` of the first entry. */
export const GENESIS = '0'.repeat(64);
const LABEL = 'attestflow/audit/v1\0';

/** The hash of an entry's content. */
export function entryHash(e: Omit<AuditEntry, 'hash'>): string {
  return bytesToHex(sha256(utf8ToBytes(LABEL + canonicalJson({ seq: e.seq, time: e.time, prev: e.prev, event: e.event }))));
}

/** A problem found by {@link verifyAuditLog}; `line` is 1-based. */
export interface AuditProblem {
  readonly line: number;
  readonly code: 'bad-json' | 'bad-entry' | 'bad-seq' | 'bad-prev' | 'bad-hash' | 'truncated' | 'head-mismatch';
  readonly message: string;
}

/** The outcome of verifying a log. */
export interface AuditVerdict {
  readonly ok: boolean;
  readonly entries: number;
  /** The last entry's hash (GENESIS for an empty log). */
  readonly head: string;
  readonly problems: readonly AuditProblem[];
  /** True when a head anchor was checked (otherwise a cut at the end cannot be seen). */
  readonly anchored: boolean;
}

/** Error of the audit log (code `audit.*`). */
export class AuditError extends AttestflowError {}

const isEntryShape = (x: unknown): x is AuditEntry => {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return false;
  const o = x as Record<string, unknown>;
  const keys = Object.keys(o).sort().join(',');
  return (
    keys === 'event,hash,prev,seq,time' &&
    Number.isSafeInteger(o.seq) &&
    typeof o.time === 'string' &&
    typeof o.prev === 'string' &&
    typeof o.hash === 'string' &&
    o.event !== null &&
    typeof o.event === 'object' &&
    typeof (o.event as Record<string, unknown>).type === 'string'
  );
};

/**
 * Verifies a log's text offline: every line parses, `seq` counts from 0, each `prev` is the hash
 * before it, each `hash` matches its content, and (when given) the last entry is the head anchor.
 */
export function verifyAuditLog(text: string, head?: AuditHead | string): AuditVerdict {
  const problems: AuditProblem[] = [];
  let prev = GENESIS;
  let count = 0;
  let lastSeq = -1;
  const lines = text.split('\n');
  if (text.length > 0 && !text.endsWith('\n')) {
    problems.push({ line: lines.length, code: 'truncated', message: 'the last line is incomplete (no newline): the log was cut' });
  }
  if (text.endsWith('\n')) lines.pop();
  lines.forEach((raw, i) => {
    const line = i + 1;
    let e: unknown;
    try {
      e = JSON.parse(raw);
    } catch {
      if (!(i === lines.length - 1 && !text.endsWith('\n'))) problems.push({ line, code: 'bad-json', message: 'not a JSON object' });
      return;
    }
    if (!isEntryShape(e)) {
      problems.push({ line, code: 'bad-entry', message: 'not an audit entry {seq, time, prev, event, hash}' });
      return;
    }
    if (e.seq !== lastSeq + 1) {
      problems.push({ line, code: 'bad-seq', message: `seq ${e.seq} follows ${lastSeq}: an entry was removed, inserted or moved` });
    }
    if (e.prev !== prev) {
      problems.push({ line, code: 'bad-prev', message: 'prev is not the hash of the entry before: the chain is broken here' });
    }
    const h = entryHash(e);
    if (h !== e.hash) problems.push({ line, code: 'bad-hash', message: 'hash does not match the entry: the entry was edited' });
    lastSeq = e.seq;
    prev = e.hash;
    count++;
  });
  let anchored = false;
  if (head !== undefined) {
    anchored = true;
    const want = typeof head === 'string' ? head.toLowerCase() : head.hash;
    if (want !== prev) {
      const seqNote = typeof head === 'string' ? '' : ` (entry ${head.seq})`;
      problems.push({
        line: lines.length,
        code: 'head-mismatch',
        message: `the log ends at ${prev.slice(0, 16)}…, not at the anchored head ${want.slice(0, 16)}…${seqNote}: entries were cut from the end or the log was replaced`,
      });
    }
  }
  return { ok: problems.length === 0, entries: count, head: prev, problems, anchored };
}

/** Path of the head anchor of a log. */
export const headPath = (logPath: string): string => `${logPath}.head`;

/** Reads a head anchor file; undefined when there is none. */
export function readHead(logPath: string): AuditHead | undefined {
  const p = headPath(logPath);
  if (!existsSync(p)) return undefined;
  const h = JSON.parse(readFileSync(p, 'utf8')) as AuditHead;
  if (!Number.isSafeInteger(h.seq) || typeof h.hash !== 'string') throw new AuditError('audit.bad-head', `${p} is not a head anchor {seq, hash}`);
  return h;
}

function writeDurably(path: string, flag: 'a' | 'w', text: string): void {
  const fd = openSync(path, flag);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** An append-only audit log file (one writer at a time). Opening an existing log verifies it first. */
export class AuditLog {
  readonly path: string;
  private seq: number;
  private prev: string;

  private constructor(path: string, seq: number, prev: string) {
    this.path = path;
    this.seq = seq;
    this.prev = prev;
  }

  /** Opens (or creates) a log; refuses to append to a log that does not verify. */
  static open(path: string): AuditLog {
    if (!existsSync(path)) {
      writeFileSync(path, '', { flag: 'wx' });
      return new AuditLog(path, 0, GENESIS);
    }
    const v = verifyAuditLog(readFileSync(path, 'utf8'), readHead(path));
    if (!v.ok) {
      const p = v.problems[0]!;
      throw new AuditError('audit.corrupt', `${path}:${p.line}: ${p.message}; refusing to append to a broken log`, { problems: v.problems.length });
    }
    return new AuditLog(path, v.entries, v.head);
  }

  /** Number of entries. */
  get length(): number {
    return this.seq;
  }

  /** The last entry's hash. */
  get head(): string {
    return this.prev;
  }

  /** Appends one event and moves the head anchor. */
  append(event: AuditEvent, time: Date = new Date()): AuditEntry {
    const body = { seq: this.seq, time: time.toISOString(), prev: this.prev, event };
    const entry: AuditEntry = { ...body, hash: entryHash(body) };
    // Durable before the effect it records is performed: the entry, then the head anchor.
    writeDurably(this.path, 'a', `${JSON.stringify(entry)}\n`);
    const tmp = `${headPath(this.path)}.tmp`;
    writeDurably(tmp, 'w', `${JSON.stringify({ seq: entry.seq, hash: entry.hash })}\n`);
    renameSync(tmp, headPath(this.path));
    this.seq++;
    this.prev = entry.hash;
    return entry;
  }
}
