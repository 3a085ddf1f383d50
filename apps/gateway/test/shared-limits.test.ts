import { randomBytes } from 'node:crypto';
import { createTestGateway, type TestGateway } from '@gateway/http/testing';
import { createLegacyApp } from '@gateway/legacy-api';
import { createOrgApp } from '@gateway/org-api';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisLimiters, type RedisLimiters } from '../src/limiters';

/**
 * Contract §9: with REDIS_URL, rate limits count across instances. Two gateways (each with its own
 * Redis connection and limiters, as two processes would have) share one Redis; the limit holds in
 * total. Redis runs on 127.0.0.1:6379; every run uses its own key prefix and deletes it afterwards.
 */
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `gateway-test:${randomBytes(6).toString('hex')}:`;

let gw: TestGateway;
const stores: RedisLimiters[] = [];

async function instance(limits: { perMinute: number; perHour: number }, authFailuresPerMinute = 1000) {
  const store = redisLimiters(REDIS_URL, { prefix });
  stores.push(store);
  expect(await store.connected(5000)).toBe(true);
  const services = { ...gw.services, limiters: store.limiters, rateLimits: { legacy: limits, org: limits }, authFailuresPerMinute };
  return { legacy: createLegacyApp(services), org: createOrgApp(services) };
}

beforeAll(async () => {
  gw = await createTestGateway();
});

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  await gw.close();
});

describe('rate limits shared through Redis', () => {
  it('a per-key limit holds in total across two instances, in both windows and both dialects', async () => {
    const limits = { perMinute: 6, perHour: 100 };
    const a = await instance(limits);
    const b = await instance(limits);
    const token = await gw.tokens.withScopes(['agents:read']);
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const app = i % 2 === 0 ? a : b;
      const res = await app.org.request('/api/v1/agents', { headers: { Authorization: `Bearer ${token}` } });
      statuses.push(res.status);
      if (res.status === 200) expect(Number(res.headers.get('x-ratelimit-remaining'))).toBe(5 - i);
      if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429, 429, 429, 429]);
  });

  it('failed authentications from one address are limited in total across instances', async () => {
    const a = await instance({ perMinute: 1000, perHour: 1000 }, 4);
    const b = await instance({ perMinute: 1000, perHour: 1000 }, 4);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const app = i % 2 === 0 ? a : b;
      const res = await app.legacy.request(`/v1/users/${gw.alice.id}/agents`, { headers: { 'x-api-key': gw.tokens.unknown } });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
  });

  it('while Redis cannot be reached, each instance counts in memory instead of failing requests', async () => {
    const store = redisLimiters('redis://127.0.0.1:1', { prefix });
    stores.push(store);
    const app = createOrgApp({ ...gw.services, limiters: store.limiters, rateLimits: { legacy: { perMinute: 2, perHour: 10 }, org: { perMinute: 2, perHour: 10 } } });
    const token = await gw.tokens.withScopes(['agents:read']);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await app.request('/api/v1/agents', { headers: { Authorization: `Bearer ${token}` } })).status);
    expect(statuses).toEqual([200, 200, 429]);
    expect(gw.unexpected).toEqual([]);
  });
});
