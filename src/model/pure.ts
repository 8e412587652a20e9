/**
 * XState v5's pure `transition(logic, snapshot, event)` with the actor scope built once per
 * machine instead of once per call. `transition()` creates a throw-away actor for every call, and
 * that actor eagerly computes an initial snapshot without input — with machines whose context
 * comes from `input`, that throws and is caught inside XState on every single step, which cost
 * most of the explorer's time. The result is the same `[nextSnapshot, actions]`:
 * model-tests/pure.test.ts checks it against `transition()` on recorded runs.
 */
import { createActor, type AnyStateMachine, type EventFromLogic, type SnapshotFrom } from 'xstate';

interface Scope {
  actionExecutor: (action: { type: string; params?: unknown }) => void;
}

export interface PureStepper<M extends AnyStateMachine> {
  transition(snapshot: SnapshotFrom<M>, event: EventFromLogic<M>): [SnapshotFrom<M>, { type: string; params?: unknown }[]];
}

export function pureStepper<M extends AnyStateMachine>(machine: M): PureStepper<M> {
  // The same inert scope XState's transition() builds: no system side effects, actions collected.
  const self = createActor(machine);
  const scope = {
    self,
    defer: () => {},
    id: '',
    logger: () => {},
    sessionId: '',
    stopChild: () => {},
    system: self.system,
    emit: () => {},
    actionExecutor: (_: { type: string; params?: unknown }) => {},
  } satisfies Scope & Record<string, unknown>;
  return {
    transition(snapshot, event) {
      const actions: { type: string; params?: unknown }[] = [];
      scope.actionExecutor = (a) => {
        actions.push(a);
      };
      const next = (machine.transition as (s: unknown, e: unknown, sc: unknown) => SnapshotFrom<M>)(snapshot, event, scope);
      return [next, actions];
    },
  };
}
