import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Most of these tests wait on child processes (the CLI, a server being shut down), not on the
    // CPU: run a few files at once even on a two-core machine.
    maxWorkers: 3,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
