import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/harness/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores: run files two at a time; each file gets its own databases from the harness.
    maxWorkers: 2,
    reporters: ['default', './test/harness/summary-reporter.ts'],
  },
});
