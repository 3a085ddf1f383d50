import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiKey, Core } from '@gateway/core';
import { ApiKeyCache, authenticate, type GatewayEnv, type GatewayServices } from '../src';
import { createTestGateway, type TestGateway } from '../src/testing';

let gw: TestGateway;
afterEach(async () => gw?.close());

/** An app that answers 200 for a good key, and counts how often the key store was asked. */
function probe(services: GatewayServices) {
  const app = new Hono<GatewayEnv>();
  app.get('/me', authenticate(services, 'bearer'), (c) => c.json({ key: c.get('keyId') }));
  app.onError((_error, c) => c.json({ error: 'unauthorized' }, 401));
  return app;
}

function withClockAndCounter(ttlMs: number) {
  let at = Date.now();
  let lookups = 0;
  const core: Core = {
    ...gw.core,
    deps: { ...gw.core.deps, clock: { now: () => at } },
    authenticate: async (args) => {
      lookups++;
      return gw.core.authenticate(args);
    },
  };
  const app = probe({ ...gw.services, core, apiKeyCacheTtlMs: ttlMs });
  return { app, advance: (ms: number) => (at += ms), lookups: () => lookups };
}

const get = (app: Hono<GatewayEnv>, token: string) => app.request('/me', { headers: { authorization: `Bearer ${token}` } });

describe('the API key cache (API_KEY_CACHE_TTL_MS)', () => {
  it('serves a key from memory within its lifetime; a revocation takes effect once the lifetime is over', async () => {
    gw = await createTestGateway({ storage: 'memory' });
    const { app, advance, lookups } = withClockAndCounter(1000);
    const token = await gw.tokens.withScopes(['agents:read']);
    expect((await get(app, token)).status).toBe(200);
    expect((await get(app, token)).status).toBe(200);
    expect(lookups()).toBe(1);

    const key = await gw.core.authenticate({ uow: gw.uow, token });
    await gw.core.revokeApiKey({ uow: gw.uow, id: key!.id });
    advance(999);
    expect((await get(app, token)).status).toBe(200);
    advance(1);
    expect((await get(app, token)).status).toBe(401);
    expect((await get(app, token)).status).toBe(401);
  });

  it('0 reads the key on every request, so a revocation takes effect at once', async () => {
    gw = await createTestGateway({ storage: 'memory' });
    const { app, lookups } = withClockAndCounter(0);
    const token = await gw.tokens.withScopes(['agents:read']);
    expect((await get(app, token)).status).toBe(200);
    const key = await gw.core.authenticate({ uow: gw.uow, token });
    await gw.core.revokeApiKey({ uow: gw.uow, id: key!.id });
    expect((await get(app, token)).status).toBe(401);
    expect(lookups()).toBe(2);
  });

  it('never caches a failed lookup: a key created a moment later works at once', async () => {
    gw = await createTestGateway({ storage: 'memory' });
    const { app } = withClockAndCounter(60_000);
    expect((await get(app, gw.tokens.unknown)).status).toBe(401);
    const fresh = await gw.tokens.withScopes(['agents:read']);
    expect((await get(app, fresh)).status).toBe(200);
  });

  it('a key that expires while cached stops working at its expiry, not at the end of the lifetime', async () => {
    gw = await createTestGateway({ storage: 'memory' });
    const { app, advance } = withClockAndCounter(60_000);
    const { token } = await gw.core.createApiKey({ uow: gw.uow, input: { orgId: gw.org.id, scopes: ['agents:read'], expiresAt: Date.now() + 500 } });
    expect((await get(app, token)).status).toBe(200);
    advance(600);
    expect((await get(app, token)).status).toBe(401);
  });

  it('is bounded in size: the oldest entries go first', () => {
    const cache = new ApiKeyCache({ ttlMs: 10_000, maxEntries: 3 });
    for (const id of ['a', 'b', 'c', 'd']) cache.set(id, { id } as ApiKey, 0);
    expect(cache.size).toBe(3);
    expect(cache.get('a', 1)).toBeNull();
    expect(cache.get('d', 1)?.id).toBe('d');
  });
});
