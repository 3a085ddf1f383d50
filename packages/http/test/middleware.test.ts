import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { isDomainError } from '@gateway/core';
import {
  authenticate,
  isHttpProblem,
  jsonBody,
  MAX_BODY_BYTES,
  rateLimit,
  requestContext,
  requireScope,
  routeFallback,
  type GatewayEnv,
} from '../src';
import { createTestGateway, type TestGateway } from '../src/testing';

/** A tiny dialect for exercising the shared pieces: errors rendered as `{kind, message}`. */
function probeApp(gw: TestGateway, limits = { perMinute: 3, perHour: 5 }) {
  const app = new Hono<GatewayEnv>();
  app.use('*', requestContext({ dialect: 'org' }));
  const limited = rateLimit(limits, { keyPrefix: 'probe' });
  app.get('/things', authenticate(gw.services, 'bearer'), limited, requireScope('agents:read'), (c) => c.json({ ok: true }));
  app.post('/things', authenticate(gw.services, 'bearer'), limited, requireScope('agents:write'), jsonBody(), (c) => c.json({ body: c.get('body') }, 201));
  routeFallback(app);
  app.onError((error, c) => {
    if (isHttpProblem(error)) return c.json({ kind: error.kind, message: error.message }, 400);
    if (isDomainError(error)) return c.json({ kind: error.code, message: error.message }, 403);
    return c.json({ kind: 'internal' }, 500);
  });
  return app;
}

let gw: TestGateway;
afterEach(async () => gw?.close());

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('request context', () => {
  it('adopts a well-formed X-Request-ID and replaces a malformed one', async () => {
    gw = await createTestGateway({ storage: 'memory' });
    const app = probeApp(gw);
    const adopted = await app.request('/nowhere', { headers: { 'x-request-id': 'client-trace.42:a' } });
    expect(adopted.headers.get('x-request-id')).toBe('client-trace.42:a');
    const replaced = await app.request('/nowhere', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{16}$/);
    expect(replaced.headers.get('cache-control')).toBe('no-store');
    expect(replaced.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('authentication', () => {
  it('refuses missing, malformed, unknown, revoked and expired keys alike', async () => {
    gw = await createTestGateway({ storage: 'memory' });
    const app = probeApp(gw);
    for (const headers of [{}, bearer('sk_live_short'), bearer(gw.tokens.unknown), bearer(gw.tokens.revoked), bearer(gw.tokens.expired), { authorization: gw.tokens.full }]) {
      const res = await app.request('/things', { headers });
      expect(await res.json()).toEqual({ kind: 'unauthorized', message: 'Invalid API key' });
    }
    expect((await app.request('/things', { headers: bearer(gw.tokens.full) })).status).toBe(200);
  });

  it('limits failed authentications per address, but never a valid key', async () => {
    gw = await createTestGateway({ storage: 'memory', authFailuresPerMinute: 2 });
    const app = probeApp(gw, { perMinute: 100, perHour: 100 });
    const kinds = [];
    for (let i = 0; i < 3; i++) kinds.push(((await (await app.request('/things', { headers: bearer(gw.tokens.unknown) })).json()) as { kind: string }).kind);
    expect(kinds).toEqual(['unauthorized', 'unauthorized', 'rate_limited']);
    const blocked = await app.request('/things', { headers: bearer(gw.tokens.unknown) });
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await app.request('/things', { headers: bearer(gw.tokens.full) })).status).toBe(200);
  });

  it('checks the scope before reading the body', async () => {
    gw = await createTestGateway({ storage: 'memory' });
    const app = probeApp(gw);
    const token = await gw.tokens.withScopes(['agents:read']);
    const res = await app.request('/things', { method: 'POST', headers: { ...bearer(token), 'content-type': 'text/plain' }, body: 'not json' });
    expect(await res.json()).toMatchObject({ kind: 'forbidden' });
  });
});

describe('rate limits', () => {
  it('describe the tighter window and refuse past it with Retry-After', async () => {
    gw = await createTestGateway({ storage: 'memory' });
    const app = probeApp(gw, { perMinute: 3, perHour: 5 });
    const first = await app.request('/things', { headers: bearer(gw.tokens.full) });
    expect(first.headers.get('x-ratelimit-limit')).toBe('3');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('2');
    expect(first.headers.get('ratelimit-policy')).toBe('"minute";q=3;w=60, "hour";q=5;w=3600');
    expect(first.headers.get('ratelimit')).toMatch(/^"minute";r=2;t=\d+$/);
    const reset = Number(first.headers.get('x-ratelimit-reset'));
    expect(reset).toBeGreaterThan(Date.now() / 1000);
    expect(reset).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 61);
    await app.request('/things', { headers: bearer(gw.tokens.full) });
    await app.request('/things', { headers: bearer(gw.tokens.full) });
    const over = await app.request('/things', { headers: bearer(gw.tokens.full) });
    expect(await over.json()).toMatchObject({ kind: 'rate_limited' });
    expect(over.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('switch to the hour window when it has fewer requests left', async () => {
    gw = await createTestGateway({ storage: 'memory' });
    const app = probeApp(gw, { perMinute: 10, perHour: 4 });
    const res = await app.request('/things', { headers: bearer(gw.tokens.full) });
    expect(res.headers.get('x-ratelimit-limit')).toBe('4');
    expect(res.headers.get('ratelimit')).toMatch(/^"hour";r=3;t=\d+$/);
  });
});

describe('bodies and routes', () => {
  it('accepts exactly 1 MiB and refuses one byte more; refuses other media types and bad JSON', async () => {
    gw = await createTestGateway({ storage: 'memory' });
    const app = probeApp(gw, { perMinute: 100, perHour: 100 });
    const headers = { ...bearer(gw.tokens.full), 'content-type': 'application/json' };
    const padded = (size: number) => `{"x":"${'a'.repeat(size - 8)}"}`;
    expect(padded(MAX_BODY_BYTES).length).toBe(MAX_BODY_BYTES);
    expect((await app.request('/things', { method: 'POST', headers, body: padded(MAX_BODY_BYTES) })).status).toBe(201);
    expect(await (await app.request('/things', { method: 'POST', headers, body: padded(MAX_BODY_BYTES + 1) })).json()).toMatchObject({ kind: 'payload_too_large' });
    expect(await (await app.request('/things', { method: 'POST', headers: { ...headers, 'content-type': 'text/plain' }, body: '{}' })).json()).toMatchObject({ kind: 'unsupported_media_type' });
    expect(await (await app.request('/things', { method: 'POST', headers, body: '{"x":' })).json()).toMatchObject({ kind: 'invalid_json' });
    expect((await app.request('/things', { method: 'POST', headers: { ...headers, 'content-type': 'application/json; charset=utf-8' }, body: '{}' })).status).toBe(201);
  });

  it('answers unknown paths 404 and known paths with another method 405, without a key', async () => {
    gw = await createTestGateway({ storage: 'memory' });
    const app = probeApp(gw);
    expect(await (await app.request('/nowhere')).json()).toMatchObject({ kind: 'route_not_found' });
    const wrong = await app.request('/things', { method: 'DELETE' });
    expect(await wrong.json()).toMatchObject({ kind: 'method_not_allowed' });
    expect(wrong.headers.get('allow')).toBe('GET, POST, HEAD');
  });
});

describe('transient storage failures', () => {
  it('are the StorageErrors that storage raises; a driver code alone means nothing here', async () => {
    const { isTransient } = await import('../src');
    const { StorageError } = await import('@gateway/core');
    expect(isTransient(new StorageError('unavailable', 'Storage is busy (SQLITE_BUSY)'))).toBe(true);
    expect(isTransient(new StorageError('conflict', 'serialization failure'))).toBe(true);
    // Storage owns the drivers' codes: a raw driver error that escaped it is a plain failure.
    expect(isTransient(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }))).toBe(false);
    expect(isTransient(new Error('plain'))).toBe(false);
    expect(isTransient(null)).toBe(false);
  });
});

describe('key use', () => {
  it('records last_used_at without holding up the request, at most once a minute per key', async () => {
    gw = await createTestGateway({ storage: 'memory' });
    const app = probeApp(gw, { perMinute: 100, perHour: 100 });
    const lastUsed = async () => (await gw.core.authenticate({ uow: gw.uow, token: gw.tokens.full }))?.lastUsedAt ?? null;
    expect(await lastUsed()).toBeNull();
    expect((await app.request('/things', { headers: bearer(gw.tokens.full) })).status).toBe(200);
    await expect.poll(lastUsed).not.toBeNull();
    const first = await lastUsed();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await app.request('/things', { headers: bearer(gw.tokens.full) });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await lastUsed()).toBe(first);
  });
});
