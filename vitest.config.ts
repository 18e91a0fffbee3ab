// Test runner configuration: one `npm test` runs every suite; slow integration suites opt in to longer timeouts.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // the dashboard's files are built once, as `npm run build` would (test/ui and the spec test serve them)
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // two cores: keep workers to what the machine has, integration tests spawn processes of their own
    maxWorkers: 2,
    pool: 'forks',
    reporters: ['default'],
  },
});
