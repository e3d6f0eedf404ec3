import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Three layers (see test/README.md), all run by `vitest run` / `npm test`; pick one with
 * `--project unit|integration|e2e` (`npm run test:unit` …).
 * - unit: the tests beside the code (`src/**`), no servers, no global setup: seconds.
 * - integration: `test/**` against real PostgreSQL, Redis, the Kafka mock, PGlite and DuckDB,
 *   started once per run by the harness's global setup.
 * - e2e: the slow, process-spawning files (a real browser, servers killed mid-write).
 * Integration and e2e share one harness (global-setup.ts counts its users).
 */
const SLOW = ['test/e2e/**/*.test.ts', 'test/crash/**/*.test.ts'];
const HARNESS = ['test/harness/global-setup.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores: run files two at a time; each file gets its own databases from the harness.
    maxWorkers: 2,
    reporters: ['default', './test/harness/summary-reporter.ts'],
    projects: [
      // Pure modules share one module cache per worker: importing them again per file cost ~3×.
      { extends: true, test: { name: 'unit', include: ['src/**/*.test.ts'], isolate: false } },
      {
        extends: true,
        test: { name: 'integration', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, ...SLOW], globalSetup: HARNESS },
      },
      // Each test starts, kills and restarts server processes or a browser: on two shared cores
      // one took over the 60 s that suits a test running in-process.
      { extends: true, test: { name: 'e2e', include: SLOW, globalSetup: HARNESS, testTimeout: 240_000, hookTimeout: 300_000 } },
    ],
  },
});
