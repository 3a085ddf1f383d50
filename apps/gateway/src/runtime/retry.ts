/**
 * Retries with jittered exponential backoff for the reply runtime's outside calls (contract §8: "at
 * most 5 attempts within 2 minutes"). Only an error whose `kind` is `'retryable'` is tried again; its
 * `retryAfterMs` (from `Retry-After`), when it has one, replaces the computed delay. Clock, sleep and
 * randomness are injected, so the schedule is tested without waiting.
 */

/** What `withRetries` reads from an error: `ModelError` and `GraphError` both fit. */
export interface RetryableError {
  kind: string;
  retryAfterMs?: number | null;
}

export interface BackoffOptions {
  /** The first delay before jitter (1000 ms). */
  baseMs?: number;
  /** No computed delay is longer than this (30 000 ms); a `Retry-After` may be. */
  maxDelayMs?: number;
  /** A number in [0, 1) (`Math.random`). */
  random?: () => number;
}

export interface RetryOptions extends BackoffOptions {
  /** Attempts in all, the first included (5). */
  attempts?: number;
  /** Every attempt starts within this long of the first one (120 000 ms). */
  withinMs?: number;
  /** Milliseconds on a monotonic clock (`performance.now`). */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Called before each wait, e.g. to log the attempt that failed. */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
}

export const RETRY_DEFAULTS = { attempts: 5, withinMs: 120_000, baseMs: 1_000, maxDelayMs: 30_000 } as const;

/**
 * The wait after the `failedAttempts`-th failure (1, 2, …): `retryAfterMs` when the server named one,
 * otherwise `baseMs × 2^(n-1)` capped at `maxDelayMs`, with "equal jitter" (between half and all of it),
 * so that callers that failed together do not come back together.
 */
export function retryDelay(failedAttempts: number, options: BackoffOptions & { retryAfterMs?: number | null } = {}): number {
  if (options.retryAfterMs !== undefined && options.retryAfterMs !== null && options.retryAfterMs >= 0) {
    return Math.ceil(options.retryAfterMs);
  }
  const baseMs = options.baseMs ?? RETRY_DEFAULTS.baseMs;
  const maxDelayMs = options.maxDelayMs ?? RETRY_DEFAULTS.maxDelayMs;
  const random = options.random ?? Math.random;
  const exponential = Math.min(maxDelayMs, baseMs * 2 ** Math.max(0, failedAttempts - 1));
  return Math.round(exponential / 2 + (exponential / 2) * random());
}

/** The delays of a whole schedule with no `Retry-After`: `attempts - 1` waits. */
export function retryDelays(options: BackoffOptions & { attempts?: number } = {}): number[] {
  const attempts = options.attempts ?? RETRY_DEFAULTS.attempts;
  return Array.from({ length: Math.max(0, attempts - 1) }, (_, i) => retryDelay(i + 1, options));
}

function isRetryable(error: unknown): error is RetryableError {
  return typeof error === 'object' && error !== null && (error as { kind?: unknown }).kind === 'retryable';
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `fn` (given the attempt number, from 1) until it succeeds. A non-retryable error is thrown at
 * once; a retryable one is tried again after `retryDelay`, unless the attempts are used up or the next
 * attempt would start later than `withinMs` after the first: then the last error is thrown unchanged.
 */
export async function withRetries<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? RETRY_DEFAULTS.attempts;
  const withinMs = options.withinMs ?? RETRY_DEFAULTS.withinMs;
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? realSleep;
  const started = now();
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (!isRetryable(error) || attempt >= attempts) throw error;
      const delayMs = retryDelay(attempt, { ...options, retryAfterMs: error.retryAfterMs ?? null });
      if (now() + delayMs - started > withinMs) throw error;
      options.onRetry?.({ attempt, delayMs, error });
      await sleep(delayMs);
    }
  }
}

/**
 * A server's `retry-after-ms` (milliseconds) or `Retry-After` (seconds, or an HTTP date) as a delay in
 * milliseconds; null when there is none or it cannot be read.
 */
export function parseRetryAfter(headers: Headers | null | undefined, nowMs: number): number | null {
  if (!headers) return null;
  const ms = headers.get('retry-after-ms');
  if (ms !== null && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return Math.ceil(Number(ms));
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return null;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - nowMs);
}
