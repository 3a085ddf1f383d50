import fc from 'fast-check';

/**
 * How hard a run tries. The README's test command runs every property at its base count; a long
 * local run multiplies them: `ADVERSARIAL_RUNS=20 pnpm --filter @gateway/adversarial test`.
 * `ADVERSARIAL_SEED` replays a failure that fast-check reported (with `ADVERSARIAL_PATH`).
 */
export const RUNS_FACTOR = Math.max(1, Number(process.env.ADVERSARIAL_RUNS ?? 1) || 1);

/** fast-check parameters for a property whose base run tries `numRuns` cases. */
export function runs(numRuns: number): fc.Parameters<unknown> {
  const seed = process.env.ADVERSARIAL_SEED;
  const path = process.env.ADVERSARIAL_PATH;
  return {
    numRuns: numRuns * RUNS_FACTOR,
    ...(seed !== undefined ? { seed: Number(seed) } : {}),
    ...(path !== undefined ? { path } : {}),
    // Shrinking an HTTP history takes many runs; cap it so a failure is reported in reasonable time.
    endOnFailure: false,
    interruptAfterTimeLimit: 300_000 * RUNS_FACTOR,
    markInterruptAsFailure: true,
  };
}
