import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SCOPES } from '@gateway/core';
import { createMemoryUnitOfWork } from '@gateway/core/testing';
import { createGatewayApp, type Readiness } from '../src/app';
import { buildServices } from '../src/compose';
import { parseConfig } from '../src/config';
import { openGatewayStorage } from '../src/storage';
import { capturingLogger, childEnv, startServer, tempDir, TEST_KEY } from './helpers';

const config = parseConfig({});

function gateway(readiness: Readiness = { ready: async () => true }, corsOrigins?: string[]) {
  const log = capturingLogger();
  const services = buildServices(config, { uow: createMemoryUnitOfWork() }, log.logger);
  const app = createGatewayApp({ services, storage: readiness, logger: log.logger, ...(corsOrigins ? { corsOrigins } : {}) });
  return { app, services, log };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('probes', () => {
  it('GET /healthz answers 200 ok', async () => {
    const res = await gateway().app.request('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    expect(res.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{16}$/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('GET /readyz answers 200 while storage is ready and 503 when it is not', async () => {
    let ready = true;
    const { app } = gateway({ ready: async () => ready });
    const up = await app.request('/readyz');
    expect(up.status).toBe(200);
    expect(await up.json()).toEqual({ status: 'ready' });

    ready = false;
    const down = await app.request('/readyz');
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ status: 'unavailable' });
  });

  it('GET /readyz answers 503 when the readiness check throws', async () => {
    const { app, log } = gateway({ ready: () => Promise.reject(new Error('disk gone')) });
    const res = await app.request('/readyz');
    expect(res.status).toBe(503);
    expect(log.lines().some((l) => l.msg === 'readiness check failed')).toBe(true);
  });

  it('GET /readyz follows real SQLite storage: ready when open, unavailable once closed', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const storage = await openGatewayStorage({ database: { kind: 'sqlite', file: join(dir, 'g.db') }, encryptionKey: TEST_KEY });
    const log = capturingLogger();
    const app = createGatewayApp({ services: buildServices(config, storage, log.logger), storage, logger: log.logger });
    expect((await app.request('/readyz')).status).toBe(200);
    await storage.close();
    expect((await app.request('/readyz')).status).toBe(503);
  });

  it('answers 405 for other methods on the probes', async () => {
    const res = await gateway().app.request('/healthz', { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
  });
});

describe('root fallbacks', () => {
  it('answers 404 JSON for a path outside both dialects, with the request id', async () => {
    const res = await gateway().app.request('/nowhere', { headers: { 'X-Request-ID': 'trace-123' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-request-id')).toBe('trace-123');
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'Route not found', request_id: 'trace-123' } });
  });

  it('answers 500 without the internal message or stack, and logs the error with the request id', async () => {
    const { app, log } = gateway();
    app.get('/explode', () => {
      throw new Error('secret internal detail');
    });
    const res = await app.request('/explode');
    expect(res.status).toBe(500);
    const body = await res.text();
    expect(body).not.toContain('secret internal detail');
    expect(body).not.toMatch(/at .*\.ts/);
    const requestId = res.headers.get('x-request-id');
    expect(JSON.parse(body)).toEqual({ error: { code: 'internal_error', message: 'Internal server error', request_id: requestId } });
    const logged = log.lines().find((l) => l.msg === 'unhandled error');
    expect(logged).toMatchObject({ level: 'error', request_id: requestId, err: { message: 'secret internal detail' } });
  });

  it('sends no framework banner', async () => {
    const { app } = gateway();
    for (const path of ['/healthz', '/nowhere', '/v1/users/usr_1/agents', '/api/v1/agents']) {
      const res = await app.request(path);
      expect(res.headers.get('x-powered-by')).toBeNull();
      expect(res.headers.get('server')).toBeNull();
    }
  });
});

describe('request log', () => {
  it('writes one JSON line per request with ids, dialect, route pattern, status and duration', async () => {
    const { app, log } = gateway();
    app.get('/probe/:id', (c) => {
      c.set('orgId', 'org_00000000aaaaaaaaaaaaaaaa');
      c.set('keyId', 'key_00000000bbbbbbbbbbbbbbbb');
      return c.json({ ok: true });
    });
    const token = 'sk_live_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const res = await app.request('/probe/usr_123?secret=1', {
      headers: { Authorization: `Bearer ${token}`, 'x-api-key': token, 'X-Request-ID': 'req-log-1' },
    });
    expect(res.status).toBe(200);

    const lines = log.lines().filter((l) => l.msg === 'request');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'info',
      request_id: 'req-log-1',
      dialect: 'gateway',
      method: 'GET',
      route: '/probe/:id',
      status: 200,
      org_id: 'org_00000000aaaaaaaaaaaaaaaa',
      key_id: 'key_00000000bbbbbbbbbbbbbbbb',
    });
    expect(typeof lines[0]?.duration_ms).toBe('number');
    expect(log.raw()).not.toContain(token);
    expect(log.raw()).not.toContain('usr_123');
    expect(log.raw()).not.toContain('secret=1');
  });

  it('logs a 404 with no route, and never the token of a dialect request', async () => {
    const { app, services, log } = gateway();
    const org = await services.core.createOrg({ uow: services.uow, input: { name: 'Acme', plan: 'pro' } });
    const { token } = await services.core.createApiKey({ uow: services.uow, input: { orgId: org.id, scopes: [...SCOPES] } });
    await app.request('/nowhere');
    await app.request('/api/v1/agents', { headers: { Authorization: `Bearer ${token}` } });
    await app.request('/api/v1/agents', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ handle: 'wismo', name: 'WISMO', instructions: 'Answer order questions.', secret_note: 'body-marker' }),
    });
    await app.request(`/v1/users/usr_1/agents`, { headers: { 'x-api-key': token } });

    const lines = log.lines().filter((l) => l.msg === 'request');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatchObject({ route: null, status: 404, dialect: 'gateway', org_id: null, key_id: null });
    for (const line of lines) {
      expect(Object.keys(line)).toEqual(
        expect.arrayContaining(['request_id', 'dialect', 'method', 'route', 'status', 'duration_ms', 'org_id', 'key_id']),
      );
    }
    expect(log.raw()).not.toContain(token);
    expect(log.raw()).not.toContain('body-marker');
  });
});

describe('CORS (CORS_ORIGINS)', () => {
  const ORIGIN = 'https://app.example.com';
  const DIALECT_PATHS = ['/api/v1/agents', '/v1/users/usr_1/agents'];
  const preflight = (origin: string, method = 'POST') => ({
    method: 'OPTIONS',
    headers: { Origin: origin, 'Access-Control-Request-Method': method, 'Access-Control-Request-Headers': 'authorization,content-type,idempotency-key' },
  });
  const corsHeaders = (res: Response) => [...res.headers.keys()].filter((name) => name.startsWith('access-control-') || name === 'vary');
  const listOf = (value: string | null) => (value ?? '').split(',').map((v) => v.trim().toLowerCase());

  async function withKey(corsOrigins?: string[]) {
    const built = gateway(undefined, corsOrigins);
    const org = await built.services.core.createOrg({ uow: built.services.uow, input: { name: 'Acme', plan: 'pro' } });
    const { token } = await built.services.core.createApiKey({ uow: built.services.uow, input: { orgId: org.id, scopes: [...SCOPES] } });
    return { ...built, token };
  }

  it('is off by default: a preflight is the dialect\'s 405 and no response carries a CORS header', async () => {
    const { app, token } = await withKey();
    for (const path of DIALECT_PATHS) {
      const res = await app.request(path, preflight(ORIGIN));
      expect(res.status).toBe(405);
      expect(corsHeaders(res)).toEqual([]);
    }
    const org = await app.request('/api/v1/agents', { headers: { Origin: ORIGIN, Authorization: `Bearer ${token}` } });
    expect(org.status).toBe(200);
    expect(corsHeaders(org)).toEqual([]);
  });

  it('answers a preflight from an allowed origin 204, in both dialects, without a key', async () => {
    const { app, log } = gateway(undefined, ['http://localhost:5173', ORIGIN]);
    for (const path of DIALECT_PATHS) {
      const res = await app.request(path, preflight(ORIGIN, 'PATCH'));
      expect(res.status).toBe(204);
      expect(await res.text()).toBe('');
      expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
      expect(listOf(res.headers.get('access-control-allow-methods'))).toEqual(expect.arrayContaining(['get', 'post', 'patch', 'delete']));
      expect(listOf(res.headers.get('access-control-allow-headers'))).toEqual(
        expect.arrayContaining(['authorization', 'x-api-key', 'content-type', 'idempotency-key', 'x-request-id']),
      );
      expect(res.headers.get('access-control-max-age')).toBe('600');
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
      expect(listOf(res.headers.get('vary'))).toContain('origin');
      expect(res.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{16}$/);
    }
    // Logged like any request, with no key.
    const lines = log.lines().filter((l) => l.msg === 'request');
    expect(lines.map((l) => [l.method, l.status, l.key_id])).toEqual([
      ['OPTIONS', 204, null],
      ['OPTIONS', 204, null],
    ]);
  });

  it('lets an allowed page read the answer and its headers, errors included', async () => {
    const { app, token } = await withKey([ORIGIN]);
    const exposed = [
      'x-request-id',
      'x-ratelimit-limit',
      'x-ratelimit-remaining',
      'x-ratelimit-reset',
      'ratelimit',
      'ratelimit-policy',
      'retry-after',
      'idempotent-replayed',
    ];
    const ok = await app.request('/api/v1/agents', { headers: { Origin: ORIGIN, Authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(listOf(ok.headers.get('access-control-expose-headers'))).toEqual(expect.arrayContaining(exposed));
    expect(listOf(ok.headers.get('vary'))).toContain('origin');

    const legacy = await app.request('/v1/users/usr_1/agents', { headers: { Origin: ORIGIN, 'x-api-key': token } });
    expect(legacy.headers.get('access-control-allow-origin')).toBe(ORIGIN);

    const denied = await app.request('/api/v1/agents', { headers: { Origin: ORIGIN } });
    expect(denied.status).toBe(401);
    expect(denied.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(await denied.json()).toMatchObject({ error: { code: expect.any(String) } });
  });

  it('serves any other origin, and an OPTIONS that is no preflight, exactly as without CORS', async () => {
    const { app, token } = await withKey([ORIGIN]);
    for (const path of DIALECT_PATHS) {
      const other = await app.request(path, preflight('https://evil.example'));
      expect(other.status).toBe(405);
      expect(other.headers.get('access-control-allow-origin')).toBeNull();

      const bare = await app.request(path, { method: 'OPTIONS', headers: { Origin: ORIGIN } });
      expect(bare.status).toBe(405);
      expect(bare.headers.get('access-control-allow-origin')).toBeNull();
    }
    const read = await app.request('/api/v1/agents', { headers: { Origin: 'https://evil.example', Authorization: `Bearer ${token}` } });
    expect(read.status).toBe(200);
    expect(corsHeaders(read)).toEqual(['vary']);
    expect(listOf(read.headers.get('vary'))).toContain('origin');
  });

  it('leaves the probes and the webhooks alone', async () => {
    const { app } = gateway(undefined, [ORIGIN]);
    const probe = await app.request('/healthz', preflight(ORIGIN));
    expect(probe.status).toBe(405);
    expect(probe.headers.get('access-control-allow-origin')).toBeNull();
    const webhook = await app.request('/webhooks/meta', preflight(ORIGIN));
    expect(webhook.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('is wired from CORS_ORIGINS in the real server', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const server = await startServer(childEnv({ DATABASE_URL: join(dir, 'g.db'), GATEWAY_ENCRYPTION_KEY: TEST_KEY, CORS_ORIGINS: ORIGIN }));
    cleanups.push(async () => {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
      await server.exited;
    });
    const res = await fetch(`http://127.0.0.1:${server.port}/api/v1/agents`, preflight(ORIGIN));
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
  }, 60_000);
});
