import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StorageError, type Core } from '@gateway/core';
import { MAX_BODY_BYTES } from '@gateway/http';
import { agentsInDb, appWith, client, expectLegacyError, expectNoUnexpected, legacyWorld, type LegacyWorld } from './helpers';

/** Contract §2 and §7: bodies, media types, routes, headers, and failures that are nobody's fault. */

let w: LegacyWorld;
beforeAll(async () => {
  w = await legacyWorld();
});
afterAll(() => w.gw.close());
afterEach(() => expectNoUnexpected(w.gw));

/** A create body padded with an ignored field to exactly `bytes` bytes. */
function paddedBody(phoneId: string, bytes: number): string {
  const head = JSON.stringify({ phone_number_id: phoneId, prompt_id: 'p', name: 'Big', padding: '' });
  return head.replace('"padding":""', `"padding":"${'x'.repeat(bytes - head.length)}"`);
}

describe('bodies', () => {
  it('a body that is not JSON by its media type is 415', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const res = await w.call('POST', `${w.paths.alice}/agents`, { raw: '{}', headers: { 'content-type': type } });
      expectLegacyError(res, 415, 'Unsupported Media Type', 'Content-Type must be application/json');
    }
    expectLegacyError(await w.call('POST', `${w.paths.alice}/agents`, { raw: '{}' }), 415, 'Unsupported Media Type', 'Content-Type must be application/json');
  });

  it('application/json with a charset is JSON', async () => {
    const number = await w.gw.addNumber(w.gw.alice.id, '70000000001');
    const res = await w.call('POST', `${w.paths.alice}/agents`, {
      raw: JSON.stringify({ phone_number_id: number.id, prompt_id: 'p', name: 'Charset' }),
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(res.status).toBe(201);
  });

  it('malformed JSON is 400', async () => {
    for (const raw of ['{"name": ', '', 'nope', "{'a': 1}"]) {
      const res = await w.call('POST', `${w.paths.alice}/agents`, { raw, headers: { 'content-type': 'application/json' } });
      expectLegacyError(res, 400, 'Validation error', 'Request body is not valid JSON');
    }
  });

  it('a body of exactly 1 MiB is accepted; one byte more is 413', async () => {
    const number = await w.gw.addNumber(w.gw.alice.id, '70000000002');
    const exact = paddedBody(number.id, MAX_BODY_BYTES);
    expect(Buffer.byteLength(exact)).toBe(1024 * 1024);
    const over = paddedBody(number.id, MAX_BODY_BYTES + 1);
    expect(Buffer.byteLength(over)).toBe(1024 * 1024 + 1);

    const tooBig = await w.call('POST', `${w.paths.alice}/agents`, { raw: over, headers: { 'content-type': 'application/json' } });
    expectLegacyError(tooBig, 413, 'Payload Too Large', 'Request body must be at most 1 MiB');
    const declared = await w.call('POST', `${w.paths.alice}/agents`, {
      raw: over,
      headers: { 'content-type': 'application/json', 'content-length': String(MAX_BODY_BYTES + 1) },
    });
    expectLegacyError(declared, 413, 'Payload Too Large', 'Request body must be at most 1 MiB');
    expect((await agentsInDb(w.gw)).filter((a) => a.phoneNumberId === number.id)).toHaveLength(0);

    const fits = await w.call('POST', `${w.paths.alice}/agents`, { raw: exact, headers: { 'content-type': 'application/json' } });
    expect(fits.status).toBe(201);
    expect(fits.body.name).toBe('Big');
  });
});

describe('routes', () => {
  it('an unknown route is 404 "Not Found" without asking for a key', async () => {
    for (const path of ['/v1/nowhere', '/v1/users', `${w.paths.alice}/widgets`, `${w.paths.alice}/agents/a/b/c`, '/v1']) {
      const res = await w.call('GET', path, { token: null });
      expectLegacyError(res, 404, 'Not Found', `Route GET ${path} not found`);
    }
  });

  it('a trailing slash is another path: 404, not a 405 that allows the very method used', async () => {
    for (const method of ['GET', 'PUT']) {
      const path = `${w.paths.alice}/agents/`;
      expectLegacyError(await w.call(method, path, { token: null }), 404, 'Not Found', `Route ${method} ${path} not found`);
    }
  });

  it('a wrong method is 405 "Method Not Allowed" with Allow, without asking for a key', async () => {
    const cases: [string, string, string][] = [
      ['PUT', `${w.paths.alice}/agents`, 'POST, GET, HEAD'],
      ['DELETE', `${w.paths.alice}/agents`, 'POST, GET, HEAD'],
      ['POST', `${w.paths.alice}/agents/agent_x`, 'GET, PATCH, DELETE, HEAD'],
      ['PUT', `${w.paths.alice}/phone_numbers/pn_x`, 'GET, PATCH, DELETE, HEAD'],
      ['POST', `${w.paths.alice}/conversations`, 'GET, HEAD'],
      ['DELETE', `${w.paths.alice}/conversations/conv_x/messages`, 'GET, HEAD'],
    ];
    for (const [method, path, allow] of cases) {
      const res = await w.call(method, path, { token: null });
      expectLegacyError(res, 405, 'Method Not Allowed', `Method ${method} is not allowed on ${path}`);
      expect(res.headers.get('allow')?.split(', ').sort()).toEqual(allow.split(', ').sort());
    }
  });

  it('GET /v1/openapi.json describes every legacy route (OpenAPI 3.1), without a key', async () => {
    const res = await w.call('GET', '/v1/openapi.json', { token: null });
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toEqual({
      title: expect.any(String),
      version: expect.any(String),
      description: expect.any(String),
      contact: { name: expect.any(String) },
      license: { name: expect.any(String), identifier: expect.any(String) },
    });
    expect(doc.components.securitySchemes).toEqual({ ApiKeyAuth: { type: 'apiKey', in: 'header', name: 'x-api-key', description: expect.any(String) } });
    const operations = Object.entries(doc.paths as Record<string, Record<string, { security: unknown; responses: Record<string, unknown> }>>).flatMap(
      ([path, methods]) => Object.entries(methods).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, op })),
    );
    expect(operations.map((o) => o.route).sort()).toEqual(
      [
        'POST /v1/users/{user_id}/agents',
        'GET /v1/users/{user_id}/agents',
        'GET /v1/users/{user_id}/agents/{agent_id}',
        'PATCH /v1/users/{user_id}/agents/{agent_id}',
        'DELETE /v1/users/{user_id}/agents/{agent_id}',
        'POST /v1/users/{user_id}/phone_numbers',
        'GET /v1/users/{user_id}/phone_numbers',
        'GET /v1/users/{user_id}/phone_numbers/{id}',
        'PATCH /v1/users/{user_id}/phone_numbers/{id}',
        'DELETE /v1/users/{user_id}/phone_numbers/{id}',
        'GET /v1/users/{user_id}/conversations',
        'GET /v1/users/{user_id}/conversations/{id}',
        'GET /v1/users/{user_id}/conversations/{id}/messages',
      ].sort(),
    );
    for (const { op } of operations) {
      expect(op.security).toEqual([{ ApiKeyAuth: [] }]);
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['400', '401', '403', '404', '429', '500']));
    }
    expect(doc.components.schemas.PhoneNumber.properties).not.toHaveProperty('access_token');
  });
});

describe('headers', () => {
  it('every answer carries X-Request-ID and X-Correlation-ID, no-store, nosniff, and no framework banner', async () => {
    for (const res of [
      await w.call('GET', `${w.paths.alice}/agents`),
      await w.call('GET', `${w.paths.alice}/agents`, { token: null }),
      await w.call('GET', '/v1/nowhere', { token: null }),
      await w.call('GET', '/v1/openapi.json', { token: null }),
    ]) {
      expect(res.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{16}$/);
      expect(res.headers.get('x-correlation-id')).toBe(res.headers.get('x-request-id'));
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-powered-by')).toBeNull();
      expect(res.headers.get('server')).toBeNull();
    }
  });

  it('a well-formed incoming X-Request-ID is adopted and becomes the correlation_id; a malformed one is replaced', async () => {
    const adopted = await w.call('GET', `${w.paths.alice}/agents/agent_missing`, { headers: { 'X-Request-ID': 'client-trace:42.a_b-c' } });
    expectLegacyError(adopted, 404, 'Not Found', 'Agent not found');
    expect(adopted.body.correlation_id).toBe('client-trace:42.a_b-c');
    const replaced = await w.call('GET', `${w.paths.alice}/agents/agent_missing`, { headers: { 'X-Request-ID': 'bad id with spaces' } });
    expect(replaced.body.correlation_id).toMatch(/^req_[0-9a-f]{16}$/);
    const long = await w.call('GET', `${w.paths.alice}/agents/agent_missing`, { headers: { 'X-Request-ID': 'a'.repeat(129) } });
    expect(long.body.correlation_id).toMatch(/^req_[0-9a-f]{16}$/);
  });
});

describe('unexpected failures', () => {
  it('an unexpected error is 500 with a generic message, reported with the request id, never shown', async () => {
    const core: Core = {
      ...w.gw.core,
      getAgent: async () => {
        throw new Error('SELECT * FROM agents exploded at /srv/secret/path.ts:42');
      },
    };
    const call = client(appWith(w.gw, { core }), w.gw.tokens.full);
    const res = await call('GET', `${w.paths.alice}/agents/agent_x`);
    expectLegacyError(res, 500, 'Internal Server Error', 'An unexpected error occurred. Please try again later.');
    expect(res.text).not.toMatch(/SELECT|secret|\.ts|at /);
    expect(w.gw.unexpected).toHaveLength(1);
    expect(w.gw.unexpected[0]?.requestId).toBe(res.headers.get('x-request-id'));
    expect(String(w.gw.unexpected[0]?.error)).toContain('exploded');
    w.gw.unexpected.length = 0;
  });

  it('storage that is momentarily unavailable is 503 "Service Unavailable" with Retry-After', async () => {
    const core: Core = {
      ...w.gw.core,
      listAgents: async () => {
        throw new StorageError('unavailable', 'Storage is busy (SQLITE_BUSY)', { cause: Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }) });
      },
    };
    const call = client(appWith(w.gw, { core }), w.gw.tokens.full);
    const res = await call('GET', `${w.paths.alice}/agents`);
    expectLegacyError(res, 503, 'Service Unavailable', 'The service is temporarily unavailable. Please retry shortly.');
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.text).not.toContain('locked');
    expect(w.gw.unexpected).toHaveLength(1);
    w.gw.unexpected.length = 0;
  });
});

describe('R1 under concurrency', () => {
  it('30 concurrent creates on one free phone number: exactly one 201, the rest 409', async () => {
    const number = await w.gw.addNumber(w.gw.alice.id, '70000000030');
    const replies = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        w.call('POST', `${w.paths.alice}/agents`, { json: { phone_number_id: number.id, prompt_id: `prompt_${i}`, name: `Racer ${i}` } }),
      ),
    );
    expect(replies.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of replies.filter((r) => r.status !== 201)) {
      expectLegacyError(r, 409, 'Conflict', 'Phone number already has an active agent');
    }
    expect((await agentsInDb(w.gw)).filter((a) => a.phoneNumberId === number.id)).toHaveLength(1);
  });
});
