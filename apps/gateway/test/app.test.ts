import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SCOPES } from '@gateway/core';
import { createMemoryUnitOfWork } from '@gateway/core/testing';
import { createGatewayApp, type Readiness } from '../src/app';
import { buildServices } from '../src/compose';
import { parseConfig } from '../src/config';
import { openGatewayStorage } from '../src/storage';
import { capturingLogger, tempDir, TEST_KEY } from './helpers';

const config = parseConfig({});

function gateway(readiness: Readiness = { ready: async () => true }) {
  const log = capturingLogger();
  const services = buildServices(config, { uow: createMemoryUnitOfWork() }, log.logger);
  const app = createGatewayApp({ services, storage: readiness, logger: log.logger });
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
