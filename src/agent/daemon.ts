/**
 * `attestflow agent`: the node daemon. Composes the policy, the node's TEE, MAKE over TCP, the
 * kernel data plane and the status endpoint around an {@link Agent}; reloads the policy on SIGHUP
 * (a newer version only; removed or changed components are revoked); and on SIGTERM/SIGINT stops
 * handshaking, removes every key it installed, detaches and unpins the data plane, and exits.
 */
import { readFileSync } from 'node:fs';
import { Dataplane } from '../dataplane/dataplane.js';
import { CompiledPolicy, claimsMatchIdentity } from '../policy/compile.js';
import { checkPolicy } from '../policy/check.js';
import { PolicyError } from '../policy/errors.js';
import { PolicyStore, type Approval, type PolicyActivation } from '../policy/update.js';
import { SecretExchange } from './secrets.js';
import { AuditLog } from '../release/audit.js';
import { KeyReleaseGate } from '../release/key-release.js';
import { AttestflowError } from '../errors.js';
import type { Attester } from '../attestation/types.js';
import { Agent } from './agent.js';
import { DataplaneKeySink } from './dataplane-keys.js';
import { AgentError } from './errors.js';
import type { BackoffPolicy } from './backoff.js';
import type { Logger } from './log.js';
import { MakeTcpKeyer } from './make-keyer.js';
import { MemoryKeySink } from './memory-keys.js';
import { agentPlanFrom, DEFAULT_MAKE_PORT, policyResolver } from './plan.js';
import type { Endpoint, KeySink } from './ports.js';
import { verifiersFor } from './sim-tee.js';
import { startStatusServer, type StatusAddress, type StatusServer } from './status-server.js';

export interface DaemonOptions {
  readonly policyFile: string;
  readonly component: string;
  readonly attester: Attester;
  /** Where MAKE listens; default: the component's policy address, MAKE port. */
  readonly listen?: Endpoint;
  readonly makePort?: number;
  readonly status: StatusAddress;
  /** Workflow interface for the eBPF data plane; absent: keys stay in the agent (no kernel). */
  readonly dataplane?: { readonly ifname: string; readonly pinDir: string };
  readonly log: Logger;
  readonly backoff?: BackoffPolicy;
  readonly handshakeTimeoutMs?: number;
  /** Overrides the policy's rekey interval (demo and tests), seconds. */
  readonly rekeySeconds?: number;
  /**
   * Owners' approvals of the policy file's version (JSON array of {owner, signature}, or one per
   * line), re-read with the policy on SIGHUP. Without it the first policy is adopted as in force
   * and no update can activate.
   */
  readonly approvalsFile?: string;
  /** Values of the secrets this component holds (released to the components the policy names). */
  readonly secrets?: Readonly<Record<string, Uint8Array>>;
  /** Hash-chained audit log (src/release/audit.ts) of every release decision: keys and secrets. */
  readonly auditFile?: string;
}

/** Reads owner approvals (the format `attestflow policy approve` writes). */
export function readApprovals(file: string): Approval[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (e) {
    throw new AgentError('agent.approvals', `cannot read approvals ${file}: ${(e as Error).message}`);
  }
  const ok = (x: unknown): x is Approval => x !== null && typeof x === 'object' && typeof (x as Approval).owner === 'string' && typeof (x as Approval).signature === 'string';
  let items: unknown[];
  try {
    items = text.startsWith('[') ? (JSON.parse(text) as unknown[]) : text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as unknown);
  } catch (e) {
    throw new AgentError('agent.approvals', `${file}: not JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(items) || !items.every(ok)) throw new AgentError('agent.approvals', `${file}: approvals must be {owner, signature} objects`);
  return items;
}

/** Reads and checks a policy file; every problem is reported (PolicyError), nothing half-loaded. */
export function loadPolicy(file: string): CompiledPolicy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new AgentError('agent.policy-file', `cannot read policy ${file}: ${(e as Error).message}`);
  }
  const r = checkPolicy(text, file);
  if (r.document === undefined) throw new PolicyError(r.problems);
  return new CompiledPolicy(r.document);
}

export class Daemon {
  private policy: CompiledPolicy;
  private readonly store = new PolicyStore();
  private activation: PolicyActivation | undefined;
  private exchange: SecretExchange | undefined;
  private audit: AuditLog | undefined;
  private agent: Agent | undefined;
  private dp: Dataplane | undefined;
  private status: StatusServer | undefined;
  private stopped = false;

  constructor(private readonly o: DaemonOptions) {
    const first = loadPolicy(o.policyFile);
    if (o.approvalsFile !== undefined) {
      // Approvals given: the first version must carry them too.
      this.policy = this.store.activate(first, readApprovals(o.approvalsFile)).policy;
    } else {
      this.store.adopt(first);
      this.policy = first;
    }
  }

  private plan() {
    const base = agentPlanFrom(this.policy.plan(this.o.component), policyResolver(this.policy, this.o.makePort ?? DEFAULT_MAKE_PORT));
    return this.o.rekeySeconds !== undefined ? { ...base, rekeyIntervalMs: this.o.rekeySeconds * 1000 } : base;
  }

  /** Brings the node up; on any failure everything started so far is taken down again. */
  async start(): Promise<void> {
    const log = this.o.log;
    const plan = this.plan();
    const me = this.policy.document.components.find((c) => c.name === this.o.component);
    const makePort = this.o.makePort ?? DEFAULT_MAKE_PORT;
    const listen = this.o.listen ?? { host: me?.address ?? '0.0.0.0', port: makePort };
    try {
      let keys: KeySink;
      if (this.o.dataplane) {
        const dp = await Dataplane.load({ pinDir: this.o.dataplane.pinDir, ctrlPort: listen.port });
        if (this.stopped) {
          // A signal arrived while loading: stop() has already run, so undo this load here.
          await dp.unload().catch(() => undefined);
          return;
        }
        this.dp = dp;
        await this.dp.attach(this.o.dataplane.ifname);
        const m = await this.dp.measure();
        log.info('data plane loaded', { ifname: this.o.dataplane.ifname, pinDir: this.o.dataplane.pinDir, digest: m.digest, ctrlPort: listen.port });
        keys = new DataplaneKeySink(this.dp);
      } else {
        log.warn('no data plane: keys are kept by the agent only and traffic is not protected', {});
        keys = new MemoryKeySink();
      }
      if (this.o.auditFile !== undefined) this.audit = AuditLog.open(this.o.auditFile);
      const exchange = new SecretExchange({
        component: this.o.component,
        policy: this.policy,
        holds: this.o.secrets ?? {},
        fetches: plan.secrets ?? [],
        log,
        ...(this.audit ? { audit: this.audit } : {}),
        // The controller's install-key / remove-key effects are performed by the agent.
        keys: async (effect, session, edge, epoch) => {
          if (!this.agent) throw new AgentError('agent.state', 'a key effect before the agent exists');
          await this.agent.performKeyEffect(effect, session, edge, epoch);
        },
        received: (ref, value) => this.agent?.secretReceived(ref, value),
        refused: (ref, reason) => this.agent?.secretRefused(ref, reason),
      });
      this.exchange = exchange;
      const keyer = new MakeTcpKeyer({
        session: exchange.hook,
        self: this.o.component,
        policy: () => this.policy,
        attester: this.o.attester,
        verifiers: verifiersFor(this.policy),
        listen,
      });
      this.agent = new Agent({
        plan,
        keyer,
        keys,
        log,
        release: new KeyReleaseGate(() => exchange.controller),
        admit: (peer, claims) => {
          const rv = this.policy.referenceValues(peer);
          return rv !== undefined && claimsMatchIdentity(claims, rv) && !this.policy.isRevoked(peer, claims);
        },
        ...(this.o.backoff ? { backoff: this.o.backoff } : {}),
        ...(this.o.handshakeTimeoutMs ? { handshakeTimeoutMs: this.o.handshakeTimeoutMs } : {}),
      });
      this.status = await startStatusServer(this.agent, this.o.status);
      if (this.stopped) {
        await this.status.close();
        return;
      }
      await this.agent.start();
      log.info('agent ready', { component: this.o.component, policy: this.policy.digestHex, version: this.policy.version, status: this.o.status.kind === 'unix' ? this.o.status.path : `${this.o.status.host}:${this.status.address.kind === 'tcp' ? this.status.address.port : ''}` });
    } catch (e) {
      await this.stop('start failed');
      throw e;
    }
  }

  /**
   * Re-reads the policy file. A version not newer than the current one is refused (rollback);
   * otherwise the new policy takes effect for every new handshake at once, edges that left it lose
   * their keys, and every remaining edge is rekeyed under the new digest.
   */
  async reload(): Promise<void> {
    const log = this.o.log;
    let next: CompiledPolicy;
    let revoked: readonly string[];
    try {
      if (this.o.approvalsFile === undefined) {
        throw new AgentError('agent.approvals', 'no --approvals file: a policy update needs the owners\' approvals to activate');
      }
      const a = this.store.activate(loadPolicy(this.o.policyFile), readApprovals(this.o.approvalsFile));
      this.activation = a;
      next = a.policy;
      revoked = a.revoked.map((r) => r.component);
    } catch (e) {
      log.error('policy update refused', { reason: e instanceof AttestflowError ? e.code : 'internal', message: (e as Error).message });
      return;
    }
    const prev = this.policy;
    this.policy = next;
    log.info('policy update accepted', { from: prev.version, to: next.version, revoked });
    // Release follows the new version too: revoked components get nothing more.
    if (this.exchange && this.activation) await this.exchange.controller.policyActivated(this.activation).catch(() => undefined);
    if (this.agent) {
      let plan;
      try {
        plan = this.plan();
      } catch (e) {
        // This component left the policy: stop keying anything (its keys are removed by stop).
        log.error('this component is not in the new policy; stopping', { message: (e as Error).message });
        await this.stop('component removed from the policy');
        return;
      }
      await this.agent.applyPlan(plan);
    }
  }

  get running(): Agent | undefined {
    return this.agent;
  }

  /** Removes keys, detaches and unpins the data plane, closes the status endpoint. Never throws. */
  async stop(reason: string): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const log = this.o.log;
    if (this.agent) await this.agent.stop(reason).catch((e: unknown) => log.error('agent stop failed', { message: (e as Error).message }));
    // STOP: release removes whatever key is left (none, normally) and ends every session, audited.
    if (this.exchange) await this.exchange.controller.stop().catch((e: unknown) => log.error('release stop failed', { message: (e as Error).message }));
    if (this.dp) {
      const dp = this.dp;
      const left = await dp.installed().catch(() => []);
      if (left.length) log.error('SAs left after stop', { count: left.length });
      if (this.o.dataplane) await dp.detach(this.o.dataplane.ifname).catch((e: unknown) => log.error('detach failed', { message: (e as Error).message }));
      await dp.unload().catch((e: unknown) => log.error('unpin failed', { message: (e as Error).message }));
      log.info('data plane removed', { pinDir: dp.pinDir });
    }
    if (this.status) await this.status.close();
  }
}
