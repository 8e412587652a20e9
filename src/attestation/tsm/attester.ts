import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rmdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AttestflowError } from '../../errors.js';
import { parseSnpCertTable } from '../snp/cert-table.js';
import type { Attester, Evidence, Platform } from '../types.js';

/**
 * An {@link Attester} for real TEEs through the Linux configfs-tsm report interface
 * (Documentation/ABI/testing/configfs-tsm-report): make a report directory, write the 64 bytes of
 * report data to `inblob`, read the evidence from `outblob` (and SNP certificates from `auxblob`),
 * check `provider` names the expected TEE driver and `generation` shows no other writer raced us,
 * then remove the directory.
 */

/** Failure codes: `attestation.tsm.{missing,busy,wrong-provider,io,report-data}`. */
export class TsmError extends AttestflowError {
  constructor(kind: 'missing' | 'busy' | 'wrong-provider' | 'io' | 'report-data', message: string, details?: Record<string, unknown>) {
    super(`attestation.tsm.${kind}`, message, details);
  }
}

/** The kernel's configfs-tsm report directory. */
export const TSM_REPORT_ROOT = '/sys/kernel/config/tsm/report';

/** Provider names of the Linux TEE guest drivers (their module names). */
export const TSM_PROVIDERS: Readonly<Record<Exclude<Platform, 'sim'>, string>> = {
  snp: 'sev_guest',
  tdx: 'tdx_guest',
  cca: 'arm_cca_guest',
};

/** The file operations the attester performs; node:fs by default (tests may observe them). */
export interface TsmFileSystem {
  mkdir(path: string): Promise<void>;
  rmdir(path: string): Promise<void>;
  readFile(path: string): Promise<Uint8Array>;
  writeFile(path: string, data: Uint8Array): Promise<void>;
  isDirectory(path: string): Promise<boolean>;
}

export const nodeTsmFs: TsmFileSystem = {
  mkdir: async (p) => {
    await mkdir(p);
  },
  rmdir: (p) => rmdir(p),
  readFile: async (p) => new Uint8Array(await readFile(p)),
  writeFile: (p, d) => writeFile(p, d),
  isDirectory: async (p) => {
    try {
      return (await stat(p)).isDirectory();
    } catch {
      return false;
    }
  },
};

export interface TsmAttesterOptions {
  readonly platform: Exclude<Platform, 'sim'>;
  /** The report root; default {@link TSM_REPORT_ROOT}. */
  readonly root?: string;
  /** Expected provider name; default from {@link TSM_PROVIDERS}. */
  readonly provider?: string;
  /** SNP: VMPL to request (`privlevel`), when set. */
  readonly privlevel?: number;
  /** How often to retry when another writer raced us (default 3). */
  readonly retries?: number;
  readonly fs?: TsmFileSystem;
}

const errno = (e: unknown): string | undefined => (typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined);

export class TsmAttester implements Attester {
  readonly platform: Exclude<Platform, 'sim'>;
  private readonly root: string;
  private readonly provider: string;
  private readonly fs: TsmFileSystem;

  constructor(private readonly opts: TsmAttesterOptions) {
    this.platform = opts.platform;
    this.root = opts.root ?? TSM_REPORT_ROOT;
    this.provider = opts.provider ?? TSM_PROVIDERS[opts.platform];
    this.fs = opts.fs ?? nodeTsmFs;
  }

  async attest(reportData: Uint8Array): Promise<Evidence> {
    if (reportData.length !== 64) throw new TsmError('report-data', `report data must be 64 bytes, got ${reportData.length}`);
    if (!(await this.fs.isDirectory(this.root))) {
      throw new TsmError('missing', `no configfs-tsm report interface at ${this.root} (not a TEE guest, or configfs not mounted)`, { root: this.root });
    }
    const retries = this.opts.retries ?? 3;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once(reportData);
      } catch (e) {
        if (!(e instanceof TsmError) || !e.code.endsWith('.busy') || attempt >= retries) throw e;
      }
    }
  }

  private async once(reportData: Uint8Array): Promise<Evidence> {
    const dir = join(this.root, `attestflow-${process.pid}-${randomBytes(6).toString('hex')}`);
    const io = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
      try {
        return await f();
      } catch (e) {
        if (e instanceof TsmError) throw e;
        const code = errno(e);
        if (code === 'EBUSY' || code === 'EAGAIN') throw new TsmError('busy', `${what}: the TSM is busy (${code})`);
        if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENXIO' || code === 'ENODEV') throw new TsmError('missing', `${what}: ${code} (no TEE provider behind ${this.root}?)`);
        throw new TsmError('io', `${what}: ${(e as Error).message}`, { code });
      }
    };
    await io(`mkdir ${dir}`, () => this.fs.mkdir(dir));
    try {
      const gen = async (): Promise<number> => {
        const t = Buffer.from(await io('read generation', () => this.fs.readFile(join(dir, 'generation')))).toString('utf8').trim();
        const n = Number(t);
        if (!/^\d+$/.test(t) || !Number.isSafeInteger(n)) throw new TsmError('io', `generation is not a number: '${t}'`);
        return n;
      };
      const provider = Buffer.from(await io('read provider', () => this.fs.readFile(join(dir, 'provider')))).toString('utf8').trim();
      if (provider !== this.provider) {
        throw new TsmError('wrong-provider', `configfs-tsm provider is '${provider}', expected '${this.provider}' for ${this.platform}`, { provider, expected: this.provider });
      }
      const g0 = await gen();
      let writes = 0;
      if (this.opts.privlevel !== undefined) {
        await io('write privlevel', () => this.fs.writeFile(join(dir, 'privlevel'), Buffer.from(`${this.opts.privlevel}\n`)));
        writes++;
      }
      await io('write inblob', () => this.fs.writeFile(join(dir, 'inblob'), reportData));
      writes++;
      const outblob = await io('read outblob', () => this.fs.readFile(join(dir, 'outblob')));
      let auxblob: Uint8Array | undefined;
      if (this.platform === 'snp') {
        try {
          auxblob = await this.fs.readFile(join(dir, 'auxblob'));
        } catch (e) {
          if (errno(e) !== 'ENOENT') throw new TsmError('io', `read auxblob: ${(e as Error).message}`);
        }
      }
      // Another writer on the same directory would have bumped the generation: our outblob might
      // answer their report data. Retry instead of returning evidence for the wrong input.
      const g1 = await gen();
      if (g1 !== g0 + writes) throw new TsmError('busy', `generation moved from ${g0} to ${g1} (expected ${g0 + writes}): another writer raced this report`);
      if (outblob.length === 0) throw new TsmError('io', 'outblob is empty');
      const auxiliary: Record<string, Uint8Array> = { provider: Buffer.from(provider) };
      if (auxblob !== undefined && auxblob.length > 0) {
        auxiliary['auxblob'] = auxblob;
        try {
          const certs = parseSnpCertTable(auxblob);
          const key = certs.get('vcek') ?? certs.get('vlek');
          if (key !== undefined) auxiliary[certs.has('vcek') ? 'vcek' : 'vlek'] = key;
          const ask = certs.get('ask');
          const ark = certs.get('ark');
          if (ask !== undefined && ark !== undefined) auxiliary['chain'] = Buffer.concat([ask, ark]);
        } catch {
          // The auxblob is not a certificate table: keep it raw; verification will ask for certificates.
        }
      }
      return { platform: this.platform, data: outblob, auxiliary };
    } finally {
      await this.fs.rmdir(dir).catch(() => undefined);
    }
  }
}
