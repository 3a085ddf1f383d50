import type { MiddlewareHandler } from 'hono';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { DomainError, isUsable, TOKEN_PATTERN, type ApiKey, type Scope } from '@gateway/core';
import { setResponseHeader } from './headers';
import { ApiKeyCache } from './key-cache';
import { memoryLimiters } from './limiters';
import { HttpProblem } from './problems';
import type { GatewayEnv } from './request-context';
import type { GatewayServices } from './services';

const failureLimiters = new WeakMap<GatewayServices, RateLimiterAbstract>();
const keyCaches = new WeakMap<GatewayServices, ApiKeyCache>();

/** One limiter of failed authentications per gateway, shared by both dialects. */
function failureLimiter(services: GatewayServices): RateLimiterAbstract {
  let limiter = failureLimiters.get(services);
  if (!limiter) {
    limiter = (services.limiters ?? memoryLimiters)({ keyPrefix: 'auth-fail', points: services.authFailuresPerMinute, duration: 60 });
    failureLimiters.set(services, limiter);
  }
  return limiter;
}

/** One cache of authenticated keys per gateway, shared by both dialects. */
function keyCache(services: GatewayServices): ApiKeyCache {
  let cache = keyCaches.get(services);
  if (!cache) {
    cache = new ApiKeyCache({ ttlMs: services.apiKeyCacheTtlMs ?? 0 });
    keyCaches.set(services, cache);
  }
  return cache;
}

/** The live key for a token: from the cache while it is fresh, else from the database. */
async function lookUp(services: GatewayServices, token: string): Promise<ApiKey | null> {
  const now = services.core.deps.clock.now();
  const cache = keyCache(services);
  const hash = services.core.deps.hasher.hash(token);
  const cached = cache.get(hash, now);
  // Expiry is checked on every use; revocation reaches this cache within its lifetime.
  if (cached !== null) return isUsable(cached, now) ? cached : null;
  const key = await services.core.authenticate({ uow: services.uow, token });
  if (key !== null) cache.set(hash, key, now);
  return key;
}

/** The peer address of the connection; the gateway does not trust forwarding headers. */
export function clientAddress(c: { env: unknown }): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? 'local';
}

export type TokenTransport = 'x-api-key' | 'bearer';

const TOUCH_EVERY_MS = 60_000;

function tokenFrom(c: Parameters<MiddlewareHandler>[0], transport: TokenTransport): string | null {
  if (transport === 'x-api-key') return c.req.header('x-api-key') ?? null;
  const header = c.req.header('authorization');
  const match = header === undefined ? null : /^Bearer ([^\s]+)$/i.exec(header);
  return match?.[1] ?? null;
}

/**
 * Authenticates the API key. Missing, malformed, unknown, revoked or expired keys are 401; a client
 * address that fails too often is 429 until its minute is over. A valid key is never held back by
 * that limit.
 */
export function authenticate(services: GatewayServices, transport: TokenTransport): MiddlewareHandler<GatewayEnv> {
  /** When this process last recorded each key's use: at most one write a minute per key. */
  const touched = new Map<string, number>();
  return async function authenticateMiddleware(c, next) {
    const token = tokenFrom(c, transport);
    const key = token !== null && TOKEN_PATTERN.test(token) ? await lookUp(services, token) : null;
    if (!key) {
      try {
        await failureLimiter(services).consume(clientAddress(c));
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        setResponseHeader(c, 'Retry-After', String(retryAfter));
        throw new HttpProblem('rate_limited', `Too many failed authentications. Retry in ${retryAfter} seconds.`, { retryAfter });
      }
      throw new HttpProblem('unauthorized', 'Invalid API key');
    }
    c.set('apiKey', key);
    c.set('actor', services.core.actorFor(key));
    c.set('orgId', key.orgId);
    c.set('keyId', key.id);
    const now = services.core.deps.clock.now();
    if (now - (touched.get(key.id) ?? -Infinity) >= TOUCH_EVERY_MS) {
      touched.set(key.id, now);
      // last_used_at is advisory: the request does not wait for the write, and a failure is only logged.
      services.core.touchApiKey({ uow: services.uow, key }).catch((error: unknown) => services.reportError(error, c.get('requestId')));
    }
    await next();
  };
}

/** Checks the scope before the request is read any further. */
export function requireScope(scope: Scope): MiddlewareHandler<GatewayEnv> {
  return function requireScopeMiddleware(c, next) {
    if (!c.get('actor').scopes.has(scope)) {
      throw new DomainError('forbidden', `This API key lacks the ${scope} scope`, { scope });
    }
    return next();
  };
}
