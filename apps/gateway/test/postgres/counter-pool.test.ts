import type { PostgresStorage } from '@gateway/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { openLimiters } from '../../src/limiters';
import { counterConnections, openGatewayStorage } from '../../src/storage';
import { TEST_KEY } from '../helpers';
import { createTestDatabase, postgresServerUrl, type TestDatabase } from './pg-database';

/**
 * ADR 0011: on PostgreSQL without REDIS_URL the server keeps its rate-limit counters on connections
 * of its own, taken from DATABASE_POOL_SIZE, whose commits do not wait for the WAL flush.
 */
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase(postgresServerUrl(), 'counters');
}, 60_000);

afterAll(async () => {
  await db?.drop();
}, 60_000);

describe('rate-limit counters on connections of their own (PostgreSQL)', () => {
  it('take two fifths of DATABASE_POOL_SIZE, rounded, at least one; a pool of one keeps them', () => {
    expect([1, 2, 3, 4, 5, 10, 100].map(counterConnections)).toEqual([0, 1, 1, 2, 2, 4, 40]);
  });

  it('the server counts on them while every data connection is busy, in the database, with commits that do not wait; the CLI keeps the whole pool', async () => {
    const config = loadConfig({ DATABASE_URL: db.url, GATEWAY_ENCRYPTION_KEY: TEST_KEY, DATABASE_POOL_SIZE: '5' });
    const storage = (await openGatewayStorage(config, { rateLimitCounters: true })) as PostgresStorage;
    try {
      expect([storage.pool.options.max, storage.counterPool.options.max]).toEqual([3, 2]);
      const limiter = openLimiters(null, storage).limiters({ keyPrefix: 'counters-m', points: 2, duration: 60 });
      const held = await Promise.all([1, 2, 3].map(() => storage.pool.connect()));
      try {
        expect((await limiter.consume('key_1')).remainingPoints).toBe(1);
        expect((await limiter.consume('key_1')).remainingPoints).toBe(0);
        await expect(limiter.consume('key_1')).rejects.toMatchObject({ remainingPoints: 0, consumedPoints: 3 });
      } finally {
        for (const client of held) client.release();
      }
      // Counted in PostgreSQL, not by the in-memory stand-in used while the database is away.
      expect(await db.query('SELECT key, points FROM rate_limits')).toEqual([{ key: 'counters-m:key_1', points: 3 }]);
      const setting = await storage.counterPool.query<{ synchronous_commit: string }>('SHOW synchronous_commit');
      expect(setting.rows).toEqual([{ synchronous_commit: 'off' }]);
    } finally {
      await storage.close();
    }

    const cli = (await openGatewayStorage(config)) as PostgresStorage;
    try {
      expect(cli.counterPool).toBe(cli.pool);
      expect(cli.pool.options.max).toBe(5);
    } finally {
      await cli.close();
    }
  });
});
