/**
 * From the policy's compiled plan of a component to the agent's plan: where each peer's MAKE
 * endpoint is, which edges to initiate and accept, and which secrets to fetch.
 */
import type { ComponentPlan } from '../policy/compile.js';
import type { CompiledPolicy } from '../policy/compile.js';
import { AgentError } from './errors.js';
import type { AgentPlan, Endpoint } from './ports.js';

/** The TCP port MAKE listens on unless the agent is told otherwise. */
export const DEFAULT_MAKE_PORT = 7443;

/** Resolves a component to its MAKE endpoint. */
export type PeerResolver = (component: string) => Endpoint | undefined;

/** Peers are found at the address the policy pins for them, on the MAKE port. */
export function policyResolver(policy: CompiledPolicy, makePort = DEFAULT_MAKE_PORT): PeerResolver {
  return (component) => {
    const c = policy.document.components.find((x) => x.name === component);
    return c?.address === undefined ? undefined : { host: c.address, port: makePort };
  };
}

/**
 * The agent's plan for a component. Without `resolve`, peers are left for the keyer to find when
 * it dials (in-process clusters whose listeners get their ports at start).
 */
export function agentPlanFrom(plan: ComponentPlan, resolve?: PeerResolver): AgentPlan {
  return {
    component: plan.component,
    policyVersion: plan.version,
    rekeyIntervalMs: plan.rekeyIntervalSeconds * 1000,
    initiate: plan.connect.map((e) => {
      if (resolve === undefined) return { edge: e.id, from: e.from, to: e.to, ...(e.flow ? { flow: e.flow } : {}) };
      const peer = resolve(e.to);
      if (peer === undefined) {
        throw new AgentError('agent.no-peer-address', `edge ${e.id}: the policy gives no address for ${e.to}, so ${plan.component} cannot reach it`, { edge: e.id });
      }
      return { edge: e.id, from: e.from, to: e.to, peer, ...(e.flow ? { flow: e.flow } : {}) };
    }),
    accept: plan.accept.map((e) => ({ edge: e.id, from: e.from, to: e.to, ...(e.flow ? { flow: e.flow } : {}) })),
    secrets: plan.fetches.map((f) => ({ name: f.name, holder: f.holder })),
  };
}
