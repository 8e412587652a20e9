/**
 * Clean shutdown on SIGTERM/SIGINT: run the cleanup once, and exit when it finishes. A second
 * signal while cleaning up does not abort the cleanup (half-removed keys are worse than a slow
 * exit); a watchdog exits non-zero if cleanup hangs.
 */
export interface ShutdownHandle {
  /** Removes the handlers (tests, and embedding where the host owns signals). */
  dispose(): void;
}

export function onShutdown(cleanup: (signal: NodeJS.Signals) => Promise<void>, opts: { watchdogMs?: number; exit?: (code: number) => void } = {}): ShutdownHandle {
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let running = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (running) return;
    running = true;
    const watchdog = setTimeout(() => exit(1), opts.watchdogMs ?? 10_000);
    watchdog.unref();
    cleanup(signal).then(
      () => {
        clearTimeout(watchdog);
        // 128 + signal number is the conventional status of a process ended by a signal.
        exit(signal === 'SIGINT' ? 130 : 143);
      },
      () => {
        clearTimeout(watchdog);
        exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return {
    dispose: () => {
      process.off('SIGTERM', handler);
      process.off('SIGINT', handler);
    },
  };
}
