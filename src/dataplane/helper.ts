/**
 * Runs bpf/build/afdp, the libbpf helper (Node has no bpf() syscall binding; see bpf/afdp.c).
 * One process per batch of operations: lines in on stdin (keys never in argv), one JSON reply per
 * line out. No helper process outlives a call, so nothing is left running.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DataplaneError, type HelperReply } from './errors.js';

/** The bpf/build directory of this package (from src/ or dist/ alike). */
export const bpfBuildDir: string = fileURLToPath(new URL('../../bpf/build/', import.meta.url));
export const defaultHelper: string = process.env.ATTESTFLOW_AFDP ?? `${bpfBuildDir}afdp`;
export const defaultObject: string = process.env.ATTESTFLOW_BPF_OBJECT ?? `${bpfBuildDir}attestflow_dp.bpf.o`;

export interface HelperOptions {
  /** Path of the helper binary. */
  readonly helper?: string;
  /** Network namespace to run in (`/run/netns/NAME` or a name), entered with nsenter --net. */
  readonly netns?: string;
  /**
   * All input read before the first operation, all answers written after the last (afdp's batch
   * mode): this process stays idle while the operations run. For timed test runs.
   */
  readonly batch?: boolean;
}

function netnsPath(ns: string): string {
  return ns.includes('/') ? ns : `/run/netns/${ns}`;
}

/** Runs the operations in order and returns one reply per operation. */
export async function runHelper(lines: readonly string[], opts: HelperOptions = {}): Promise<HelperReply[]> {
  const helper = opts.helper ?? defaultHelper;
  if (!existsSync(helper)) {
    throw new DataplaneError('dataplane.helper', `data-plane helper not built: ${helper} (run \`make -C bpf\` or npm run setup)`);
  }
  if (lines.some((l) => l.includes('\n'))) throw new DataplaneError('dataplane.helper', 'helper operation contains a newline');
  const [cmd, args] = opts.netns ? ['nsenter', [`--net=${netnsPath(opts.netns)}`, helper]] : [helper, []];
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: opts.batch ? { ...process.env, AFDP_BATCH: '1' } : process.env });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => err.push(d));
  const done = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  // A helper that exits before reading all its input (its namespace vanished, it was killed)
  // makes the write fail with EPIPE; without a listener that error would crash the process. The
  // exit status below reports the failure, with this write error as its cause.
  let writeError: Error | undefined;
  child.stdin.on('error', (e: Error) => {
    writeError ??= e;
  });
  child.stdin.end(lines.map((l) => `${l}\n`).join(''));
  let code: number | null;
  try {
    code = await done;
  } catch (e) {
    throw new DataplaneError('dataplane.helper', `cannot run data-plane helper: ${(e as Error).message}`, undefined, { cause: e });
  }
  let replies: HelperReply[];
  try {
    replies = Buffer.concat(out)
      .toString('utf8')
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as HelperReply);
  } catch (e) {
    // A helper killed mid-line leaves a cut reply: the same failure, not a SyntaxError.
    throw new DataplaneError('dataplane.helper', `data-plane helper (exit ${code}) wrote a reply that is not JSON`, undefined, { cause: e });
  }
  if (code !== 0 || replies.length !== lines.length || writeError !== undefined) {
    const how = code === null ? `was killed (${child.signalCode ?? 'signal'})` : `exited ${code}`;
    const input = writeError !== undefined ? ` before reading its input (${(writeError as NodeJS.ErrnoException).code ?? writeError.message})` : '';
    throw new DataplaneError(
      'dataplane.helper',
      `data-plane helper ${how}${input} after ${replies.length}/${lines.length} answers: ${Buffer.concat(err).toString('utf8').slice(0, 500)}`,
      undefined,
      writeError !== undefined ? { cause: writeError } : undefined,
    );
  }
  return replies;
}

/** Runs one operation and returns its reply, throwing `code` when the kernel refused it. */
export async function runOne(line: string, code: string, what: string, opts: HelperOptions = {}): Promise<HelperReply> {
  const [r] = await runHelper([line], opts);
  if (!r?.ok) throw new DataplaneError(code, `${what}: ${r?.error ?? 'no answer'}`, { errno: r?.errno, op: r?.op });
  return r;
}
