import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Message } from '@gateway/core';
import { randomIds } from '@gateway/platform';
import { ConversationSchema, MessageSchema } from '../src/schemas/conversations';
import { OrgSchema } from '../src/schemas/org';
import { PhoneNumberSchema } from '../src/schemas/phone-numbers';
import { expectError, instructions, ISO_MS, orgWorld, type OrgWorld } from './helpers';

let w: OrgWorld;
beforeEach(async () => {
  w = await orgWorld();
});
afterEach(async () => {
  expect(w.gw.unexpected).toEqual([]);
  await w.gw.close();
});

describe('GET /api/v1/ (banner)', () => {
  it('needs no key and is wrapped like every success, with or without the trailing slash', async () => {
    for (const path of ['/', '']) {
      const res = await w.api.get(path, { token: null });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        data: { name: 'Agents Gateway API', version: '1.0.0', docs: '/api/v1/openapi.json' },
        meta: { request_id: res.headers.get('x-request-id') },
      });
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-ratelimit-limit')).toBeNull();
    }
  });
});

describe('GET /api/v1/phone_numbers', () => {
  it("lists every number of the org with its user_id, and never the access token", async () => {
    const res = await w.api.get('/phone_numbers', { token: w.gw.tokens.bob });
    expect(res.status).toBe(200);
    const ids = res.body.data.map((p: { id: string }) => p.id).sort();
    expect(ids).toEqual([w.gw.numbers.alice.id, w.gw.numbers.aliceSpare.id, w.gw.numbers.bob.id].sort());
    const alice = res.body.data.find((p: { id: string }) => p.id === w.gw.numbers.alice.id);
    expect(alice).toEqual({
      id: w.gw.numbers.alice.id,
      user_id: w.gw.alice.id,
      platform: 'whatsapp',
      meta_phone_number_id: '106540352242922',
      display_name: '+1 555 0100',
      waba_id: '102290129340398',
      created_at: expect.stringMatching(ISO_MS),
      updated_at: expect.stringMatching(ISO_MS),
    });
    const text = JSON.stringify(res.body);
    expect(text).not.toMatch(/secret|access_token|EAAG|IGQ/);
    for (const p of res.body.data) expect(PhoneNumberSchema.strict().safeParse(p).success).toBe(true);
  });

  it('retrieves one by prefixed or bare id; anything else, or another org, is 404 phone_number_not_found', async () => {
    const id = w.gw.numbers.bob.id;
    const res = await w.api.get(`/phone_numbers/${id}`);
    expect(res.body.data).toMatchObject({ id, user_id: w.gw.bob.id, platform: 'instagram', waba_id: null });
    expect((await w.api.get(`/phone_numbers/${id.slice(3)}`)).body.data.id).toBe(id);
    for (const bad of [w.gw.numbers.other.id, 'pn_000000000000000000000000', 'pn_x', 'agent_000000000000000000000000']) {
      const miss = await w.api.get(`/phone_numbers/${bad}`);
      expectError(miss, 404, 'phone_number_not_found');
      expect(miss.body.error.message).toBe('Phone number not found');
    }
  });
});

describe('GET /api/v1/conversations', () => {
  async function setup() {
    const alice = w.gw.numbers.alice;
    const bob = w.gw.numbers.bob;
    const a = (await w.api.post('/agents', { handle: 'a', name: 'A', instructions, phone_number_id: alice.id })).body.data;
    const b = (await w.api.post('/agents', { handle: 'b', name: 'B', instructions, phone_number_id: bob.id })).body.data;
    await w.inbound(alice, '15550001111', 'Hi');
    await w.inbound(alice, '15550001111', 'Where is order 42?');
    await w.inbound(bob, '17841400000000001', 'Hello from Instagram');
    return { a, b };
  }

  it('lists the org’s conversations in the org shape, filtered by agent, number and status', async () => {
    const { a, b } = await setup();
    const all = await w.api.get('/conversations');
    expect(all.body.data).toHaveLength(2);
    for (const c of all.body.data) expect(ConversationSchema.strict().safeParse(c).success).toBe(true);
    const onA = (await w.api.get(`/conversations?agent_id=${a.id}`)).body.data;
    expect(onA).toEqual([
      {
        id: expect.stringMatching(/^conv_[0-9a-f]{24}$/),
        agent_id: a.id,
        phone_number_id: w.gw.numbers.alice.id,
        customer_id: '15550001111',
        status: 'active',
        archived_at: null,
        archive_reason: null,
        message_count: 2,
        last_message_at: expect.stringMatching(ISO_MS),
        created_at: expect.stringMatching(ISO_MS),
        updated_at: expect.stringMatching(ISO_MS),
      },
    ]);
    expect((await w.api.get(`/conversations?agent_id=${b.id.slice(6)}`)).body.data[0].agent_id).toBe(b.id);
    expect((await w.api.get(`/conversations?phone_number_id=${w.gw.numbers.bob.id}`)).body.data).toHaveLength(1);
    expect((await w.api.get('/conversations?status=archived')).body.data).toEqual([]);
    expect((await w.api.get('/conversations?status=active')).body.data).toHaveLength(2);
  });

  it('a filter naming nothing in the org (unknown, malformed, another org’s) is an empty list', async () => {
    await setup();
    for (const q of ['agent_id=agent_000000000000000000000000', 'agent_id=nope', `phone_number_id=${w.gw.numbers.other.id}`, 'phone_number_id=x']) {
      const res = await w.api.get(`/conversations?${q}`);
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual([]);
    }
  });

  it('a bad status is 422 naming status', async () => {
    const res = await w.api.get('/conversations?status=closed');
    expectError(res, 422, 'validation_failed');
    expect(res.body.error.details).toEqual([{ field: 'status', message: 'status must be one of active, archived' }]);
  });

  it('retrieves one, and its messages oldest first with role and content', async () => {
    const { a } = await setup();
    const conv = (await w.api.get(`/conversations?agent_id=${a.id}`)).body.data[0];
    const one = await w.api.get(`/conversations/${conv.id.slice(5)}`);
    expect(one.body.data).toEqual(conv);
    const messages = await w.api.get(`/conversations/${conv.id}/messages`);
    expect(messages.status).toBe(200);
    for (const m of messages.body.data) expect(MessageSchema.strict().safeParse(m).success).toBe(true);
    expect(messages.body.data.map((m: { role: string; content: string }) => [m.role, m.content])).toEqual([
      ['user', 'Hi'],
      ['user', 'Where is order 42?'],
    ]);
    expect(messages.body.data[0]).toEqual({
      id: expect.stringMatching(/^msg_[0-9a-f]{24}$/),
      conversation_id: conv.id,
      role: 'user',
      content: expect.any(String),
      status: 'received',
      failure_reason: null,
      created_at: expect.stringMatching(ISO_MS),
    });
    expect(Object.keys(messages.body.data[0])).toEqual(['id', 'conversation_id', 'role', 'content', 'status', 'failure_reason', 'created_at']);
  });

  it('§8: replies show as assistant messages with their delivery status and failure reason', async () => {
    const { a } = await setup();
    const conv = (await w.api.get(`/conversations?agent_id=${a.id}`)).body.data[0];
    const replies: [string, Message['status'], string | null][] = [
      ['Order 42 ships today.', 'read', null],
      ['', 'failed', 'meta 131047 (HTTP 400): Re-engagement message'],
      ['Still there?', 'failed', 'interrupted'],
      ['One moment.', 'pending', null],
    ];
    await w.gw.uow.write(async (repos) => {
      for (const [text, status, failureReason] of replies) {
        const at = Date.now();
        const seq = await repos.conversations.recordMessage(conv.id, at);
        await repos.messages.insert({
          id: randomIds.next('msg'), conversationId: conv.id, phoneNumberId: conv.phone_number_id, seq, role: 'assistant',
          text, type: 'text', platformMessageId: null, status, failureReason, createdAt: at,
        });
      }
    });
    const messages = await w.api.get(`/conversations/${conv.id}/messages`);
    expect(messages.status).toBe(200);
    for (const m of messages.body.data) expect(MessageSchema.strict().safeParse(m).success).toBe(true);
    expect(messages.body.data.map((m: Record<string, unknown>) => [m.role, m.content, m.status, m.failure_reason])).toEqual([
      ['user', 'Hi', 'received', null],
      ['user', 'Where is order 42?', 'received', null],
      ...replies.map(([text, status, reason]) => ['assistant', text, status, reason]),
    ]);
  });

  it('an unknown or foreign conversation is 404 conversation_not_found, for it and its messages', async () => {
    await setup();
    const theirs = await w.gw.core.createAgent({
      ctx: w.orgCtx(w.gw.other.id),
      input: { handle: 'x', name: 'X', instructions, phoneNumberId: w.gw.numbers.other.id },
    });
    await w.inbound(w.gw.numbers.other, '15559990000');
    const foreign = (await w.api.get('/conversations', { token: w.gw.tokens.other })).body.data[0];
    expect(foreign.agent_id).toBe(theirs.id);
    for (const id of [foreign.id, 'conv_000000000000000000000000', 'conv_x']) {
      expectError(await w.api.get(`/conversations/${id}`), 404, 'conversation_not_found');
      expectError(await w.api.get(`/conversations/${id}/messages`), 404, 'conversation_not_found');
    }
  });
});

describe('GET /api/v1/org', () => {
  it('answers {id, name, plan, limits, usage, created_at}', async () => {
    await w.api.post('/agents', { handle: 'a', name: 'A', instructions });
    const res = await w.api.get('/org', { token: w.gw.tokens.alice });
    expect(res.body.data).toEqual({
      id: w.gw.org.id,
      name: 'Acme',
      plan: 'pro',
      limits: { agents: 100 },
      usage: { agents: 1 },
      created_at: expect.stringMatching(ISO_MS),
    });
    expect(OrgSchema.strict().safeParse(res.body.data).success).toBe(true);
  });

  it('limits.agents is null when the plan is unlimited', async () => {
    const big = await orgWorld({ plan: 'enterprise' });
    try {
      expect((await big.api.get('/org')).body.data.limits).toEqual({ agents: null });
    } finally {
      await big.gw.close();
    }
  });
});

describe('GET /api/v1/openapi.json', () => {
  it('is an OpenAPI 3.1 document without a key: every route, the BearerAuth scheme, each scope in x-required-scope', async () => {
    const res = await w.api.get('/openapi.json', { token: null });
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.version).toBe('1.0.0');
    expect(doc.components.securitySchemes.BearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    const operations: Record<string, { 'x-required-scope'?: string; security?: unknown[] }> = {};
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, object>>)) {
      for (const [method, op] of Object.entries(item)) operations[`${method.toUpperCase()} ${path}`] = op;
    }
    const scopes = Object.fromEntries(Object.entries(operations).map(([k, op]) => [k, op['x-required-scope'] ?? null]));
    expect(scopes).toEqual({
      'GET /api/v1': null,
      'GET /api/v1/agents': 'agents:read',
      'POST /api/v1/agents': 'agents:write',
      'GET /api/v1/agents/{id}': 'agents:read',
      'PATCH /api/v1/agents/{id}': 'agents:write',
      'DELETE /api/v1/agents/{id}': 'agents:delete',
      'GET /api/v1/phone_numbers': 'phone_numbers:read',
      'GET /api/v1/phone_numbers/{id}': 'phone_numbers:read',
      'GET /api/v1/conversations': 'conversations:read',
      'GET /api/v1/conversations/{id}': 'conversations:read',
      'GET /api/v1/conversations/{id}/messages': 'conversations:read',
      'GET /api/v1/org': 'org:read',
    });
    for (const [key, op] of Object.entries(operations)) {
      if (key !== 'GET /api/v1') expect(op.security, key).toEqual([{ BearerAuth: [] }]);
    }
    const create = doc.paths['/api/v1/agents'].post;
    expect(Object.keys(create.responses).sort()).toEqual(['201', '400', '401', '403', '405', '409', '413', '415', '422', '429', '500', '503']);
    const body = doc.components.schemas.CreateAgentRequest;
    expect(body.required.sort()).toEqual(['handle', 'name']);
    expect(body.additionalProperties).toBe(false);
    expect(body.properties.handle).toMatchObject({ pattern: '^[a-zA-Z][a-zA-Z0-9]*$', maxLength: 64 });
  });
});
