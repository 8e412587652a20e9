import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditLog, entryHash, GENESIS, verifyAuditLog } from '../../src/release/audit.js';
import { repoRoot } from '../util/env.js';

const dir = mkdtempSync(join(tmpdir(), 'af-policy-audit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const bin = join(repoRoot, 'bin', 'attestflow.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

let n = 0;
/** A fresh log with `count` entries; returns its path and text. */
function makeLog(count: number): { path: string; text: string; lines: string[] } {
  const path = join(dir, `log-${n++}.ndjson`);
  const log = AuditLog.open(path);
  for (let i = 0; i < count; i++) {
    log.append({ type: i % 2 ? 'refuse' : 'release-secret', session: `s${i}`, component: 'analyze', secret: 'k', reason: i % 2 ? 'not-allowed' : '' }, new Date(1_700_000_000_000 + i));
  }
  const text = readFileSync(path, 'utf8');
  return { path, text, lines: text.trimEnd().split('\n') };
}
const head = (path: string) => JSON.parse(readFileSync(`${path}.head`, 'utf8')) as { seq: number; hash: string };
const codes = (text: string, h?: { seq: number; hash: string }) => verifyAuditLog(text, h).problems.map((p) => p.code);

describe('audit log', () => {
  it('an intact log verifies, with its head anchor', () => {
    const { path, text, lines } = makeLog(6);
    const v = verifyAuditLog(text, head(path));
    expect(v).toMatchObject({ ok: true, entries: 6, anchored: true });
    expect(v.head).toBe(JSON.parse(lines[5]!).hash);
    expect(JSON.parse(lines[0]!).prev).toBe(GENESIS);
    expect(verifyAuditLog('')).toMatchObject({ ok: true, entries: 0, head: GENESIS });
  });

  it('detects an edited entry (even with its hash recomputed: the next link breaks)', () => {
    const { path, text, lines } = makeLog(5);
    const edited = text.replace('"reason":"not-allowed"', '"reason":"released"');
    expect(codes(edited, head(path))).toContain('bad-hash');
    const e = JSON.parse(lines[2]!);
    e.event.secret = 'other';
    e.hash = entryHash(e);
    const relinked = [...lines.slice(0, 2), JSON.stringify(e), ...lines.slice(3)].join('\n') + '\n';
    const v = verifyAuditLog(relinked, head(path));
    expect(v.problems.map((p) => [p.line, p.code])).toEqual([[4, 'bad-prev']]);
  });

  it('detects reordering and removal in the middle', () => {
    const { path, lines } = makeLog(5);
    const swapped = [lines[0], lines[2], lines[1], lines[3], lines[4]].join('\n') + '\n';
    expect(codes(swapped, head(path))).toEqual(expect.arrayContaining(['bad-seq', 'bad-prev']));
    const removed = [lines[0], lines[1], lines[3], lines[4]].join('\n') + '\n';
    expect(codes(removed, head(path))).toEqual(expect.arrayContaining(['bad-seq', 'bad-prev']));
  });

  it('detects truncation: a cut line, and whole entries cut from the end (against the head anchor)', () => {
    const { path, text, lines } = makeLog(5);
    expect(codes(text.slice(0, text.length - 20), head(path))).toContain('truncated');
    const cut = lines.slice(0, 3).join('\n') + '\n';
    expect(verifyAuditLog(cut).ok).toBe(true); // a chain alone cannot see it ...
    expect(codes(cut, head(path))).toEqual(['head-mismatch']); // ... the anchor does
    expect(codes(cut, JSON.parse(lines[4]!).hash)).toEqual(['head-mismatch']);
  });

  it('any single-byte change of a log is detected (fast-check)', () => {
    const { path, text } = makeLog(4);
    const h = head(path);
    fc.assert(
      fc.property(fc.nat(text.length - 1), fc.integer({ min: 1, max: 255 }), (at, delta) => {
        const b = Buffer.from(text);
        b[at] = (b[at]! + delta) % 256;
        const changed = b.toString('latin1');
        fc.pre(changed !== text);
        expect(verifyAuditLog(changed, h).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('`attestflow audit verify`: exit 0 when intact, 1 naming the line when edited, reordered or cut', () => {
    const { path, text, lines } = makeLog(4);
    const ok = cli('audit', 'verify', path);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/ok: 4 entries, head [0-9a-f]{64}\n/);

    writeFileSync(path, text.replace('"session":"s1"', '"session":"s9"'));
    const edited = cli('audit', 'verify', path);
    expect(edited.status).toBe(1);
    expect(edited.stdout).toMatch(new RegExp(`${path}:2: error \\[bad-hash\\]`));

    writeFileSync(path, [lines[1], lines[0], lines[2], lines[3]].join('\n') + '\n');
    expect(cli('audit', 'verify', path).status).toBe(1);

    writeFileSync(path, lines.slice(0, 2).join('\n') + '\n');
    const cut = cli('audit', 'verify', path);
    expect(cut.status).toBe(1);
    expect(cut.stdout).toMatch(/head-mismatch/);
    // Without the anchor, the same cut is invisible, and the CLI says so.
    const noAnchor = cli('audit', 'verify', path, '--no-head-file');
    expect(noAnchor.status).toBe(0);
    expect(noAnchor.stdout).toMatch(/no head anchor/);
    expect(cli('audit', 'verify', join(dir, 'missing.log')).status).toBe(2);
  });
});
