import { configDefaults, defineConfig } from 'vitest/config';

/** The SIGKILL crash test keeps both cores busy with its own child processes: it runs alone, last. */
const CRASH_TEST = 'test/sync/crash.test.ts';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // DuckDB and PostgreSQL tests share this 2-core machine; keep worker count modest.
    maxWorkers: 2,
    reporters: process.env.CI ? ['default', './test/support/summary-reporter.ts'] : ['default'],
    projects: [
      {
        extends: true,
        test: { name: 'main', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, CRASH_TEST], sequence: { groupOrder: 0 } },
      },
      { extends: true, test: { name: 'crash', include: [CRASH_TEST], sequence: { groupOrder: 1 } } },
    ],
  },
});
