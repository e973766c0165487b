import { defineConfig } from 'vitest/config';

// Tests that load BPF programs or run real agents take seconds; two workers match the 2-core machines we run on.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
