import { memoryLimiters, type LimiterFactory } from '@gateway/http';
import type { Storage } from '@gateway/storage';
import { Redis } from 'ioredis';
import type pg from 'pg';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRedis } from 'rate-limiter-flexible';

export interface SharedLimiters {
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
export function redisLimiters(url: string, { prefix = 'gateway:rl:' }: { prefix?: string } = {}): SharedLimiters {
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

export type RedisLimiters = SharedLimiters;

/**
 * Rate-limit counters in the gateway's own PostgreSQL database (the `rate_limits` table its
 * migrations create, in rate-limiter-flexible's layout), shared by every instance on it. `pool` is
 * the storage's `counterPool` (ADR 0011). As with Redis, while the database cannot be reached each
 * limiter counts in memory instead.
 */
export function postgresLimiters(pool: pg.Pool): LimiterFactory {
  return (options) =>
    new RateLimiterPostgres({
      storeClient: pool,
      storeType: 'pool',
      tableName: 'rate_limits',
      tableCreated: true,
      clearExpiredByTimeout: false,
      keyPrefix: options.keyPrefix,
      points: options.points,
      duration: options.duration,
      insuranceLimiter: new RateLimiterMemory(options),
    });
}

/**
 * Where this instance counts (contract §9): Redis when `REDIS_URL` is set; else PostgreSQL when the
 * gateway runs on it; else (SQLite, one process) its own memory.
 */
export function openLimiters(redisUrl: string | null, storage: Storage): { limiters: LimiterFactory; close(): Promise<void> } {
  if (redisUrl !== null) return redisLimiters(redisUrl);
  const pool = (storage as { counterPool?: pg.Pool }).counterPool;
  if (storage.kind === 'postgres' && pool !== undefined) return { limiters: postgresLimiters(pool), close: async () => {} };
  return { limiters: memoryLimiters, close: async () => {} };
}
