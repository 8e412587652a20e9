/** The benchmark suite: plaintext vs attestflow's eBPF data plane vs user-space mTLS, in netns. */
export { runBench, DEFAULT_OPTIONS, QUICK_OPTIONS, type BenchOptions, type Progress } from './run.js';
export { markdownTable, svgChart, writeResults } from './report.js';
export type { BenchReport, WorkloadResult, TransportFigure, TransportName, MachineInfo, HandshakeCost, MissingTransport } from './types.js';
