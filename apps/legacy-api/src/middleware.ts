import type { MiddlewareHandler } from 'hono';
import { notFound, type Scope } from '@gateway/core';
import { authenticate, idempotency, jsonBody, rateLimit, requireScope, type GatewayEnv, type GatewayServices } from '@gateway/http';

/**
 * The path's `{user_id}`: the key must be of that user's org and bound to that user or to none,
 * else 404 `User not found`. From here on the request acts as that user and sees only the numbers
 * that user owns (and the agents and conversations on them).
 */
export function pathUser(services: GatewayServices): MiddlewareHandler<GatewayEnv> {
  return async function pathUserMiddleware(c, next) {
    const apiKey = c.get('apiKey');
    const userId = c.req.param('user_id');
    if (userId === undefined) throw notFound('user');
    await services.core.resolvePathUser({ uow: services.uow, orgId: apiKey.orgId, keyUserId: apiKey.userId, userId });
    c.set('actor', services.core.actorFor(apiKey, userId));
    await next();
  };
}

export type RouteMiddleware = MiddlewareHandler<GatewayEnv>[];

/** The middleware chains of the legacy routes, built once per app so all routes share one rate limiter. */
export interface Guards {
  /** GET and DELETE: key → rate limit → scope → path user. */
  base(scope: Scope): RouteMiddleware;
  /** POST and PATCH: the same, then the JSON body and the Idempotency-Key. */
  withBody(scope: Scope): RouteMiddleware;
}

export function legacyGuards(services: GatewayServices): Guards {
  const key = authenticate(services, 'x-api-key');
  const limit = rateLimit(services.rateLimits.legacy, { keyPrefix: 'legacy' });
  const user = pathUser(services);
  return {
    base: (scope) => [key, limit, requireScope(scope), user],
    withBody: (scope) => [key, limit, requireScope(scope), user, jsonBody(), idempotency(services)],
  };
}
