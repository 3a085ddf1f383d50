import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Most of these tests wait on child processes (the CLI, a server being shut down), not on the
    // CPU: run a few files at once even on a two-core machine.
    maxWorkers: 3,
    // Names this run's PostgreSQL test databases and drops what is left of them at the end.
    globalSetup: ['@gateway/storage/postgres-global-setup'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
