import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appraise, AppraisalError } from '../../src/attestation/appraise.js';
import { parseCertificates } from '../../src/attestation/common/x509.js';
import { SnpVerifier } from '../../src/attestation/snp/verify.js';
import { nodeTsmFs, TsmAttester, TsmError, type TsmFileSystem } from '../../src/attestation/tsm/attester.js';
import { corpus, vec } from './corpus.js';

const snpEntry = corpus.find((e) => e.id === 'snp-gcp-milan-v5')!;

/** Builds an SNP certificate table (GUID, offset, length; zero entry; DER blobs). */
function certTable(certs: [string, Uint8Array][]): Uint8Array {
  const guidBytes = (g: string): Buffer => {
    const [a, b, c, d, e] = g.split('-') as [string, string, string, string, string];
    const le = (h: string) => Buffer.from(h, 'hex').reverse();
    return Buffer.concat([le(a), le(b), le(c), Buffer.from(d, 'hex'), Buffer.from(e, 'hex')]);
  };
  const head = 24 * (certs.length + 1);
  let off = head;
  const entries: Buffer[] = [];
  for (const [g, der] of certs) {
    const ent = Buffer.alloc(24);
    guidBytes(g).copy(ent, 0);
    ent.writeUInt32LE(off, 16);
    ent.writeUInt32LE(der.length, 20);
    entries.push(ent);
    off += der.length;
  }
  return Buffer.concat([...entries, Buffer.alloc(24), ...certs.map(([, d]) => Buffer.from(d))]);
}

/**
 * A stand-in for the kernel behind a temporary directory: the attester's reads and writes go to
 * real files there; like configfs, mkdir creates the attribute files, a write to inblob produces
 * outblob and bumps generation, and rmdir removes the item with its attributes.
 */
class FakeTsmKernel implements TsmFileSystem {
  inblobs: Uint8Array[] = [];
  racesLeft = 0;
  outblobError: string | undefined;
  constructor(
    readonly provider: string,
    readonly outblob: Uint8Array,
    readonly auxblob?: Uint8Array,
  ) {}
  async mkdir(p: string): Promise<void> {
    await mkdir(p);
    await writeFile(join(p, 'provider'), `${this.provider}\n`);
    await writeFile(join(p, 'generation'), '0\n');
  }
  async rmdir(p: string): Promise<void> {
    await rm(p, { recursive: true });
  }
  async readFile(p: string): Promise<Uint8Array> {
    if (basename(p) === 'outblob' && this.outblobError !== undefined) throw Object.assign(new Error(this.outblobError), { code: this.outblobError });
    return new Uint8Array(await readFile(p));
  }
  async writeFile(p: string, d: Uint8Array): Promise<void> {
    await writeFile(p, d);
    const dir = dirname(p);
    let gen = Number((await readFile(join(dir, 'generation'), 'utf8')).trim()) + 1;
    if (basename(p) === 'inblob') {
      this.inblobs.push(new Uint8Array(d));
      await writeFile(join(dir, 'outblob'), this.outblob);
      if (this.auxblob !== undefined) await writeFile(join(dir, 'auxblob'), this.auxblob);
      if (this.racesLeft > 0) {
        this.racesLeft--;
        gen++; // another process wrote inblob too
      }
    }
    await writeFile(join(dir, 'generation'), `${gen}\n`);
  }
  isDirectory = nodeTsmFs.isDirectory;
}

describe('configfs-tsm attester (file protocol in a temporary directory)', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'af-attest-tsm-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const chain = parseCertificates(vec(snpEntry.files['ask_ark_chain']!)).certs;
  const vcekDer = parseCertificates(vec(snpEntry.files['vcek']!)).certs[0]!.raw;
  const table = certTable([
    ['63da758d-e664-4564-adc5-f4b93be8accd', vcekDer],
    ['4ab7b379-bbac-4fe4-a02f-05aef327c782', chain[0]!.raw],
    ['c0b406a4-a803-4952-9743-3fb6014cd0ae', chain[1]!.raw],
  ]);
  const reportData = Uint8Array.from({ length: 64 }, (_, i) => i);

  it('SNP: writes the 64 bytes, returns outblob + certificates from auxblob, leaves nothing behind', async () => {
    const kernel = new FakeTsmKernel('sev_guest', vec(snpEntry.path), table);
    const ev = await new TsmAttester({ platform: 'snp', root, fs: kernel }).attest(reportData);
    expect(kernel.inblobs).toEqual([reportData]);
    expect(ev.platform).toBe('snp');
    expect(Buffer.from(ev.data).equals(Buffer.from(vec(snpEntry.path)))).toBe(true);
    expect(Buffer.from(ev.auxiliary!['vcek']!).equals(vcekDer)).toBe(true);
    expect(readdirSync(root)).toEqual([]);
    // The evidence goes straight into the verifier; appraisal then insists on our report data,
    // which this recorded report (signed for another request) does not carry.
    const claims = await new SnpVerifier().verify(ev, { now: new Date(snpEntry.now) });
    expect(claims.measurement).toBe(snpEntry.fields!['measurement']);
    expect(() => appraise(claims, { platform: 'snp', measurements: [claims.measurement], role: claims.role }, reportData)).toThrow(AppraisalError);
  });

  it('privlevel is written before inblob and counted in the generation', async () => {
    const kernel = new FakeTsmKernel('sev_guest', vec(snpEntry.path));
    const ev = await new TsmAttester({ platform: 'snp', root, fs: kernel, privlevel: 1 }).attest(reportData);
    expect(ev.auxiliary?.['vcek']).toBeUndefined();
    expect(kernel.inblobs).toHaveLength(1);
  });

  it('TDX and CCA use their providers', async () => {
    const tdx = corpus.find((e) => e.id === 'tdx-gotdx-spr-e4-v4')!;
    const ev = await new TsmAttester({ platform: 'tdx', root, fs: new FakeTsmKernel('tdx_guest', vec(tdx.path)) }).attest(reportData);
    expect(ev.platform).toBe('tdx');
    const cca = corpus.find((e) => e.id === 'cca-tfm-token-cmw')!;
    const ev2 = await new TsmAttester({ platform: 'cca', root, fs: new FakeTsmKernel('arm_cca_guest', vec(cca.path)) }).attest(reportData);
    expect(ev2.data.length).toBe(vec(cca.path).length);
  });

  it('missing interface: typed error', async () => {
    const a = new TsmAttester({ platform: 'snp', root: join(root, 'no-such-dir') });
    await expect(a.attest(reportData)).rejects.toMatchObject({ code: 'attestation.tsm.missing' });
  });

  it('a plain directory without a provider behind it: missing, and the report directory is removed', async () => {
    const a = new TsmAttester({ platform: 'tdx', root });
    const err = await a.attest(reportData).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TsmError);
    expect((err as TsmError).code).toBe('attestation.tsm.missing');
    expect(readdirSync(root)).toEqual([]);
  });

  it('wrong provider: typed error before anything is written', async () => {
    const kernel = new FakeTsmKernel('tdx_guest', vec(snpEntry.path));
    await expect(new TsmAttester({ platform: 'snp', root, fs: kernel }).attest(reportData)).rejects.toMatchObject({ code: 'attestation.tsm.wrong-provider' });
    expect(kernel.inblobs).toEqual([]);
    expect(readdirSync(root)).toEqual([]);
  });

  it('busy: a racing writer is retried, and persistent races end in a typed error', async () => {
    const once = new FakeTsmKernel('sev_guest', vec(snpEntry.path));
    once.racesLeft = 1;
    await new TsmAttester({ platform: 'snp', root, fs: once }).attest(reportData);
    expect(once.inblobs).toHaveLength(2);
    const always = new FakeTsmKernel('sev_guest', vec(snpEntry.path));
    always.racesLeft = 100;
    await expect(new TsmAttester({ platform: 'snp', root, fs: always, retries: 2 }).attest(reportData)).rejects.toMatchObject({ code: 'attestation.tsm.busy' });
    expect(always.inblobs).toHaveLength(3);
    expect(readdirSync(root)).toEqual([]);
  });

  it('EBUSY from the kernel is busy', async () => {
    const k = new FakeTsmKernel('sev_guest', vec(snpEntry.path));
    k.outblobError = 'EBUSY';
    await expect(new TsmAttester({ platform: 'snp', root, fs: k, retries: 0 }).attest(reportData)).rejects.toMatchObject({ code: 'attestation.tsm.busy' });
    expect(readdirSync(root)).toEqual([]);
  });

  it('report data must be 64 bytes', async () => {
    await expect(new TsmAttester({ platform: 'snp', root }).attest(new Uint8Array(32))).rejects.toMatchObject({ code: 'attestation.tsm.report-data' });
  });
});
