import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Names this run's PostgreSQL test databases and drops what is left of them at the end.
    globalSetup: ['@gateway/storage/postgres-global-setup'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
