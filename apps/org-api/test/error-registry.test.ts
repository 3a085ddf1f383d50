import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StorageError } from '@gateway/core';
import type { GatewayServices } from '@gateway/http';
import { createOrgApp } from '../src';
import { ORG_ERROR_CODES, ORG_ERROR_STATUS, type OrgErrorCode } from '../src/errors';
import { expectError, expectInvalid, instructions, orgWorld, wismoBody, type Answer, type OrgWorld } from './helpers';

let w: OrgWorld;
beforeEach(async () => {
  w = await orgWorld();
});
afterEach(async () => {
  expect(w.gw.unexpected).toEqual([]);
  await w.gw.close();
});

/** Codes a test below produced, checked against the registry at the end. */
const produced = new Set<OrgErrorCode>();
function expectCode(res: Answer, code: OrgErrorCode) {
  expectError(res, ORG_ERROR_STATUS[code], code);
  produced.add(code);
  return res;
}

describe('the error registry of contract §4, code by code', () => {
  it('400 invalid_json: malformed JSON', async () => {
    for (const raw of ['{"handle":', '{handle: "x"}', '', "{'a':1}"]) expectCode(await w.api.call('POST', '/agents', { raw }), 'invalid_json');
  });

  it('401 unauthorized', async () => {
    expectCode(await w.api.get('/agents', { token: null }), 'unauthorized');
  });

  it('403 insufficient_scope', async () => {
    expectCode(await w.api.get('/agents', { token: await w.gw.tokens.withScopes(['agents:write']) }), 'insufficient_scope');
  });

  it('404 agent_not_found, conversation_not_found, phone_number_not_found, not_found (route)', async () => {
    expectCode(await w.api.get('/agents/agent_000000000000000000000000'), 'agent_not_found');
    expectCode(await w.api.get('/conversations/conv_000000000000000000000000'), 'conversation_not_found');
    expectCode(await w.api.get('/phone_numbers/pn_000000000000000000000000'), 'phone_number_not_found');
    for (const path of ['/nope', '/agents/x/y', '/users/usr_1/agents', '/Agents']) {
      const res = expectCode(await w.api.get(path, { token: null }), 'not_found');
      expect(res.body.error.message).toContain(path);
    }
  });

  it('405 method_not_allowed, with Allow, without asking for a key', async () => {
    const cases: [string, string, string][] = [
      ['PUT', '/agents', 'GET, POST, HEAD'],
      ['DELETE', '/agents', 'GET, POST, HEAD'],
      ['POST', '/agents/agent_000000000000000000000000', 'GET, PATCH, DELETE, HEAD'],
      ['POST', '/org', 'GET, HEAD'],
      ['PATCH', '/conversations/conv_1/messages', 'GET, HEAD'],
    ];
    for (const [method, path, allow] of cases) {
      const res = expectCode(await w.api.call(method, path, { token: null }), 'method_not_allowed');
      expect(res.headers.get('allow')).toBe(allow);
    }
  });

  it('409 agent_handle_taken and phone_number_in_use', async () => {
    await w.api.post('/agents', { ...wismoBody(), phone_number_id: w.gw.numbers.alice.id });
    expectCode(await w.api.post('/agents', { ...wismoBody(), handle: 'Wismo' }), 'agent_handle_taken');
    expectCode(await w.api.post('/agents', { ...wismoBody(), handle: 'other', phone_number_id: w.gw.numbers.alice.id }), 'phone_number_in_use');
  });

  it('409 idempotency_key_reused: the same key with another body, path or method', async () => {
    const key = { 'Idempotency-Key': 'order-7f3c' };
    const agent = (await w.api.post('/agents', wismoBody(), { headers: key })).body.data;
    expectCode(await w.api.post('/agents', { ...wismoBody(), name: 'Other' }, { headers: key }), 'idempotency_key_reused');
    expectCode(await w.api.patch(`/agents/${agent.id}`, wismoBody(), { headers: key }), 'idempotency_key_reused');
  });

  it('409 idempotency_key_in_use: the same key while the first request is still running', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const core = w.gw.services.core;
    const slow: GatewayServices = {
      ...w.gw.services,
      core: {
        ...core,
        createAgent: async (args) => {
          started();
          await gate;
          return core.createAgent(args);
        },
      },
    };
    const app = createOrgApp(slow);
    const post = () =>
      app.request('/api/v1/agents', {
        method: 'POST',
        headers: { Authorization: `Bearer ${w.gw.tokens.full}`, 'Content-Type': 'application/json', 'Idempotency-Key': 'slow-1' },
        body: JSON.stringify(wismoBody()),
      });
    const first = post();
    await running;
    const second = await post();
    const body = (await second.json()) as Answer['body'];
    expectCode({ status: second.status, body, headers: second.headers }, 'idempotency_key_in_use');
    release();
    expect((await first).status).toBe(201);
    // Once it is done, the same request replays.
    const replay = await post();
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
  });

  it('413 payload_too_large: one byte over 1 MiB; exactly 1 MiB passes the size gate', async () => {
    const shell = JSON.stringify({ handle: 'big', name: 'Big', instructions: '' });
    const exact = shell.replace('"instructions":""', `"instructions":"${'x'.repeat(1024 * 1024 - shell.length)}"`);
    expect(Buffer.byteLength(exact)).toBe(1024 * 1024);
    expectInvalid(await w.api.call('POST', '/agents', { raw: exact }), ['instructions']);
    const over = exact.replace('"x', '"xx');
    expectCode(await w.api.call('POST', '/agents', { raw: over }), 'payload_too_large');
  });

  it('415 unsupported_media_type: a body that is not declared JSON', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonp']) {
      expectCode(await w.api.call('POST', '/agents', { raw: JSON.stringify(wismoBody()), headers: { 'Content-Type': type } }), 'unsupported_media_type');
    }
    // A type the shared body reader takes but the route's media-type gate does not: still 415, not 500.
    expectCode(await w.api.call('POST', '/agents', { raw: JSON.stringify(wismoBody()), headers: { 'Content-Type': 'application/json ; charset=utf-8' } }), 'unsupported_media_type');
    const res = await w.app.request('/api/v1/agents', { method: 'POST', headers: { Authorization: `Bearer ${w.gw.tokens.full}` }, body: JSON.stringify(wismoBody()) });
    expect(res.status).toBe(415);
    // JSON with parameters or a +json suffix is JSON.
    for (const type of ['application/json; charset=utf-8', 'application/merge-patch+json']) {
      expect((await w.api.call('POST', '/agents', { body: { ...wismoBody(), handle: `h${type.length}` }, headers: { 'Content-Type': type } })).status).toBe(201);
    }
  });

  it('422 validation_failed: body, query and the Idempotency-Key header are named', async () => {
    expectCode(await w.api.post('/agents', { name: 'No handle', instructions }), 'validation_failed');
    expectCode(await w.api.get('/agents?limit=500'), 'validation_failed');
    for (const key of ['', 'k'.repeat(129), 'naïve', 'tab\there']) {
      const res = expectCode(await w.api.post('/agents', wismoBody(), { headers: { 'Idempotency-Key': key } }), 'validation_failed');
      expect(res.body.error.details).toEqual([{ field: 'Idempotency-Key', message: 'Idempotency-Key must be 1-128 printable ASCII characters' }]);
    }
  });

  it('429 rate_limited: over the per-key window, with Retry-After and the rate-limit headers', async () => {
    const limited = await orgWorld({ orgLimits: { perMinute: 3, perHour: 100 } });
    try {
      for (let i = 0; i < 3; i++) {
        const res = await limited.api.get('/agents');
        expect(res.status).toBe(200);
        expect(res.headers.get('x-ratelimit-limit')).toBe('3');
        expect(res.headers.get('x-ratelimit-remaining')).toBe(String(2 - i));
        expect(res.headers.get('ratelimit-policy')).toBe('"minute";q=3;w=60, "hour";q=100;w=3600');
      }
      const res = expectCode(await limited.api.get('/agents'), 'rate_limited');
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(Number(res.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
      // Limits are per key: another key of the same org is not held back.
      expect((await limited.api.get('/agents', { token: limited.gw.tokens.alice })).status).toBe(200);
      expect(limited.gw.unexpected).toEqual([]);
    } finally {
      await limited.gw.close();
    }
  });

  it('429 rate_limited: repeated failed authentications from one address; a valid key is not affected', async () => {
    const guarded = await orgWorld({ authFailuresPerMinute: 2 });
    try {
      expectError(await guarded.api.get('/agents', { token: guarded.gw.tokens.unknown }), 401, 'unauthorized');
      expectError(await guarded.api.get('/agents', { token: null }), 401, 'unauthorized');
      const res = expectCode(await guarded.api.get('/agents', { token: guarded.gw.tokens.revoked }), 'rate_limited');
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await guarded.api.get('/agents')).status).toBe(200);
    } finally {
      await guarded.gw.close();
    }
  });

  it('500 internal_error: a failing store is reported with the request id and answered generically', async () => {
    const boom = new Error('SQLITE_IOERR: disk I/O error at /var/lib/gateway/gateway.db');
    const broken: GatewayServices = { ...w.gw.services, uow: { read: () => Promise.reject(boom), write: () => Promise.reject(boom) } };
    const app = createOrgApp(broken);
    const res = await app.request('/api/v1/agents', { headers: { Authorization: `Bearer ${w.gw.tokens.full}`, 'X-Request-ID': 'req_broken_store_1' } });
    const body = (await res.json()) as Answer['body'];
    expectCode({ status: res.status, body, headers: res.headers }, 'internal_error');
    const text = JSON.stringify(body);
    for (const leak of ['SQLITE', 'disk', '/var/lib', 'Error:', 'at ']) expect(text).not.toContain(leak);
    expect(w.gw.unexpected).toEqual([{ error: boom, requestId: 'req_broken_store_1' }]);
    w.gw.unexpected.length = 0;
  });

  it('503 service_unavailable: storage that is busy for a moment (SQLite locked, PostgreSQL going away), with Retry-After', async () => {
    for (const code of ['SQLITE_BUSY', 'ECONNREFUSED', '57P01']) {
      const busy = new StorageError('unavailable', `Storage is unavailable (${code})`, {
        cause: Object.assign(new Error(`${code}: database is locked`), { code }),
      });
      const app = createOrgApp({ ...w.gw.services, uow: { read: () => Promise.reject(busy), write: () => Promise.reject(busy) } });
      const res = await app.request('/api/v1/org', { headers: { Authorization: `Bearer ${w.gw.tokens.full}` } });
      const body = (await res.json()) as Answer['body'];
      expectCode({ status: res.status, body, headers: res.headers }, 'service_unavailable');
      expect(res.headers.get('retry-after')).toBe('1');
      expect(JSON.stringify(body)).not.toContain(code);
    }
    // Still reported: an operator wants to know the database was busy.
    expect(w.gw.unexpected).toHaveLength(3);
    w.gw.unexpected.length = 0;
  });

  it('500 internal_error inside an idempotent write releases the key: the retry runs', async () => {
    let fail = true;
    const core = w.gw.services.core;
    const flaky: GatewayServices = {
      ...w.gw.services,
      core: {
        ...core,
        createAgent: async (args) => {
          if (fail) throw new TypeError('cannot read properties of undefined');
          return core.createAgent(args);
        },
      },
    };
    const app = createOrgApp(flaky);
    const post = () =>
      app.request('/api/v1/agents', {
        method: 'POST',
        headers: { Authorization: `Bearer ${w.gw.tokens.full}`, 'Content-Type': 'application/json', 'Idempotency-Key': 'retry-me' },
        body: JSON.stringify(wismoBody()),
      });
    expect((await post()).status).toBe(500);
    expect(w.gw.unexpected).toHaveLength(1);
    w.gw.unexpected.length = 0;
    fail = false;
    const retry = await post();
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
  });
});

afterAll(() => {
  expect([...produced].sort()).toEqual([...ORG_ERROR_CODES].sort());
});

describe('Idempotency-Key (contract §2)', () => {
  it('a retry replays the stored status and body, changes nothing, and marks itself', async () => {
    const headers = { 'Idempotency-Key': '3f1c9f8e-0b7a-4a52-9a55-bf3f7c4f8d10' };
    const first = await w.api.post('/agents', wismoBody(), { headers });
    const replay = await w.api.post('/agents', wismoBody(), { headers });
    expect(first.status).toBe(201);
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(first.body);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    // The stored body keeps its original request id; the header carries the new one.
    expect(replay.headers.get('x-request-id')).not.toBe(first.headers.get('x-request-id'));
    expect(replay.body.meta.request_id).toBe(first.headers.get('x-request-id'));
    expect((await w.api.get('/agents')).body.data).toHaveLength(1);
  });

  it('keys are scoped to the API key: another key may use the same one', async () => {
    const headers = { 'Idempotency-Key': 'shared-key' };
    expect((await w.api.post('/agents', wismoBody(), { headers })).status).toBe(201);
    const other = await w.api.post('/agents', { ...wismoBody(), handle: 'second' }, { headers, token: w.gw.tokens.alice });
    expect(other.status).toBe(201);
    expect(other.headers.get('idempotent-replayed')).toBeNull();
  });

  it('PATCH replays too; a failed request is not stored and releases the key', async () => {
    const agent = (await w.api.post('/agents', wismoBody())).body.data;
    const headers = { 'Idempotency-Key': 'patch-1' };
    expectInvalid(await w.api.patch(`/agents/${agent.id}`, { color: 'red' }, { headers }), ['color']);
    const fixed = await w.api.patch(`/agents/${agent.id}`, { color: '#ff0000' }, { headers });
    expect(fixed.status).toBe(200);
    await w.api.patch(`/agents/${agent.id}`, { color: '#00ff00' });
    const replay = await w.api.patch(`/agents/${agent.id}`, { color: '#ff0000' }, { headers });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body.data.color).toBe('#ff0000');
    expect((await w.api.get(`/agents/${agent.id}`)).body.data.color).toBe('#00ff00');
  });

  it('two concurrent identical requests under one key: one 201, the other 409 idempotency_key_in_use or a replay', async () => {
    const headers = { 'Idempotency-Key': 'concurrent-1' };
    const results = await Promise.all([w.api.post('/agents', wismoBody(), { headers }), w.api.post('/agents', wismoBody(), { headers })]);
    const created = results.filter((r) => r.status === 201 && r.headers.get('idempotent-replayed') === null);
    expect(created).toHaveLength(1);
    const other = results.find((r) => r !== created[0]) as Answer;
    if (other.status === 409) expect(other.body.error.code).toBe('idempotency_key_in_use');
    else expect(other.headers.get('idempotent-replayed')).toBe('true');
    expect((await w.api.get('/agents')).body.data).toHaveLength(1);
  });

  it('GET and DELETE ignore the header', async () => {
    const agent = (await w.api.post('/agents', wismoBody())).body.data;
    const headers = { 'Idempotency-Key': 'ignored' };
    expect((await w.api.get('/agents', { headers })).headers.get('idempotent-replayed')).toBeNull();
    expect((await w.api.delete(`/agents/${agent.id}`, { headers })).status).toBe(200);
    expectError(await w.api.delete(`/agents/${agent.id}`, { headers }), 404, 'agent_not_found');
  });
});

describe('response headers', () => {
  it('every response, success or error, has X-Request-ID, Cache-Control: no-store, nosniff, and no framework banner', async () => {
    for (const res of [await w.api.get('/agents'), await w.api.get('/nope', { token: null }), await w.api.post('/agents', {})]) {
      expect(res.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{16}$/);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-powered-by')).toBeNull();
      expect(res.headers.get('x-correlation-id')).toBeNull();
    }
  });

  it('an incoming X-Request-ID of at most 128 [A-Za-z0-9._:-] is adopted; anything else is replaced', async () => {
    const good = 'trace:abc.DEF_123-x';
    expect((await w.api.get('/agents', { headers: { 'X-Request-ID': good } })).headers.get('x-request-id')).toBe(good);
    for (const bad of ['has space', 'x'.repeat(129), 'semi;colon']) {
      const res = await w.api.get('/agents', { headers: { 'X-Request-ID': bad } });
      expect(res.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{16}$/);
      expect(res.body.meta.request_id).toBe(res.headers.get('x-request-id'));
    }
  });
});
