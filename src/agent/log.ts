/**
 * Structured logs: one JSON object per line, so operators can ship them to anything that reads
 * ndjson. Secrets never go into a log record; callers pass identifiers, codes and counts only.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Where log lines go (a stream's write, or a collector in tests). */
export type LogSink = (line: string) => void;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger that adds `fields` to every record (e.g. the component name). */
  child(fields: Record<string, unknown>): Logger;
}

export interface JsonLoggerOptions {
  level?: LogLevel;
  sink?: LogSink;
  now?: () => Date;
}

/** JSON-lines logger. Default sink is stderr so stdout stays free for command output. */
export function jsonLogger(base: Record<string, unknown> = {}, opts: JsonLoggerOptions = {}): Logger {
  const min = ORDER[opts.level ?? 'info'];
  const sink: LogSink = opts.sink ?? ((line) => process.stderr.write(line));
  const now = opts.now ?? (() => new Date());
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (ORDER[level] < min) return;
    const rec = { ts: now().toISOString(), level, msg, ...base, ...fields };
    sink(`${JSON.stringify(rec, jsonSafe)}\n`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => jsonLogger({ ...base, ...fields }, opts),
  };
}

/** A logger that drops everything (bench: thousands of agents in one process). */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};

// Byte arrays and bigints are not JSON; render them so a stray value cannot crash logging.
function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}
