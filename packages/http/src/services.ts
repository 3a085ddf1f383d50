import type { Core, UnitOfWork } from '@gateway/core';

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
  /** Reports an unexpected error (logged with the request id; never shown to the client). */
  reportError(error: unknown, requestId: string): void;
}
