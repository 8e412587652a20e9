/**
 * XState v5's pure `initialTransition` / `transition` with the actor scope built once per machine
 * instead of once per call. XState builds a throw-away actor for every call, and that actor eagerly
 * computes an initial snapshot without input — with machines whose context comes from `input`,
 * that throws and is caught inside XState on every single step, which cost most of the model
 * explorer's time and about a third of a handshake's CPU. The results are the same
 * `[snapshot, actions]`: model-tests/pure.test.ts checks it against XState's functions on
 * recorded runs. Shared by the MAKE party (real handshakes) and the model checker.
 */
import { createActor, type AnyStateMachine, type EventFromLogic, type InputFrom, type SnapshotFrom } from 'xstate';

export type PureAction = { type: string; params?: unknown };

export interface PureStepper<M extends AnyStateMachine> {
  /** Same as XState's `initialTransition(machine, input)`. */
  initial(input: InputFrom<M>): [SnapshotFrom<M>, PureAction[]];
  /** Same as XState's `transition(machine, snapshot, event)`. */
  transition(snapshot: SnapshotFrom<M>, event: EventFromLogic<M>): [SnapshotFrom<M>, PureAction[]];
}

export function pureStepper<M extends AnyStateMachine>(machine: M): PureStepper<M> {
  // The same inert scope XState's transition() builds: no system side effects, actions collected.
  // These machines spawn no children, so the one actor's system is never written to.
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
    actionExecutor: (_: PureAction) => {},
  };
  // Steps are synchronous and never nest, so one scope whose collector is swapped per call is safe.
  const collect = (): PureAction[] => {
    const actions: PureAction[] = [];
    scope.actionExecutor = (a) => {
      actions.push(a);
    };
    return actions;
  };
  return {
    initial(input) {
      const actions = collect();
      const next = (machine.getInitialSnapshot as (sc: unknown, i: unknown) => SnapshotFrom<M>)(scope, input);
      return [next, actions];
    },
    transition(snapshot, event) {
      const actions = collect();
      const next = (machine.transition as (s: unknown, e: unknown, sc: unknown) => SnapshotFrom<M>)(snapshot, event, scope);
      return [next, actions];
    },
  };
}
