import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCOPES, type Scope } from '@gateway/core';
import { expectError, instructions, orgWorld, type Call, type OrgWorld } from './helpers';

/**
 * The shared security suite (style.md): every authenticated route, one call per case — no key, a
 * malformed, unknown, revoked or expired key, a key without the route's scope, the legacy
 * x-api-key header instead of Bearer, and another org's ids.
 */
interface Fixture {
  agent: string;
  spareAgent: () => Promise<string>;
  number: string;
  conversation: string;
  theirAgent: string;
  theirNumber: string;
  theirConversation: string;
}

interface RouteCase {
  name: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  scope: Scope;
  path: (f: Fixture) => string | Promise<string>;
  body?: () => unknown;
  /** The same route aimed at another org's object, and the 404 code it must answer. */
  foreign?: { path: (f: Fixture) => string; code: string };
  ok: number;
}

let seq = 0;
const ROUTES: RouteCase[] = [
  { name: 'list agents', method: 'GET', scope: 'agents:read', path: () => '/agents', ok: 200 },
  {
    name: 'create agent',
    method: 'POST',
    scope: 'agents:write',
    path: () => '/agents',
    body: () => ({ handle: `sec${++seq}`, name: 'Sec', instructions }),
    ok: 201,
  },
  {
    name: 'retrieve agent',
    method: 'GET',
    scope: 'agents:read',
    path: (f) => `/agents/${f.agent}`,
    foreign: { path: (f) => `/agents/${f.theirAgent}`, code: 'agent_not_found' },
    ok: 200,
  },
  {
    name: 'update agent',
    method: 'PATCH',
    scope: 'agents:write',
    path: (f) => `/agents/${f.agent}`,
    body: () => ({ description: 'patched' }),
    foreign: { path: (f) => `/agents/${f.theirAgent}`, code: 'agent_not_found' },
    ok: 200,
  },
  {
    name: 'delete agent',
    method: 'DELETE',
    scope: 'agents:delete',
    path: (f) => f.spareAgent().then((id) => `/agents/${id}`),
    foreign: { path: (f) => `/agents/${f.theirAgent}`, code: 'agent_not_found' },
    ok: 200,
  },
  { name: 'list phone numbers', method: 'GET', scope: 'phone_numbers:read', path: () => '/phone_numbers', ok: 200 },
  {
    name: 'retrieve phone number',
    method: 'GET',
    scope: 'phone_numbers:read',
    path: (f) => `/phone_numbers/${f.number}`,
    foreign: { path: (f) => `/phone_numbers/${f.theirNumber}`, code: 'phone_number_not_found' },
    ok: 200,
  },
  { name: 'list conversations', method: 'GET', scope: 'conversations:read', path: () => '/conversations', ok: 200 },
  {
    name: 'retrieve conversation',
    method: 'GET',
    scope: 'conversations:read',
    path: (f) => `/conversations/${f.conversation}`,
    foreign: { path: (f) => `/conversations/${f.theirConversation}`, code: 'conversation_not_found' },
    ok: 200,
  },
  {
    name: 'list conversation messages',
    method: 'GET',
    scope: 'conversations:read',
    path: (f) => `/conversations/${f.conversation}/messages`,
    foreign: { path: (f) => `/conversations/${f.theirConversation}/messages`, code: 'conversation_not_found' },
    ok: 200,
  },
  { name: 'retrieve org', method: 'GET', scope: 'org:read', path: () => '/org', ok: 200 },
];

let w: OrgWorld;
let f: Fixture;

/** Routes that answer without a key, so the security cases do not apply. */
const PUBLIC_ROUTES = ['GET /api/v1', 'GET /api/v1/', 'GET /api/v1/openapi.json'];

/** `GET /api/v1/agents/:id` → `GET /api/v1/agents/:`: parameter names do not matter. */
const shape = (method: string, path: string) => `${method} ${path.replace(/\/:[^/]+/g, '/:')}`;

describe('the security suite covers every route', () => {
  it('every registered org route is a case above, or a public route; and every case is a registered route', async () => {
    const placeholders: Fixture = {
      agent: ':id',
      spareAgent: async () => ':id',
      number: ':id',
      conversation: ':id',
      theirAgent: ':id',
      theirNumber: ':id',
      theirConversation: ':id',
    };
    const registered = new Set(w.app.routes.filter((r) => r.method !== 'ALL').map((r) => shape(r.method, r.path)));
    const cases = await Promise.all(ROUTES.map(async (r) => shape(r.method, `/api/v1${await r.path(placeholders)}`)));
    const covered = new Set([...cases, ...PUBLIC_ROUTES.map((r) => shape(...(r.split(' ') as [string, string])))]);
    expect([...registered].sort()).toEqual([...covered].sort());
  });
});

beforeAll(async () => {
  w = await orgWorld();
  const ctx = w.orgCtx();
  const agent = await w.gw.core.createAgent({ ctx, input: { handle: 'mine', name: 'Mine', instructions, phoneNumberId: w.gw.numbers.alice.id } });
  await w.inbound(w.gw.numbers.alice, '15550001111');
  const conversation = (await w.api.get('/conversations')).body.data[0].id;
  const theirs = await w.gw.core.createAgent({ ctx: w.orgCtx(w.gw.other.id), input: { handle: 'mine', name: 'Theirs', instructions, phoneNumberId: w.gw.numbers.other.id } });
  await w.inbound(w.gw.numbers.other, '15550001111');
  const theirConversation = (await w.api.get('/conversations', { token: w.gw.tokens.other })).body.data[0].id;
  let spare = 0;
  f = {
    agent: agent.id,
    spareAgent: async () => (await w.gw.core.createAgent({ ctx, input: { handle: `spare${++spare}`, name: 'Spare', instructions } })).id,
    number: w.gw.numbers.alice.id,
    conversation,
    theirAgent: theirs.id,
    theirNumber: w.gw.numbers.other.id,
    theirConversation,
  };
});
afterAll(async () => {
  expect(w.gw.unexpected).toEqual([]);
  await w.gw.close();
});

async function send(route: RouteCase, init: Call = {}, path?: string) {
  return w.api.call(route.method, path ?? (await route.path(f)), { ...(route.body ? { body: route.body() } : {}), ...init });
}

describe.each(ROUTES)('security: $method $name', (route) => {
  it('no key → 401 unauthorized, with WWW-Authenticate: Bearer', async () => {
    const res = await send(route, { token: null });
    expectError(res, 401, 'unauthorized');
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('a malformed Authorization header → 401', async () => {
    for (const header of ['Bearer', 'Bearer not-a-key', `Basic ${w.gw.tokens.full}`, `${w.gw.tokens.full}`, `Bearer ${w.gw.tokens.full} extra`, `Bearer ${w.gw.tokens.full.slice(0, -1)}`]) {
      expectError(await send(route, { token: null, headers: { Authorization: header } }), 401, 'unauthorized');
    }
  });

  it('an unknown, revoked or expired key → 401', async () => {
    for (const token of [w.gw.tokens.unknown, w.gw.tokens.revoked, w.gw.tokens.expired]) {
      expectError(await send(route, { token }), 401, 'unauthorized');
    }
  });

  it('the legacy x-api-key header is ignored here → 401', async () => {
    expectError(await send(route, { token: null, headers: { 'x-api-key': w.gw.tokens.full } }), 401, 'unauthorized');
  });

  it('a key with every scope but this one → 403 insufficient_scope, before the body is read', async () => {
    const token = await w.gw.tokens.withScopes(SCOPES.filter((s) => s !== route.scope));
    const res = await send(route, { token });
    expectError(res, 403, 'insufficient_scope');
    expect(res.body.error.message).toContain(route.scope);
    expect(res.headers.get('x-ratelimit-limit')).not.toBeNull();
    if (route.body) expectError(await send(route, { token, raw: '{not json' }), 403, 'insufficient_scope');
  });

  it('a key with only this scope succeeds: no scope implies another', async () => {
    const token = await w.gw.tokens.withScopes([route.scope]);
    const res = await send(route, { token });
    expect(res.status, JSON.stringify(res.body)).toBe(route.ok);
    expect(res.body.meta.request_id).toBe(res.headers.get('x-request-id'));
  });

  it('a key bound to a user acts on the whole org here', async () => {
    const res = await send(route, { token: w.gw.tokens.bob });
    expect(res.status, JSON.stringify(res.body)).toBe(route.ok);
  });

  if (route.foreign) {
    const foreign = route.foreign;
    it(`R11: another org's id → 404 ${foreign.code}`, async () => {
      expectError(await send(route, {}, foreign.path(f)), 404, foreign.code);
      // …and the other org is just as blind to ours.
      expectError(await send(route, { token: w.gw.tokens.other }, await route.path(f)), 404, foreign.code);
    });
  } else if (route.method === 'GET') {
    it("R11: another org's key lists none of this org's objects", async () => {
      const res = await send(route, { token: w.gw.tokens.other });
      const text = JSON.stringify(res.body);
      for (const id of [f.agent, f.number, f.conversation, w.gw.org.id]) expect(text).not.toContain(id);
    });
  }
});

describe('routes that need no key', () => {
  it('the banner, the OpenAPI document and unknown routes answer without a key', async () => {
    expect((await w.api.get('/', { token: null })).status).toBe(200);
    expect((await w.api.get('/openapi.json', { token: null })).status).toBe(200);
    expectError(await w.api.get('/agents/x/y', { token: null }), 404, 'not_found');
  });
});
