import type { MiddlewareHandler } from 'hono';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { setResponseHeader } from './headers';
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
    const states = await Promise.all([consumeOne(windows[0] as Window, keyId), consumeOne(windows[1] as Window, keyId)]);
    const tightest = states.reduce((a, b) => (b.remaining < a.remaining ? b : a));
    setResponseHeader(c, 'X-RateLimit-Limit', String(tightest.window.limiter.points));
    setResponseHeader(c, 'X-RateLimit-Remaining', String(tightest.remaining));
    setResponseHeader(c, 'X-RateLimit-Reset', String(Math.ceil(now() / 1000) + tightest.resetSeconds));
    setResponseHeader(c, 'RateLimit-Policy', policy);
    setResponseHeader(c, 'RateLimit', `"${tightest.window.name}";r=${tightest.remaining};t=${tightest.resetSeconds}`);

    const blocking = states.filter((s) => s.exceeded);
    if (blocking.length > 0) {
      const retryAfter = Math.max(...blocking.map((s) => s.resetSeconds));
      setResponseHeader(c, 'Retry-After', String(retryAfter));
      throw new HttpProblem('rate_limited', `Rate limit exceeded. Retry in ${retryAfter} seconds.`, { retryAfter });
    }
    await next();
  };
}

/** One window's count for the key: its state whether the request fits or not. */
function consumeOne(window: Window, keyId: string): Promise<WindowState> {
  const state = (res: RateLimiterRes, exceeded: boolean): WindowState => ({
    window,
    remaining: Math.max(0, res.remainingPoints),
    resetSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
    exceeded,
  });
  return window.limiter.consume(keyId).then(
    (res) => state(res, false),
    (rejection: unknown) => {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      return state(rejection, true);
    },
  );
}
