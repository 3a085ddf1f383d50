import type { MiddlewareHandler } from 'hono';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { DomainError, TOKEN_PATTERN, type Scope } from '@gateway/core';
import { HttpProblem } from './problems';
import type { GatewayEnv } from './request-context';
import type { GatewayServices } from './services';

const failureLimiters = new WeakMap<GatewayServices, RateLimiterMemory>();

/** One limiter of failed authentications per gateway, shared by both dialects. */
function failureLimiter(services: GatewayServices): RateLimiterMemory {
  let limiter = failureLimiters.get(services);
  if (!limiter) {
    limiter = new RateLimiterMemory({ keyPrefix: 'auth-fail', points: services.authFailuresPerMinute, duration: 60 });
    failureLimiters.set(services, limiter);
  }
  return limiter;
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
    const key = token !== null && TOKEN_PATTERN.test(token) ? await services.core.authenticate({ uow: services.uow, token }) : null;
    if (!key) {
      try {
        await failureLimiter(services).consume(clientAddress(c));
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        c.header('Retry-After', String(retryAfter));
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
  return async function requireScopeMiddleware(c, next) {
    if (!c.get('actor').scopes.has(scope)) {
      throw new DomainError('forbidden', `This API key lacks the ${scope} scope`, { scope });
    }
    await next();
  };
}
