import { createCore, DEFAULT_PLAN_LIMITS } from '@gateway/core';
import type { GatewayServices, LimiterFactory } from '@gateway/http';
import { htmlSanitizer, randomIds, sha256Hasher, systemClock } from '@gateway/platform';
import type { Storage } from '@gateway/storage';
import type { GatewayConfig } from './config';
import type { Logger } from './logger';

/**
 * The composition root: the core bound to the real clock, ids, hashing and sanitizer, over one
 * storage. Unexpected errors the dialects report go to the log with their request id.
 */
export function buildServices(
  config: Pick<GatewayConfig, 'rateLimits' | 'authFailuresPerMinute'> & Partial<Pick<GatewayConfig, 'apiKeyCacheTtlMs' | 'replies'>>,
  storage: Pick<Storage, 'uow'>,
  logger?: Logger,
  limiters?: LimiterFactory,
): GatewayServices {
  const core = createCore({
    clock: systemClock,
    ids: randomIds,
    hasher: sha256Hasher,
    html: htmlSanitizer,
    planLimits: DEFAULT_PLAN_LIMITS,
    replies: config.replies ? { debounceMs: config.replies.debounceMs, maxWaitMs: config.replies.maxWaitMs } : null,
  });
  return {
    core,
    uow: storage.uow,
    rateLimits: { legacy: { ...config.rateLimits.legacy }, org: { ...config.rateLimits.org } },
    authFailuresPerMinute: config.authFailuresPerMinute,
    ...(limiters !== undefined ? { limiters } : {}),
    apiKeyCacheTtlMs: config.apiKeyCacheTtlMs ?? 0,
    reportError(error, requestId) {
      logger?.error({ err: error, request_id: requestId }, 'unhandled error');
    },
  };
}
