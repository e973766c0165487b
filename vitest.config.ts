import { defineConfig } from 'vitest/config';

// Tests that load BPF programs or run real agents take seconds; two workers match the 2-core machines we run on.
// In CI, files run one at a time: end-to-end tests measure real programs (timings, ring pressure, agents' own
// timeouts) and two of them at once on two cores made results depend on what else happened to run.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: process.env['CI'] ? 1 : 2,
    fileParallelism: !process.env['CI'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
