import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // DuckDB and PostgreSQL tests share this 2-core machine; keep worker count modest.
    maxWorkers: 2,
    reporters: process.env.CI ? ['default', './test/support/summary-reporter.ts'] : ['default'],
  },
});
