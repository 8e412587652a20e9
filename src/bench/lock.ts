/**
 * One bench at a time per machine: namespaces and addresses are fixed, so a second run would tear
 * down the first one's network. The lock file holds the owner's pid; a lock whose owner is gone is
 * stale and taken over (then `sweep` removes what that run left).
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { BenchError } from './errors.js';
import { processAlive } from '../process-alive.js';

const LOCK = '/run/af-bench.lock';

/** Takes the lock or throws `bench.busy`; returns the release function. */
export function acquireBenchLock(): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(LOCK, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(LOCK, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number(readFileSync(LOCK, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && processAlive(owner)) {
        throw new BenchError('bench.busy', `another bench run (pid ${owner}) is using the af-bench-* namespaces; wait for it to finish`);
      }
      rmSync(LOCK, { force: true });
    }
  }
  throw new BenchError('bench.busy', `cannot take the bench lock ${LOCK}`);
}
