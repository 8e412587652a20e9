import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EdgeKeys } from '../../src/make/types.js';
import { AuditLog, verifyAuditLog } from '../../src/release/audit.js';
import { ReleaseController, type ReleasePort } from '../../src/release/controller.js';
import { EnvelopeError, openSecret, sealSecret, type SecretEnvelope } from '../../src/release/envelope.js';
import { demoVersion, handshake, launch } from './world.js';

const dir = mkdtempSync(join(tmpdir(), 'af-policy-release-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RECORDS_KEY = new TextEncoder().encode('the hospital record key 0123456789');

/** The agent side of release: seals over the MAKE session's keys; records what happened. */
class RecordingPort implements ReleasePort {
  readonly sent: { session: string; envelope: SecretEnvelope }[] = [];
  readonly installed = new Set<string>();
  readonly ended: string[] = [];
  readonly revoked: string[] = [];
  readonly refusals: string[] = [];
  constructor(
    private readonly self: string,
    private readonly keysOf: (session: string) => EdgeKeys,
  ) {}
  sendSecret(session: string, secret: string, value: Uint8Array) {
    this.sent.push({ session, envelope: sealSecret(this.keysOf(session), this.self, secret, value) });
  }
  installKey(session: string, edge: string, epoch: number) {
    this.installed.add(`${session}|${edge}|${epoch}`);
  }
  removeKey(session: string, edge: string, epoch: number) {
    this.installed.delete(`${session}|${edge}|${epoch}`);
  }
  revokeSecret(session: string, secret: string) {
    this.revoked.push(`${session}|${secret}`);
  }
  endSession(session: string) {
    this.ended.push(session);
  }
  refuseSecret(session: string, secret: string, reason: string) {
    this.refusals.push(`${session}|${secret}|${reason}`);
  }
}

describe('release over an established MAKE session (demo policy, sim TEEs, real handshake)', () => {
  const policy = demoVersion(1);
  const tees = { ingest: launch('ingest', 'ingest'), analyze: launch('analyze', 'analyze'), report: launch('report', 'report') };

  it('the analysis enclave gets the record key; the report enclave is refused; all of it is audited', async () => {
    const toAnalyze = await handshake('ingest', tees.ingest, policy, 'analyze', tees.analyze, policy);
    const toReport = await handshake('ingest', tees.ingest, policy, 'report', tees.report, policy);
    expect(toAnalyze.ok && toReport.ok).toBe(true);
    const keys = new Map([
      [toAnalyze.session, toAnalyze.initiatorKeys!],
      [toReport.session, toReport.initiatorKeys!],
    ]);
    const logPath = join(dir, 'ingest.audit');
    const audit = AuditLog.open(logPath);
    const port = new RecordingPort('ingest', (s) => keys.get(s)!);
    const ctl = new ReleaseController({ policy, component: 'ingest', secrets: { 'records-key': RECORDS_KEY }, port, audit });

    await ctl.sessionEstablished({ id: toAnalyze.session, peer: 'analyze', claims: toAnalyze.claimsOfResponder! });
    await ctl.sessionEstablished({ id: toReport.session, peer: 'report', claims: toReport.claimsOfResponder! });
    await ctl.installKeys(toAnalyze.session, toAnalyze.initiatorKeys!);
    await ctl.installKeys(toReport.session, toReport.initiatorKeys!);
    expect(port.installed.size).toBe(2);

    const ok = await ctl.requestSecret(toAnalyze.session, 'records-key');
    expect(ok).toEqual([{ type: 'release-secret', session: toAnalyze.session, component: 'analyze', secret: 'records-key' }]);
    const refused = await ctl.requestSecret(toReport.session, 'records-key');
    expect(refused).toEqual([{ type: 'refuse', event: 'REQUEST_SECRET', session: toReport.session, target: 'records-key', reason: 'not-allowed' }]);
    expect(port.sent).toHaveLength(1);
    expect(port.refusals).toEqual([`${toReport.session}|records-key|not-allowed`]);

    // The analysis enclave opens it with its own copy of the session keys ...
    const env = port.sent[0]!.envelope;
    expect(Buffer.from(openSecret(toAnalyze.responderKeys!, env)).toString()).toBe(Buffer.from(RECORDS_KEY).toString());
    // ... nobody else can: not the report enclave's session, not a changed name or epoch.
    expect(() => openSecret(toReport.responderKeys!, env)).toThrow(EnvelopeError);
    expect(() => openSecret(toAnalyze.responderKeys!, { ...env, secret: 'report-signing-key' })).toThrow(EnvelopeError);
    expect(() => openSecret(toAnalyze.responderKeys!, { ...env, epoch: 1 })).toThrow(EnvelopeError);
    expect(env.sealed).not.toContain(Buffer.from(RECORDS_KEY).toString('hex'));

    const v = verifyAuditLog(readFileSync(logPath, 'utf8'), JSON.parse(readFileSync(`${logPath}.head`, 'utf8')));
    expect(v.ok).toBe(true);
    const events = readFileSync(logPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l).event);
    expect(events.map((e) => `${e.type}:${e.component}:${e.reason ?? ''}`)).toEqual([
      'install-key:analyze:',
      'install-key:report:',
      'release-secret:analyze:',
      'refuse:report:not-allowed',
    ]);
    expect(readFileSync(logPath, 'utf8')).not.toContain(Buffer.from(RECORDS_KEY).toString('hex'));
  });

  it('a peer whose claims do not match the policy entry is never served (appraisal failed, audited)', async () => {
    const hs = await handshake('ingest', tees.ingest, policy, 'analyze', tees.analyze, policy);
    const port = new RecordingPort('ingest', () => hs.initiatorKeys!);
    const logPath = join(dir, 'mismatch.audit');
    const ctl = new ReleaseController({ policy, component: 'ingest', secrets: { 'records-key': RECORDS_KEY }, port, audit: AuditLog.open(logPath) });
    // Claims of another image: release re-checks identity and refuses even if MAKE was fooled.
    const wrong = { ...hs.claimsOfResponder!, measurement: 'ee'.repeat(48) };
    const eff = await ctl.sessionEstablished({ id: hs.session, peer: 'analyze', claims: wrong });
    expect(eff.map((e) => e.type)).toEqual(['refuse', 'end-session']);
    expect((await ctl.requestSecret(hs.session, 'records-key'))[0]).toMatchObject({ type: 'refuse', reason: 'session-closed' });
    expect(port.sent).toEqual([]);
    expect(port.ended).toEqual([hs.session]);
    const text = readFileSync(logPath, 'utf8');
    expect(verifyAuditLog(text).entries).toBe(4);
    // The audit names the claim that failed, then the machine's refusal and teardown.
    expect(text.trim().split('\n').map((l) => JSON.parse(l).event).map((e) => `${e.type}:${e.code ?? e.reason}`)).toEqual([
      'appraisal:attestation.appraise.measurement',
      'refuse:appraisal-failed',
      'end-session:appraisal-failed',
      'refuse:session-closed',
    ]);
  });

  it('an impostor image or a genuine image in another role never completes MAKE, so nothing is released', async () => {
    const impostor = await handshake('ingest', tees.ingest, policy, 'analyze', launch('impostor', 'analyze'), policy);
    expect(impostor).toMatchObject({ ok: false, failure: 'make.measurement' });
    const diverted = await handshake('ingest', tees.ingest, policy, 'analyze', launch('analyze', 'report'), policy);
    expect(diverted).toMatchObject({ ok: false, failure: 'make.role' });
  });

  it('opening a log that was tampered with is refused; appending continues the chain', () => {
    const logPath = join(dir, 'ingest.audit');
    const before = verifyAuditLog(readFileSync(logPath, 'utf8')).entries;
    const log = AuditLog.open(logPath);
    log.append({ type: 'note', text: 'more' });
    expect(verifyAuditLog(readFileSync(logPath, 'utf8'), log.head)).toMatchObject({ ok: true, entries: before + 1 });
    writeFileSync(logPath, readFileSync(logPath, 'utf8').replace('not-allowed', 'released'));
    expect(() => AuditLog.open(logPath)).toThrow(/refusing to append/);
  });
});

describe('release controller: events in order, effects performed before the next event', () => {
  it('a revocation decided while a key install is still being performed removes that key after it lands', async () => {
    const policy = demoVersion(1);
    const hs = await handshake('ingest', launch('ingest', 'ingest'), policy, 'analyze', launch('analyze', 'analyze'), policy);
    expect(hs.ok).toBe(true);
    const order: string[] = [];
    const installed = new Set<string>();
    let land!: () => void;
    const landed = new Promise<void>((r) => (land = r));
    const port: ReleasePort = {
      sendSecret: () => undefined,
      // The data plane is slow: the install is still running when the revocation arrives.
      installKey: async (session, edge, epoch) => {
        order.push('install-start');
        await landed;
        installed.add(`${session}|${edge}|${epoch}`);
        order.push('install-done');
      },
      removeKey: (session, edge, epoch) => {
        order.push('remove');
        installed.delete(`${session}|${edge}|${epoch}`);
      },
      revokeSecret: () => undefined,
      endSession: () => undefined,
    };
    const ctl = new ReleaseController({ policy, component: 'ingest', port });
    await ctl.sessionEstablished({ id: hs.session, peer: 'analyze', claims: hs.claimsOfResponder! });
    const install = ctl.installKeys(hs.session, hs.initiatorKeys!);
    const revoke = ctl.dispatch({ type: 'REVOKE', component: 'analyze', refs: '*' });
    await new Promise((r) => setTimeout(r, 20));
    land();
    await Promise.all([install, revoke]);
    expect(order).toEqual(['install-start', 'install-done', 'remove']);
    expect(installed.size).toBe(0);
    expect(ctl.context.keys).toEqual([]);
  });
});
