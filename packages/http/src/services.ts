import type { Core, UnitOfWork } from '@gateway/core';
import type { LimiterFactory } from './limiters';

export interface WindowLimits {
  perMinute: number;
  perHour: number;
}

/** Everything a dialect app needs, built once by the composition root. */
export interface GatewayServices {
  core: Core;
  uow: UnitOfWork;
  rateLimits: { legacy: WindowLimits; org: WindowLimits };
  /** Failed authentications allowed per client address per minute (30). */
  authFailuresPerMinute: number;
  /** Where rate-limit counters live; in this process's memory when absent. */
  limiters?: LimiterFactory;
  /**
   * How long an authenticated key may be trusted without reading it again (`API_KEY_CACHE_TTL_MS`);
   * 0 or absent reads the key on every request.
   */
  apiKeyCacheTtlMs?: number;
  /** Reports an unexpected error (logged with the request id; never shown to the client). */
  reportError(error: unknown, requestId: string): void;
}
