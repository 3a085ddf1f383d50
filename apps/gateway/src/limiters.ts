import type { LimiterFactory } from '@gateway/http';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';

export interface RedisLimiters {
  limiters: LimiterFactory;
  /** Resolves once connected (true), or false after `timeoutMs` without a connection. */
  connected(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Rate-limit counters in Redis (`REDIS_URL`), shared by every instance. Keys are
 * `<prefix><limiter>:<api key id or address>`. While Redis cannot be reached each limiter counts in
 * this process's memory instead (rate-limiter-flexible's insurance limiter), so an outage of Redis
 * loosens the limits to per instance rather than failing requests.
 */
export function redisLimiters(url: string, { prefix = 'gateway:rl:' }: { prefix?: string } = {}): RedisLimiters {
  const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
  // Connection errors are retried by ioredis itself; the insurance limiter covers the gap.
  redis.on('error', () => {});
  return {
    limiters: (options) =>
      new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${prefix}${options.keyPrefix}`,
        points: options.points,
        duration: options.duration,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory(options),
      }),
    connected(timeoutMs) {
      if (redis.status === 'ready') return Promise.resolve(true);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          redis.off('ready', onReady);
          resolve(false);
        }, timeoutMs);
        const onReady = () => {
          clearTimeout(timer);
          resolve(true);
        };
        redis.once('ready', onReady);
      });
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
