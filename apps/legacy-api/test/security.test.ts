import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SCOPES, type Scope } from '@gateway/core';
import { actorOf, expectLegacyError, expectNoUnexpected, legacyWorld, type CallInit, type LegacyWorld } from './helpers';

/**
 * The shared security suite (contract §2, §3, R11): every legacy route, one call per case. Each case
 * fails before the route's own work, so the world is never changed by it.
 */

interface Ids {
  user: string;
  agent: string;
  phone: string;
  conversation: string;
}

interface RouteCase {
  name: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  scope: Scope;
  path: (ids: Ids) => string;
  body?: (ids: Ids) => unknown;
  /** The object the path names beyond the user, and its 404 message. */
  object?: 'Agent not found' | 'Phone number not found' | 'Conversation not found';
}

const ROUTES: RouteCase[] = [
  { name: 'POST agents', method: 'POST', scope: 'agents:write', path: (i) => `/v1/users/${i.user}/agents`, body: (i) => ({ phone_number_id: i.phone, prompt_id: 'p', name: 'N' }) },
  { name: 'GET agents', method: 'GET', scope: 'agents:read', path: (i) => `/v1/users/${i.user}/agents` },
  { name: 'GET agent', method: 'GET', scope: 'agents:read', path: (i) => `/v1/users/${i.user}/agents/${i.agent}`, object: 'Agent not found' },
  { name: 'PATCH agent', method: 'PATCH', scope: 'agents:write', path: (i) => `/v1/users/${i.user}/agents/${i.agent}`, body: () => ({ name: 'Renamed' }), object: 'Agent not found' },
  { name: 'DELETE agent', method: 'DELETE', scope: 'agents:delete', path: (i) => `/v1/users/${i.user}/agents/${i.agent}`, object: 'Agent not found' },
  {
    name: 'POST phone_numbers',
    method: 'POST',
    scope: 'phone_numbers:write',
    path: (i) => `/v1/users/${i.user}/phone_numbers`,
    body: () => ({ platform: 'whatsapp', meta_phone_number_id: '99999999999', access_token: 'EAAG-secret-x' }),
  },
  { name: 'GET phone_numbers', method: 'GET', scope: 'phone_numbers:read', path: (i) => `/v1/users/${i.user}/phone_numbers` },
  { name: 'GET phone_number', method: 'GET', scope: 'phone_numbers:read', path: (i) => `/v1/users/${i.user}/phone_numbers/${i.phone}`, object: 'Phone number not found' },
  {
    name: 'PATCH phone_number',
    method: 'PATCH',
    scope: 'phone_numbers:write',
    path: (i) => `/v1/users/${i.user}/phone_numbers/${i.phone}`,
    body: () => ({ display_name: 'x' }),
    object: 'Phone number not found',
  },
  { name: 'DELETE phone_number', method: 'DELETE', scope: 'phone_numbers:delete', path: (i) => `/v1/users/${i.user}/phone_numbers/${i.phone}`, object: 'Phone number not found' },
  { name: 'GET conversations', method: 'GET', scope: 'conversations:read', path: (i) => `/v1/users/${i.user}/conversations` },
  { name: 'GET conversation', method: 'GET', scope: 'conversations:read', path: (i) => `/v1/users/${i.user}/conversations/${i.conversation}`, object: 'Conversation not found' },
  {
    name: 'GET conversation messages',
    method: 'GET',
    scope: 'conversations:read',
    path: (i) => `/v1/users/${i.user}/conversations/${i.conversation}/messages`,
    object: 'Conversation not found',
  },
];

/** Routes that answer without a key, so the security cases do not apply. */
const PUBLIC_ROUTES = ['GET /v1/openapi.json'];

/** `GET /v1/users/:user_id/agents/:agent_id` → `GET /v1/users/:/agents/:`: parameter names do not matter. */
const shape = (method: string, path: string) => `${method} ${path.replace(/\/:[^/]+/g, '/:')}`;

describe('the security suite covers every route', () => {
  it('every registered legacy route is a case above, or a public route; and every case is a registered route', async () => {
    const placeholders: Ids = { user: ':user_id', agent: ':agent_id', phone: ':id', conversation: ':id' };
    const registered = new Set(w.app.routes.filter((r) => r.method !== 'ALL').map((r) => shape(r.method, r.path)));
    const covered = new Set([...ROUTES.map((r) => shape(r.method, r.path(placeholders))), ...PUBLIC_ROUTES.map((r) => shape(...(r.split(' ') as [string, string])))]);
    expect([...registered].sort()).toEqual([...covered].sort());
  });
});

let w: LegacyWorld;
/** Alice's objects, which every case names. */
let own: Ids;
/** Objects of the other org. */
let foreign: Ids;
/** Objects of Bob, same org. */
let bobs: Ids;

beforeAll(async () => {
  w = await legacyWorld();
  const { gw } = w;

  const makeWorld = async (token: string, userId: string, phoneId: string, meta: string, customer: string): Promise<Ids> => {
    const actor = await actorOf(gw, token, userId);
    const agent = await gw.core.createAgent({ ctx: { actor, uow: gw.uow }, input: { name: `Agent of ${userId}`, promptId: 'p', phoneNumberId: phoneId } });
    const [stored] = await gw.core.recordInboundMessages({
      uow: gw.uow,
      messages: [{ platform: meta === gw.numbers.bob.metaPhoneNumberId ? 'instagram' : 'whatsapp', metaPhoneNumberId: meta, customerId: customer, platformMessageId: `m-${meta}`, type: 'text', text: 'Hi' }],
    });
    if (stored?.outcome !== 'stored') throw new Error('not stored');
    return { user: userId, agent: agent.id, phone: phoneId, conversation: stored.conversationId };
  };
  own = await makeWorld(gw.tokens.full, gw.alice.id, gw.numbers.alice.id, gw.numbers.alice.metaPhoneNumberId, '15550001');
  bobs = await makeWorld(gw.tokens.full, gw.bob.id, gw.numbers.bob.id, gw.numbers.bob.metaPhoneNumberId, '17840001');
  foreign = await makeWorld(gw.tokens.other, gw.carol.id, gw.numbers.other.id, gw.numbers.other.metaPhoneNumberId, '44770001');
});
afterAll(() => w.gw.close());
afterEach(() => expectNoUnexpected(w.gw));

function send(route: RouteCase, ids: Ids, init: CallInit = {}) {
  const body = route.body?.(ids);
  return w.call(route.method, route.path(ids), { ...(body !== undefined ? { json: body } : {}), ...init });
}

describe.each(ROUTES)('security: $name', (route) => {
  it('no key is 401 "Invalid API key"', async () => {
    expectLegacyError(await send(route, own, { token: null }), 401, 'Unauthorized', 'Invalid API key');
  });

  it('a malformed key is 401', async () => {
    for (const token of ['not-a-key', 'sk_live_short', `Bearer ${w.gw.tokens.full}`, '']) {
      expectLegacyError(await send(route, own, { token }), 401, 'Unauthorized', 'Invalid API key');
    }
  });

  it('an unknown key is 401', async () => {
    expectLegacyError(await send(route, own, { token: w.gw.tokens.unknown }), 401, 'Unauthorized', 'Invalid API key');
  });

  it('a revoked key is 401', async () => {
    expectLegacyError(await send(route, own, { token: w.gw.tokens.revoked }), 401, 'Unauthorized', 'Invalid API key');
  });

  it('an expired key is 401', async () => {
    expectLegacyError(await send(route, own, { token: w.gw.tokens.expired }), 401, 'Unauthorized', 'Invalid API key');
  });

  it(`a key without ${route.scope} is 403 "Forbidden", even with every other scope`, async () => {
    const token = await w.gw.tokens.withScopes(SCOPES.filter((s) => s !== route.scope));
    expectLegacyError(await send(route, own, { token }), 403, 'Forbidden', `This API key lacks the ${route.scope} scope`);
  });

  it('a key bound to another user is 404 "User not found"', async () => {
    expectLegacyError(await send(route, own, { token: w.gw.tokens.bob }), 404, 'Not Found', 'User not found');
    expectLegacyError(await send(route, bobs, { token: w.gw.tokens.alice }), 404, 'Not Found', 'User not found');
  });

  it("R11: another org's user, or a key of another org, is 404 \"User not found\"", async () => {
    expectLegacyError(await send(route, { ...own, user: w.gw.carol.id }), 404, 'Not Found', 'User not found');
    expectLegacyError(await send(route, own, { token: w.gw.tokens.other }), 404, 'Not Found', 'User not found');
    expectLegacyError(await send(route, { ...own, user: 'usr_000000000000000000000000' }), 404, 'Not Found', 'User not found');
  });

  const object = route.object;
  if (object !== undefined) {
    it("R11: another org's object (or another user's) under the caller's own user is 404", async () => {
      for (const ids of [
        { ...own, agent: foreign.agent, phone: foreign.phone, conversation: foreign.conversation },
        { ...own, agent: bobs.agent, phone: bobs.phone, conversation: bobs.conversation },
      ]) {
        for (const token of [w.gw.tokens.full, w.gw.tokens.alice]) {
          expectLegacyError(await send(route, ids, { token }), 404, 'Not Found', object);
        }
      }
    });
  }

  // Reads only: a write would change the world the other cases rely on.
  if (route.method === 'GET') {
    it('the key bound to the path user, and an unbound key of the org, both pass', async () => {
      for (const token of [w.gw.tokens.alice, w.gw.tokens.full]) {
        expect((await send(route, own, { token })).status).toBe(200);
      }
    });
  }
});

describe('R11/R12: ids of another org inside a body', () => {
  it("POST agents naming another org's (or another user's) number is 404 \"Phone number not found\"", async () => {
    for (const phone of [foreign.phone, bobs.phone]) {
      const res = await w.call('POST', `/v1/users/${own.user}/agents`, { json: { phone_number_id: phone, prompt_id: 'p', name: 'N' } });
      expectLegacyError(res, 404, 'Not Found', 'Phone number not found');
    }
  });

  it("PATCH agent moving to another org's number is 404 \"Phone number not found\"", async () => {
    const res = await w.call('PATCH', `/v1/users/${own.user}/agents/${own.agent}`, { json: { phone_number_id: foreign.phone } });
    expectLegacyError(res, 404, 'Not Found', 'Phone number not found');
  });
});
