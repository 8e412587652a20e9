import { defineConfig } from 'vitest/config';

// One config for every suite. Kernel and network-namespace tests live beside the others and
// skip themselves (with a printed reason) when not root; CI runs as root.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'model-tests/**/*.test.ts', 'conformance/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Kernel/netns tests share global kernel state (pins, namespaces): run files one at a time
    // in separate forks so a crash in one cannot take the others down.
    pool: 'forks',
    fileParallelism: false,
  },
});
