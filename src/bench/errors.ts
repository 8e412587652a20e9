import { AttestflowError } from '../errors.js';

/**
 * The bench could not run or was stopped. Codes:
 * - `bench.needs-root`: network namespaces and eBPF need root (nothing was created)
 * - `bench.busy`: another bench run holds the af-bench-* namespaces (nothing was touched)
 * - `bench.interrupted`: SIGINT/SIGTERM; everything the run made was removed
 * - `bench.setup`: the harness itself failed (namespaces, workers, servers); everything was removed
 * A transport that cannot run, or a run that fails, is not an error of the bench: the report lists it.
 */
export class BenchError extends AttestflowError {}
