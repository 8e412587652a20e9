/**
 * Undo actions, run once in reverse order of registration: after a normal run, after a failure,
 * and on SIGINT/SIGTERM. Each action is independent; one failing does not stop the others.
 */
export class Cleanup {
  private readonly actions: Array<{ what: string; run: () => Promise<unknown> }> = [];
  private running: Promise<string[]> | undefined;

  add(what: string, run: () => Promise<unknown>): void {
    this.actions.push({ what, run });
  }

  /** Runs everything registered (once); resolves with the descriptions of actions that failed. */
  run(): Promise<string[]> {
    this.running ??= (async () => {
      const failed: string[] = [];
      for (const a of this.actions.splice(0).reverse()) {
        try {
          await a.run();
        } catch (e) {
          failed.push(`${a.what}: ${(e as Error).message}`);
        }
      }
      return failed;
    })();
    return this.running;
  }
}
