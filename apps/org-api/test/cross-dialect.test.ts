import { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GatewayEnv } from '@gateway/http';
import { createTestGateway, type TestGateway } from '@gateway/http/testing';
import { createLegacyApp } from '@gateway/legacy-api';
import { createOrgApp } from '../src';
import { encodeCursor } from '../src/cursor';
import { expectError, instructions, ISO_MS } from './helpers';

/**
 * Both dialects mounted on one Hono over one world, as the gateway mounts them: one set of agents,
 * numbers and conversations, and rules R1-R4 holding across them.
 */
let gw: TestGateway;
let app: Hono<GatewayEnv>;

beforeEach(async () => {
  gw = await createTestGateway();
  app = new Hono<GatewayEnv>();
  app.route('/', createLegacyApp(gw.services));
  app.route('/', createOrgApp(gw.services));
});
afterEach(async () => {
  expect(gw.unexpected).toEqual([]);
  await gw.close();
});

async function send(method: string, path: string, headers: Record<string, string>, body?: unknown) {
  const res = await app.request(path, {
    method,
    headers: { ...headers, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? null : JSON.parse(text) };
}

/** The org dialect: `Authorization: Bearer`. */
const org = {
  get: (path: string) => send('GET', `/api/v1${path}`, { Authorization: `Bearer ${gw.tokens.full}` }),
  post: (path: string, body: unknown, headers: Record<string, string> = {}) => send('POST', `/api/v1${path}`, { Authorization: `Bearer ${gw.tokens.full}`, ...headers }, body),
  patch: (path: string, body: unknown) => send('PATCH', `/api/v1${path}`, { Authorization: `Bearer ${gw.tokens.full}` }, body),
  delete: (path: string) => send('DELETE', `/api/v1${path}`, { Authorization: `Bearer ${gw.tokens.full}` }),
};

/** The legacy dialect as Alice: `x-api-key`, under `/v1/users/{alice}`. */
const legacy = {
  base: () => `/v1/users/${gw.alice.id}`,
  get: (path: string) => send('GET', `${legacy.base()}${path}`, { 'x-api-key': gw.tokens.full }),
  post: (path: string, body: unknown, headers: Record<string, string> = {}) => send('POST', `${legacy.base()}${path}`, { 'x-api-key': gw.tokens.full, ...headers }, body),
  patch: (path: string, body: unknown) => send('PATCH', `${legacy.base()}${path}`, { 'x-api-key': gw.tokens.full }, body),
  delete: (path: string) => send('DELETE', `${legacy.base()}${path}`, { 'x-api-key': gw.tokens.full }),
};

async function inbound(number: { platform: 'whatsapp' | 'instagram'; metaPhoneNumberId: string }, customerId: string, text = 'Hi') {
  await gw.core.recordInboundMessages({
    uow: gw.uow,
    messages: [{ platform: number.platform, metaPhoneNumberId: number.metaPhoneNumberId, customerId, platformMessageId: `wamid.${Math.random()}`, type: 'text', text }],
  });
}

describe('one set of agents, two dialects', () => {
  it('an agent made in the legacy dialect is read, changed and deleted in the org dialect', async () => {
    const made = await legacy.post('/agents', { phone_number_id: gw.numbers.alice.id, prompt_id: 'pmpt_support_v1', name: 'Customer Support Agent' });
    expect(made.status).toBe(201);
    const id = made.body.agent_id;

    const read = await org.get(`/agents/${id}`);
    expect(read.status).toBe(200);
    expect(read.body.data).toMatchObject({
      id,
      handle: 'customerSupportAgent',
      name: 'Customer Support Agent',
      prompt_id: 'pmpt_support_v1',
      phone_number_id: gw.numbers.alice.id,
      instructions: null,
      instructions_html: null,
      is_active: true,
      color: '#6366f1',
      tools_count: 0,
    });
    expect(read.body.data.created_at).toMatch(ISO_MS);
    // The same instant, printed by each dialect at its own precision.
    expect(read.body.data.created_at.slice(0, 19)).toBe(made.body.created_at.slice(0, 19));
    expect((await org.get('/agents')).body.data.map((a: { id: string }) => a.id)).toEqual([id]);

    const changed = await org.patch(`/agents/${id.slice(6)}`, { name: 'Support', instructions: 'Be kind.', tools: [{ name: 'shopify_get_order', connector_id: 'connector_abc' }] });
    expect(changed.status).toBe(200);
    expect((await legacy.get(`/agents/${id}`)).body).toMatchObject({ agent_id: id, name: 'Support', prompt_id: 'pmpt_support_v1' });

    expect((await org.delete(`/agents/${id}`)).body.data).toEqual({ id, deleted: true });
    expect((await legacy.get(`/agents/${id}`)).status).toBe(404);
    expect((await legacy.delete(`/agents/${id}`)).status).toBe(404);
  });

  it('an agent made in the org dialect is read, changed and deleted in the legacy dialect', async () => {
    const made = await org.post('/agents', { handle: 'wismo', name: 'WISMO', instructions, phone_number_id: gw.numbers.alice.id });
    const id = made.body.data.id;

    const read = await legacy.get(`/agents/${id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual({
      agent_id: id,
      user_id: gw.alice.id,
      phone_number_id: gw.numbers.alice.id,
      prompt_id: null,
      name: 'WISMO',
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
    });
    expect((await legacy.get('/agents')).body.agents.map((a: { agent_id: string }) => a.agent_id)).toEqual([id]);

    expect((await legacy.patch(`/agents/${id}`, { name: 'Where is my order', prompt_id: 'pmpt_wismo' })).status).toBe(200);
    // R4: renaming in the legacy dialect keeps the handle; the org fields it does not know stay.
    expect((await org.get(`/agents/${id}`)).body.data).toMatchObject({ name: 'Where is my order', handle: 'wismo', prompt_id: 'pmpt_wismo', instructions });

    expect((await legacy.delete(`/agents/${id}`)).status).toBe(200);
    expectError(await org.get(`/agents/${id}`), 404, 'agent_not_found');
    expectError(await org.delete(`/agents/${id}`), 404, 'agent_not_found');
  });

  it('a legacy client-chosen agent_id is an agent id in the org dialect too (path, list, cursor, sub_agents)', async () => {
    const made = await legacy.post('/agents', { phone_number_id: gw.numbers.alice.id, prompt_id: 'pmpt_1', name: 'Named', agent_id: 'support-bot_1' });
    expect(made.status).toBe(201);
    expect((await org.get('/agents/support-bot_1')).body.data.id).toBe('support-bot_1');
    const parent = await org.post('/agents', { handle: 'triage', name: 'Triage', instructions, sub_agents: ['support-bot_1'] });
    expect(parent.body.data.sub_agents).toEqual(['support-bot_1']);
    const first = await org.get('/agents?limit=1');
    expect(first.body.data[0].id).toBe(parent.body.data.id);
    const second = await org.get(`/agents?limit=1&cursor=${first.body.meta.next_cursor}`);
    expect(second.body.data[0].id).toBe('support-bot_1');
    expect(second.body.meta.next_cursor).toBeNull();
    expect(encodeCursor('agents', { at: 1, id: 'support-bot_1' })).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('R4: handles are one namespace: a legacy-derived handle blocks the org, and the legacy derivation steps around the org', async () => {
    await legacy.post('/agents', { phone_number_id: gw.numbers.alice.id, prompt_id: 'pmpt_1', name: 'Support Bot' });
    expectError(await org.post('/agents', { handle: 'SUPPORTBOT', name: 'X', instructions }), 409, 'agent_handle_taken');
    await org.post('/agents', { handle: 'salesBot', name: 'Sales', instructions });
    const spare = await legacy.post('/agents', { phone_number_id: gw.numbers.aliceSpare.id, prompt_id: 'pmpt_2', name: 'Sales Bot' });
    expect((await org.get(`/agents/${spare.body.agent_id}`)).body.data.handle).toBe('salesBot2');
  });
});

describe('R1 and R2 across dialects', () => {
  it('R1: a legacy agent holding a number blocks an org create on it (409 phone_number_in_use)', async () => {
    expect((await legacy.post('/agents', { phone_number_id: gw.numbers.alice.id, prompt_id: 'pmpt_1', name: 'Legacy' })).status).toBe(201);
    const res = await org.post('/agents', { handle: 'newer', name: 'Newer', instructions, phone_number_id: gw.numbers.alice.id });
    expectError(res, 409, 'phone_number_in_use');
    // …and an org agent holding a number blocks a legacy create, in the legacy words.
    await org.post('/agents', { handle: 'ig', name: 'IG', instructions, phone_number_id: gw.numbers.aliceSpare.id });
    const blocked = await legacy.post('/agents', { phone_number_id: gw.numbers.aliceSpare.id, prompt_id: 'pmpt_2', name: 'Legacy 2' });
    expect(blocked.status).toBe(409);
    expect(blocked.body.message).toBe('Phone number already has an active agent');
  });

  it('R1: deactivating in the org dialect frees the number for a legacy create; re-activating then conflicts', async () => {
    const a = (await org.post('/agents', { handle: 'first', name: 'First', instructions, phone_number_id: gw.numbers.alice.id })).body.data;
    expect((await org.patch(`/agents/${a.id}`, { is_active: false, deactivated_reason: 'replaced by legacy' })).body.data.is_active).toBe(false);
    const b = await legacy.post('/agents', { phone_number_id: gw.numbers.alice.id, prompt_id: 'pmpt_1', name: 'Second' });
    expect(b.status).toBe(201);
    expectError(await org.patch(`/agents/${a.id}`, { is_active: true }), 409, 'phone_number_in_use');
    // Once the legacy agent is deleted, re-activation works.
    expect((await legacy.delete(`/agents/${b.body.agent_id}`)).status).toBe(200);
    expect((await org.patch(`/agents/${a.id}`, { is_active: true })).body.data).toMatchObject({ is_active: true, deactivated_at: null, deactivated_reason: null });
  });

  it('R2: archival by an org takeover is visible in both dialects', async () => {
    const old = await legacy.post('/agents', { phone_number_id: gw.numbers.alice.id, prompt_id: 'pmpt_1', name: 'Old' });
    await inbound(gw.numbers.alice, '15550001111');
    await inbound(gw.numbers.alice, '15550002222');
    await org.patch(`/agents/${old.body.agent_id}`, { is_active: false });
    const fresh = (await org.post('/agents', { handle: 'fresh', name: 'Fresh', instructions, phone_number_id: gw.numbers.alice.id })).body.data;

    const orgView = (await org.get(`/conversations?agent_id=${old.body.agent_id}`)).body.data;
    expect(orgView).toHaveLength(2);
    for (const c of orgView) expect(c).toMatchObject({ status: 'archived', archive_reason: 'agent_replaced', archived_at: expect.stringMatching(ISO_MS) });
    const legacyView = (await legacy.get(`/conversations?agent_id=${old.body.agent_id}`)).body.conversations;
    expect(legacyView.map((c: { conversation_id: string; status: string }) => [c.conversation_id, c.status]).sort()).toEqual(
      orgView.map((c: { id: string }) => [c.id, 'archived']).sort(),
    );
    // The archived conversations keep their messages, readable in both.
    const conv = orgView[0].id;
    expect((await org.get(`/conversations/${conv}/messages`)).body.data[0]).toMatchObject({ role: 'user', content: 'Hi' });
    expect((await legacy.get(`/conversations/${conv}/messages`)).body.messages[0]).toMatchObject({ sender: 'user', text: 'Hi' });

    // The next message starts a new conversation with the new agent, seen by both.
    await inbound(gw.numbers.alice, '15550001111', 'Again');
    const active = (await org.get('/conversations?status=active')).body.data;
    expect(active.map((c: { agent_id: string }) => c.agent_id)).toEqual([fresh.id]);
    expect((await legacy.get('/conversations?status=active')).body.conversations[0].agent_id).toBe(fresh.id);
  });

  it('R2: archival by a legacy takeover is visible in the org dialect', async () => {
    const a = (await org.post('/agents', { handle: 'orgAgent', name: 'Org', instructions, phone_number_id: gw.numbers.alice.id })).body.data;
    await inbound(gw.numbers.alice, '15550001111');
    await legacy.delete(`/agents/${a.id}`);
    await legacy.post('/agents', { phone_number_id: gw.numbers.alice.id, prompt_id: 'pmpt_1', name: 'Legacy' });
    const conv = (await org.get('/conversations')).body.data[0];
    expect(conv).toMatchObject({ agent_id: a.id, status: 'archived', archive_reason: 'agent_replaced' });
  });
});

describe('one key store, two transports', () => {
  it('each dialect takes its own header only', async () => {
    expectError(await send('GET', '/api/v1/agents', { 'x-api-key': gw.tokens.full }), 401, 'unauthorized');
    const legacyWithBearer = await send('GET', `/v1/users/${gw.alice.id}/agents`, { Authorization: `Bearer ${gw.tokens.full}` });
    expect(legacyWithBearer.status).toBe(401);
    expect(legacyWithBearer.body.error).toBe('Unauthorized');
  });

  it('an Idempotency-Key is scoped to the API key across dialects: its fingerprint includes the path', async () => {
    const headers = { 'Idempotency-Key': 'one-key-two-dialects' };
    expect((await legacy.post('/agents', { phone_number_id: gw.numbers.alice.id, prompt_id: 'pmpt_1', name: 'L' }, headers)).status).toBe(201);
    expectError(await org.post('/agents', { handle: 'o', name: 'O', instructions }, headers), 409, 'idempotency_key_reused');
  });

  it('the org error shape stays in /api/v1 and the legacy one in /v1', async () => {
    expectError(await send('GET', '/api/v1/nope', {}), 404, 'not_found');
    const legacyMiss = await send('GET', '/v1/nope', {});
    expect(legacyMiss.status).toBe(404);
    expect(legacyMiss.body).toMatchObject({ error: 'Not Found', correlation_id: legacyMiss.headers.get('x-request-id') });
  });
});
