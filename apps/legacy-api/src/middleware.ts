import type { MiddlewareHandler } from 'hono';
import { notFound, type Scope } from '@gateway/core';
import { authenticate, idempotency, jsonBody, rateLimit, requireScope, sequence, type GatewayEnv, type GatewayServices } from '@gateway/http';

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

/**
 * The middleware chain of a legacy route, from its own definition: GET and DELETE go key → rate
 * limit → scope (`x-required-scope`) → path user; POST and PATCH then read the JSON body and the
 * Idempotency-Key. The chain runs as one step of the route (`sequence`).
 */
export type Guard = (route: { method: string; 'x-required-scope': Scope }) => RouteMiddleware;

/** Built once per app, so all routes share one rate limiter. */
export function legacyGuard(services: GatewayServices): Guard {
  const key = authenticate(services, 'x-api-key');
  const limit = rateLimit(services.rateLimits.legacy, { keyPrefix: 'legacy', limiters: services.limiters });
  const user = pathUser(services);
  return (route) => {
    const chain = [key, limit, requireScope(route['x-required-scope']), user];
    const method = route.method.toUpperCase();
    if (method === 'POST' || method === 'PATCH') chain.push(jsonBody(), idempotency(services));
    return [sequence(chain)];
  };
}
