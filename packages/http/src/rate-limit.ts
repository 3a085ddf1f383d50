import type { MiddlewareHandler } from 'hono';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { memoryLimiters, type LimiterFactory } from './limiters';
import { HttpProblem } from './problems';
import type { GatewayEnv } from './request-context';
import type { WindowLimits } from './services';

interface Window {
  name: 'minute' | 'hour';
  seconds: number;
  limiter: RateLimiterAbstract;
}

interface WindowState {
  window: Window;
  remaining: number;
  resetSeconds: number;
  exceeded: boolean;
}

/**
 * Per-key request limits over a minute and an hour window (rate-limiter-flexible). Every
 * authenticated response describes the window with the fewest requests left (the shorter on a tie)
 * in `X-RateLimit-*`, and both windows in the IETF `RateLimit-Policy` / `RateLimit` fields.
 */
export function rateLimit(
  limits: WindowLimits,
  options: { keyPrefix: string; now?: () => number; limiters?: LimiterFactory | undefined },
): MiddlewareHandler<GatewayEnv> {
  const make = options.limiters ?? memoryLimiters;
  const windows: Window[] = [
    { name: 'minute', seconds: 60, limiter: make({ keyPrefix: `${options.keyPrefix}-m`, points: limits.perMinute, duration: 60 }) },
    { name: 'hour', seconds: 3600, limiter: make({ keyPrefix: `${options.keyPrefix}-h`, points: limits.perHour, duration: 3600 }) },
  ];
  const policy = windows.map((w) => `"${w.name}";q=${w.limiter.points};w=${w.seconds}`).join(', ');
  const now = options.now ?? Date.now;

  return async function rateLimitMiddleware(c, next) {
    const keyId = c.get('keyId') as string;
    const states = await Promise.all(
      windows.map(async (window): Promise<WindowState> => {
        let res: RateLimiterRes;
        let exceeded = false;
        try {
          res = await window.limiter.consume(keyId);
        } catch (rejection) {
          if (!(rejection instanceof RateLimiterRes)) throw rejection;
          res = rejection;
          exceeded = true;
        }
        return { window, remaining: Math.max(0, res.remainingPoints), resetSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)), exceeded };
      }),
    );
    const tightest = states.reduce((a, b) => (b.remaining < a.remaining ? b : a));
    c.header('X-RateLimit-Limit', String(tightest.window.limiter.points));
    c.header('X-RateLimit-Remaining', String(tightest.remaining));
    c.header('X-RateLimit-Reset', String(Math.ceil(now() / 1000) + tightest.resetSeconds));
    c.header('RateLimit-Policy', policy);
    c.header('RateLimit', `"${tightest.window.name}";r=${tightest.remaining};t=${tightest.resetSeconds}`);

    const blocking = states.filter((s) => s.exceeded);
    if (blocking.length > 0) {
      const retryAfter = Math.max(...blocking.map((s) => s.resetSeconds));
      c.header('Retry-After', String(retryAfter));
      throw new HttpProblem('rate_limited', `Rate limit exceeded. Retry in ${retryAfter} seconds.`, { retryAfter });
    }
    await next();
  };
}
