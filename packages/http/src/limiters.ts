import { RateLimiterMemory, type RateLimiterAbstract } from 'rate-limiter-flexible';

export interface LimiterOptions {
  /** Names the counter, e.g. `legacy-m` (legacy, minute window) or `auth-fail`. */
  keyPrefix: string;
  points: number;
  /** Window length in seconds. */
  duration: number;
}

/**
 * Where rate-limit counters live. One process counts in memory; several instances share a store
 * (rate-limiter-flexible's PostgreSQL or Redis limiters), chosen by the composition root, so a
 * limit holds in total across every instance.
 */
export type LimiterFactory = (options: LimiterOptions) => RateLimiterAbstract;

export const memoryLimiters: LimiterFactory = (options) => new RateLimiterMemory(options);
