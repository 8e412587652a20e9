/**
 * Checking a policy file: YAML syntax, the published schema, then the meaning (names resolve, no
 * duplicates, hex lengths per platform, roots trusted, secrets reachable, version increasing).
 * Every problem is collected — a person fixes a file in one pass — and each has file:line:column.
 */
import type { Platform } from '../attestation/types.js';
import { roleFromName, ROLE_FIELD_BYTES } from './role.js';
import { didYouMean } from './hints.js';
import { schemaProblems } from './schema.js';
import { PolicySource, type DocPath } from './source.js';
import {
  DEFAULT_REKEY_INTERVAL_SECONDS,
  edgeId,
  type Component,
  type Edge,
  type PolicyDocument,
  type PolicyProblem,
  type Secret,
  type TrustedRoot,
} from './types.js';

/** Options for {@link checkPolicy}. */
export interface CheckOptions {
  /** The version currently in force: the checked version must be greater (rollback protection). */
  readonly previousVersion?: number;
}

/** The outcome of a check: the normalized document when there is no problem. */
export interface CheckResult {
  readonly problems: readonly PolicyProblem[];
  readonly document?: PolicyDocument;
}

/** Accepted measurement lengths in bytes, per platform. */
export const MEASUREMENT_BYTES: Readonly<Record<Platform, readonly number[]>> = Object.freeze({
  snp: [48],
  tdx: [48],
  cca: [32, 48, 64],
  sim: [48],
});

/** Minimum-TCB lengths in bytes where the platform fixes one (SNP TCB_VERSION, TDX TEE_TCB_SVN). */
export const TCB_BYTES: Readonly<Partial<Record<Platform, number>>> = Object.freeze({ snp: 8, tdx: 16 });

type Rec = Record<string, unknown>;
const isRec = (x: unknown): x is Rec => x !== null && typeof x === 'object' && !Array.isArray(x);
const str = (x: unknown): string | undefined => (typeof x === 'string' ? x : undefined);
const list = (x: unknown): unknown[] => (Array.isArray(x) ? x : []);
const isHex = (x: unknown): x is string => typeof x === 'string' && /^([0-9A-Fa-f]{2})+$/.test(x);
const PLATFORMS: readonly string[] = ['snp', 'tdx', 'cca', 'sim'];
const isPlatform = (x: unknown): x is Platform => typeof x === 'string' && PLATFORMS.includes(x);

/** Checks a policy text. `file` is used in problem locations only. */
export function checkPolicy(text: string, file: string, options: CheckOptions = {}): CheckResult {
  const src = new PolicySource(text, file);
  if (src.data === undefined) return { problems: sort(src.problems) };
  const problems = [...src.problems, ...schemaProblems(src)];
  const sem = new Semantics(src, problems);
  sem.run(options);
  if (problems.length > 0) return { problems: sort(problems) };
  return { problems: [], document: normalize(src.data as Rec) };
}

const sort = (ps: PolicyProblem[]): PolicyProblem[] =>
  [...ps].sort((a, b) => a.line - b.line || a.column - b.column || a.code.localeCompare(b.code));

/** The meaning checks; defensive, because they also run on data the schema rejected. */
class Semantics {
  private readonly d: Rec;
  constructor(
    private readonly src: PolicySource,
    private readonly out: PolicyProblem[],
  ) {
    this.d = isRec(src.data) ? src.data : {};
  }

  private add(path: DocPath, code: string, message: string, key?: string): void {
    this.out.push(this.src.problem(path, code, message, key));
  }

  /** Reports repeated names in a list and returns the set of names. */
  private names(section: string, kind: string): Set<string> {
    const seen = new Map<string, number>();
    list(this.d[section]).forEach((it, i) => {
      const n = isRec(it) ? str(it.name) : undefined;
      if (n === undefined) return;
      const first = seen.get(n);
      if (first !== undefined) {
        const at = this.src.locate([section, first, 'name']);
        this.add([section, i, 'name'], 'duplicate-name', `${kind} name '${n}' is already used at line ${at.line}; names must be unique`);
      } else seen.set(n, i);
    });
    return new Set(seen.keys());
  }

  private hexLen(path: DocPath, value: unknown, bytes: readonly number[], what: string): void {
    if (!isHex(value)) return; // the schema reported it
    const n = value.length / 2;
    if (!bytes.includes(n)) {
      const want = bytes.map((b) => `${b} bytes (${b * 2} hex digits)`).join(' or ');
      this.add(path, 'bad-hex-length', `${what} must be ${want}; got ${n} bytes (${value.length} hex digits)`);
    }
  }

  run(options: CheckOptions): void {
    const components = this.names('components', 'component');
    const owners = this.names('owners', 'owner');
    this.names('secrets', 'secret');
    const compList = list(this.d.components);
    const known = () => [...components].sort().join(', ') || 'none';
    const platformOf = new Map<string, Platform>();
    for (const c of compList) if (isRec(c) && str(c.name) && isPlatform(c.platform)) platformOf.set(c.name as string, c.platform);

    // Version vs the one in force.
    const wf = this.d.workflow;
    if (options.previousVersion !== undefined && isRec(wf) && typeof wf.version === 'number' && wf.version <= options.previousVersion) {
      this.add(
        ['workflow', 'version'],
        'version-not-increasing',
        `version ${wf.version} does not increase the version in force (${options.previousVersion}); an update must raise it (rollback protection)`,
      );
    }

    // Owners' keys.
    list(this.d.owners).forEach((o, i) => {
      if (isRec(o)) this.hexLen(['owners', i, 'publicKey'], o.publicKey, [32], `owner '${str(o.name) ?? i + 1}' publicKey (Ed25519)`);
    });

    // Trusted roots.
    const rooted = new Set<string>();
    list(this.d.trustedRoots).forEach((r, i) => {
      if (!isRec(r) || !isPlatform(r.platform)) return;
      if (rooted.has(r.platform)) this.add(['trustedRoots', i, 'platform'], 'duplicate-name', `platform ${r.platform} has more than one trusted root entry; keep one`);
      rooted.add(r.platform);
      if (r.platform === 'sim') {
        if (r.publicKey === undefined) this.add(['trustedRoots', i], 'missing-root-key', 'the software TEE (sim) root needs its Ed25519 publicKey: sim evidence is trusted only under an explicitly listed root');
        this.hexLen(['trustedRoots', i, 'publicKey'], r.publicKey, [32], 'sim root publicKey (Ed25519)');
      } else if (r.publicKey !== undefined) {
        this.add(['trustedRoots', i], 'bad-root', `publicKey is for the software TEE; ${r.platform} roots are pinned in attestflow (use fingerprint to narrow to one)`, 'publicKey');
      }
      this.hexLen(['trustedRoots', i, 'fingerprint'], r.fingerprint, [32], 'root fingerprint (SHA-256)');
    });

    // Components: owner, reference values, roles.
    const roles = new Map<string, string>();
    compList.forEach((c, i) => {
      if (!isRec(c)) return;
      const name = str(c.name) ?? `#${i + 1}`;
      const owner = str(c.owner);
      if (owner !== undefined && !owners.has(owner)) {
        this.add(['components', i, 'owner'], 'unknown-owner', `component '${name}' is owned by '${owner}', who is not among the owners (${[...owners].join(', ') || 'none'})${didYouMean(owner, owners)}`);
      }
      if (!isPlatform(c.platform)) return;
      const p = c.platform;
      if (!rooted.has(p)) {
        this.add(['components', i, 'platform'], 'untrusted-platform', `component '${name}' runs on ${p}, but trustedRoots lists no ${p} root, so its evidence could never verify`);
      }
      const seen = new Set<string>();
      list(c.measurements).forEach((m, j) => {
        this.hexLen(['components', i, 'measurements', j], m, MEASUREMENT_BYTES[p], `a ${p} measurement`);
        if (isHex(m)) {
          if (seen.has(m.toLowerCase())) this.add(['components', i, 'measurements', j], 'duplicate-name', `measurement listed twice for component '${name}'`);
          seen.add(m.toLowerCase());
        }
      });
      const role = c.role;
      if (isRec(role) && isHex(role.hex)) this.hexLen(['components', i, 'role', 'hex'], role.hex, [ROLE_FIELD_BYTES[p]], `a ${p} role field`);
      const roleBytes = isRec(role) ? (str(role.name) !== undefined ? roleFromName(p, role.name as string) : isHex(role.hex) ? role.hex.toLowerCase() : undefined) : undefined;
      if (roleBytes !== undefined) {
        const other = roles.get(`${p}:${roleBytes}`);
        if (other !== undefined) {
          this.add(
            ['components', i, 'role'],
            'duplicate-role',
            `components '${other}' and '${name}' have the same ${p} role: a genuine '${other}' could be diverted into the place of '${name}'; give each component its own role`,
          );
        } else roles.set(`${p}:${roleBytes}`, name);
      }
      if (TCB_BYTES[p] !== undefined) this.hexLen(['components', i, 'minTcb'], c.minTcb, [TCB_BYTES[p]], `a ${p} minTcb`);
      if (c.acceptedTcbStatuses !== undefined && p !== 'tdx') {
        this.add(['components', i], 'bad-field-for-platform', `acceptedTcbStatuses applies to tdx (collateral TCB status); component '${name}' runs on ${p}`, 'acceptedTcbStatuses');
      }
    });

    // Edges.
    const edges = new Map<string, number>();
    list(this.d.edges).forEach((e, i) => {
      if (!isRec(e)) return;
      const from = str(e.from);
      const to = str(e.to);
      for (const [end, n] of [
        ['from', from],
        ['to', to],
      ] as const) {
        if (n !== undefined && !components.has(n)) {
          this.add(['edges', i, end], 'unknown-component', `edge ${end} '${n}': no component has that name (components: ${known()})${didYouMean(n, components)}`);
        }
      }
      if (from === undefined || to === undefined) return;
      if (from === to) this.add(['edges', i], 'self-edge', `edge ${from}->${to} goes from a component to itself; edges connect two different components`);
      const id = edgeId(from, to);
      const first = edges.get(id);
      if (first !== undefined) {
        const at = this.src.locate(['edges', first]);
        this.add(['edges', i], 'duplicate-edge', `edge ${id} is already declared at line ${at.line}; each ordered pair of components has one edge`);
      } else edges.set(id, i);
    });
    const connected = (a: string, b: string) => edges.has(edgeId(a, b)) || edges.has(edgeId(b, a));

    // Secrets.
    list(this.d.secrets).forEach((s, i) => {
      if (!isRec(s)) return;
      const name = str(s.name) ?? `#${i + 1}`;
      const holder = str(s.holder);
      if (holder !== undefined && !components.has(holder)) {
        this.add(['secrets', i, 'holder'], 'unknown-component', `secret '${name}' is held by '${holder}': no component has that name (components: ${known()})${didYouMean(holder, components)}`);
      }
      const seen = new Set<string>();
      list(s.releaseTo).forEach((r, j) => {
        const to = str(r);
        if (to === undefined) return;
        if (seen.has(to)) this.add(['secrets', i, 'releaseTo', j], 'duplicate-name', `secret '${name}' names '${to}' twice`);
        seen.add(to);
        if (!components.has(to)) {
          this.add(['secrets', i, 'releaseTo', j], 'unknown-component', `secret '${name}' is released to '${to}': no component has that name (components: ${known()})${didYouMean(to, components)}`);
        } else if (holder !== undefined && components.has(holder) && to === holder) {
          this.add(['secrets', i, 'releaseTo', j], 'self-release', `secret '${name}' is released to its own holder '${to}'; list only the components that receive it`);
        } else if (holder !== undefined && components.has(holder) && !connected(holder, to)) {
          this.add(
            ['secrets', i, 'releaseTo', j],
            'no-edge-for-secret',
            `secret '${name}' is released to '${to}', but there is no edge between '${holder}' and '${to}', so no MAKE session can carry it; add an edge or remove '${to}'`,
          );
        }
      });
    });

    // Approval.
    const ap = this.d.approval;
    if (isRec(ap)) {
      const names = list(ap.owners).map(str);
      const seen = new Set<string>();
      names.forEach((n, j) => {
        if (n === undefined) return;
        if (!owners.has(n)) this.add(['approval', 'owners', j], 'unknown-owner', `approval names '${n}', who is not among the owners (${[...owners].join(', ') || 'none'})${didYouMean(n, owners)}`);
        if (seen.has(n)) this.add(['approval', 'owners', j], 'duplicate-name', `approval names '${n}' twice`);
        seen.add(n);
      });
      if (typeof ap.threshold === 'number' && ap.threshold > seen.size) {
        this.add(['approval', 'threshold'], 'bad-threshold', `threshold ${ap.threshold} exceeds the ${seen.size} owner(s) named in approval, so no version could ever activate`);
      }
    }

    // Addresses.
    const addrs = new Map<string, string>();
    compList.forEach((c, i) => {
      if (!isRec(c) || typeof c.address !== 'string') return;
      const other = addrs.get(c.address);
      if (other !== undefined) this.add(['components', i, 'address'], 'duplicate-address', `address ${c.address} is already used by component '${other}'`);
      else addrs.set(c.address, str(c.name) ?? '');
    });
  }
}

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
const sorted = (xs: readonly string[]) => [...xs].sort();

/** Builds the normalized document from data that passed every check. */
function normalize(d: Rec): PolicyDocument {
  const wf = d.workflow as Rec;
  const trustedRoots: TrustedRoot[] = (d.trustedRoots as Rec[])
    .map((r) => ({
      platform: r.platform as Platform,
      ...(r.publicKey !== undefined ? { publicKey: (r.publicKey as string).toLowerCase() } : {}),
      ...(r.fingerprint !== undefined ? { fingerprint: (r.fingerprint as string).toLowerCase() } : {}),
    }))
    .sort((a, b) => (a.platform < b.platform ? -1 : 1));
  const owners = (d.owners as Rec[]).map((o) => ({ name: o.name as string, publicKey: (o.publicKey as string).toLowerCase() })).sort(byName);
  const ap = d.approval as Rec;
  const apOwners = sorted(ap.owners as string[]);
  const components: Component[] = (d.components as Rec[])
    .map((c) => {
      const p = c.platform as Platform;
      const role = c.role as Rec;
      const roleName = str(role.name);
      return {
        name: c.name as string,
        owner: c.owner as string,
        platform: p,
        measurements: sorted((c.measurements as string[]).map((m) => m.toLowerCase())),
        role: roleName !== undefined ? roleFromName(p, roleName) : (role.hex as string).toLowerCase(),
        ...(roleName !== undefined ? { roleName } : {}),
        ...(c.minTcb !== undefined ? { minTcb: (c.minTcb as string).toLowerCase() } : {}),
        ...(c.acceptedTcbStatuses !== undefined ? { acceptedTcbStatuses: sorted([...new Set(c.acceptedTcbStatuses as string[])]) } : {}),
        allowDebug: c.allowDebug === true,
        ...(c.signingKeys !== undefined ? { signingKeys: sorted(c.signingKeys as string[]) } : {}),
        ...(c.address !== undefined ? { address: c.address as string } : {}),
      };
    })
    .sort(byName);
  const edges: Edge[] = (d.edges as Rec[])
    .map((e) => ({ id: edgeId(e.from as string, e.to as string), from: e.from as string, to: e.to as string, protocol: e.protocol as Edge['protocol'], port: e.port as number }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const secrets: Secret[] = list(d.secrets)
    .map((s) => s as Rec)
    .map((s) => ({ name: s.name as string, holder: s.holder as string, releaseTo: sorted(s.releaseTo as string[]) }))
    .sort(byName);
  return {
    workflow: { name: wf.name as string, version: wf.version as number },
    rekeyIntervalSeconds: typeof d.rekeyIntervalSeconds === 'number' ? d.rekeyIntervalSeconds : DEFAULT_REKEY_INTERVAL_SECONDS,
    trustedRoots,
    owners,
    approval: { owners: apOwners, threshold: typeof ap.threshold === 'number' ? ap.threshold : apOwners.length },
    components,
    edges,
    secrets,
  };
}
