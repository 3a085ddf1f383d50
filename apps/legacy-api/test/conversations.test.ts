import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Conversation, Message } from '@gateway/core';
import { randomIds } from '@gateway/platform';
import { anyTimestamp, CONVERSATION_ID, expectLegacyError, expectNoUnexpected, legacyWorld, MESSAGE_ID, sleep, whatsappText, type LegacyWorld } from './helpers';

let w: LegacyWorld;
beforeAll(async () => {
  w = await legacyWorld();
});
afterAll(() => w.gw.close());
afterEach(() => expectNoUnexpected(w.gw));

/** The agent's reply, stored as the (future) outbound path would: through the storage ports. */
async function agentReply(conversationId: string, text: string, status: Message['status'] = 'sent', failureReason: string | null = null) {
  await w.gw.uow.write(async (repos) => {
    const conversation = (await repos.conversations.get({ orgId: w.gw.org.id }, conversationId)) as Conversation;
    const at = Date.now();
    const seq = await repos.conversations.recordMessage(conversationId, at);
    await repos.messages.insert({
      id: randomIds.next('msg'),
      conversationId,
      phoneNumberId: conversation.phoneNumberId,
      seq,
      role: 'assistant',
      text,
      type: 'text',
      platformMessageId: null,
      status,
      failureReason,
      createdAt: at,
    });
  });
}

describe('R2: archival, read through the legacy routes', () => {
  it('conversations of a deleted agent are archived when another agent takes the number, and stay readable with their messages', async () => {
    const numberId = w.gw.numbers.alice.id;
    const first = await w.call('POST', `${w.paths.alice}/agents`, { json: { phone_number_id: numberId, prompt_id: 'prompt_support_v1', name: 'First' } });
    expect(first.status).toBe(201);

    const [hello] = await w.gw.core.recordInboundMessages({
      uow: w.gw.uow,
      messages: [whatsappText(w.gw, '15551234567', 'wamid.r2-1', 'Hello'), whatsappText(w.gw, '15551234567', 'wamid.r2-2', 'Where is my order?')],
    });
    if (hello?.outcome !== 'stored') throw new Error('the inbound message was not stored');
    const conversationId = hello.conversationId;
    await sleep(5);
    await agentReply(conversationId, 'It ships today.');

    const active = await w.call('GET', `${w.paths.alice}/conversations/${conversationId}`);
    expect(active.status).toBe(200);
    expect(active.body).toEqual({
      conversation_id: conversationId,
      agent_id: first.body.agent_id,
      phone_number_id: numberId,
      customer_id: '15551234567',
      status: 'active',
      archived_at: null,
      message_count: 3,
      last_message_at: anyTimestamp(),
      created_at: anyTimestamp(),
    });

    // R3: deleting the agent keeps its conversations.
    expect((await w.call('DELETE', `${w.paths.alice}/agents/${first.body.agent_id}`)).status).toBe(200);
    expect((await w.call('GET', `${w.paths.alice}/conversations/${conversationId}`)).body.status).toBe('active');

    // R2: the next agent on the number archives them.
    const second = await w.call('POST', `${w.paths.alice}/agents`, { json: { phone_number_id: numberId, prompt_id: 'prompt_support_v2', name: 'Second' } });
    expect(second.status).toBe(201);

    const archived = await w.call('GET', `${w.paths.alice}/conversations/${conversationId}`);
    expect(archived.status).toBe(200);
    expect(archived.body).toEqual({ ...active.body, status: 'archived', archived_at: anyTimestamp() });

    const messages = await w.call('GET', `${w.paths.alice}/conversations/${conversationId}/messages`);
    expect(messages.status).toBe(200);
    expect(messages.body).toEqual({
      messages: [
        { message_id: expect.stringMatching(MESSAGE_ID), conversation_id: conversationId, sender: 'user', text: 'Hello', status: 'received', failure_reason: null, created_at: anyTimestamp() },
        { message_id: expect.stringMatching(MESSAGE_ID), conversation_id: conversationId, sender: 'user', text: 'Where is my order?', status: 'received', failure_reason: null, created_at: anyTimestamp() },
        { message_id: expect.stringMatching(MESSAGE_ID), conversation_id: conversationId, sender: 'agent', text: 'It ships today.', status: 'sent', failure_reason: null, created_at: anyTimestamp() },
      ],
      pagination: { total: 3, limit: 50, offset: 0, has_more: false },
    });
    const page = await w.call('GET', `${w.paths.alice}/conversations/${conversationId}/messages?limit=1&offset=1`);
    expect(page.body.messages.map((m: { text: string }) => m.text)).toEqual(['Where is my order?']);
    expect(page.body.pagination).toEqual({ total: 3, limit: 1, offset: 1, has_more: true });

    // The customer's next message opens a new conversation with the new agent, listed first.
    await sleep(5);
    const [next] = await w.gw.core.recordInboundMessages({ uow: w.gw.uow, messages: [whatsappText(w.gw, '15551234567', 'wamid.r2-3', 'Hi again')] });
    if (next?.outcome !== 'stored') throw new Error('the inbound message was not stored');
    expect(next.conversationId).not.toBe(conversationId);

    const list = await w.call('GET', `${w.paths.alice}/conversations`);
    expect(list.status).toBe(200);
    expect(list.body).toEqual({
      conversations: [
        {
          conversation_id: expect.stringMatching(CONVERSATION_ID),
          agent_id: second.body.agent_id,
          phone_number_id: numberId,
          customer_id: '15551234567',
          status: 'active',
          archived_at: null,
          message_count: 1,
          last_message_at: anyTimestamp(),
          created_at: anyTimestamp(),
        },
        archived.body,
      ],
      pagination: { total: 2, limit: 50, offset: 0, has_more: false },
    });

    const byStatus = await w.call('GET', `${w.paths.alice}/conversations?status=archived`);
    expect(byStatus.body.conversations).toEqual([archived.body]);
    const byOldAgent = await w.call('GET', `${w.paths.alice}/conversations?agent_id=${first.body.agent_id}`);
    expect(byOldAgent.body.conversations).toEqual([archived.body]);
    const byNumber = await w.call('GET', `${w.paths.alice}/conversations?phone_number_id=${numberId}&status=active`);
    expect(byNumber.body.conversations.map((c: { agent_id: string }) => c.agent_id)).toEqual([second.body.agent_id]);

    // Changing the new agent's name or prompt keeps its conversations (R2).
    expect((await w.call('PATCH', `${w.paths.alice}/agents/${second.body.agent_id}`, { json: { name: 'Renamed', prompt_id: 'prompt_support_v3' } })).status).toBe(200);
    expect((await w.call('GET', `${w.paths.alice}/conversations?status=active`)).body.conversations).toHaveLength(1);
  });
});

describe('conversation reads', () => {
  it('§8: replies show as sender agent with their delivery status and failure reason, keys in the published order', async () => {
    const numberId = w.gw.numbers.aliceSpare.id;
    const agent = await w.call('POST', `${w.paths.alice}/agents`, { json: { phone_number_id: numberId, prompt_id: 'prompt_status', name: 'Status desk' } });
    expect(agent.status).toBe(201);
    const [stored] = await w.gw.core.recordInboundMessages({ uow: w.gw.uow, messages: [{ ...whatsappText(w.gw, '15557770001', 'wamid.status-1', 'Is it here yet?'), metaPhoneNumberId: w.gw.numbers.aliceSpare.metaPhoneNumberId }] });
    if (stored?.outcome !== 'stored') throw new Error('not stored');
    await agentReply(stored.conversationId, 'It was delivered.', 'delivered');
    await agentReply(stored.conversationId, '', 'failed', 'outside_window');
    await agentReply(stored.conversationId, 'Checking.', 'pending');
    const res = await w.call('GET', `${w.paths.alice}/conversations/${stored.conversationId}/messages`);
    expect(res.status).toBe(200);
    const messages = res.body.messages as Record<string, unknown>[];
    expect(messages.map((m) => [m.sender, m.text, m.status, m.failure_reason])).toEqual([
      ['user', 'Is it here yet?', 'received', null],
      ['agent', 'It was delivered.', 'delivered', null],
      ['agent', '', 'failed', 'outside_window'],
      ['agent', 'Checking.', 'pending', null],
    ]);
    expect(Object.keys(messages[0]!)).toEqual(['message_id', 'conversation_id', 'sender', 'text', 'status', 'failure_reason', 'created_at']);
    expect((await w.call('DELETE', `${w.paths.alice}/agents/${agent.body.agent_id}`)).status).toBe(200);
  });

  it("R11: filters naming ids outside the caller's scope are an empty list; paths naming them are 404", async () => {
    const otherActor = { orgId: w.gw.other.id, ownerUserId: w.gw.carol.id };
    const otherAgent = await w.gw.core.createAgent({
      ctx: {
        uow: w.gw.uow,
        actor: { orgId: otherActor.orgId, keyId: 'key_test', keyUserId: null, scopes: new Set(['agents:write']), visibility: otherActor },
      },
      input: { name: 'Other agent', promptId: 'p', phoneNumberId: w.gw.numbers.other.id },
    });
    const [stored] = await w.gw.core.recordInboundMessages({
      uow: w.gw.uow,
      messages: [{ platform: 'whatsapp', metaPhoneNumberId: w.gw.numbers.other.metaPhoneNumberId, customerId: '4477000', platformMessageId: 'wamid.other-1', type: 'text', text: 'Hi' }],
    });
    if (stored?.outcome !== 'stored') throw new Error('not stored');

    const empty = { conversations: [], pagination: { total: 0, limit: 50, offset: 0, has_more: false } };
    for (const q of [`agent_id=${otherAgent.id}`, `phone_number_id=${w.gw.numbers.other.id}`, `phone_number_id=${w.gw.numbers.bob.id}`, 'agent_id=agent_unknown']) {
      const res = await w.call('GET', `${w.paths.alice}/conversations?${q}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(empty);
    }
    expectLegacyError(await w.call('GET', `${w.paths.alice}/conversations/${stored.conversationId}`), 404, 'Not Found', 'Conversation not found');
    expectLegacyError(await w.call('GET', `${w.paths.alice}/conversations/${stored.conversationId}/messages`), 404, 'Not Found', 'Conversation not found');
    expectLegacyError(await w.call('GET', `${w.paths.alice}/conversations/conv_000000000000000000000000`), 404, 'Not Found', 'Conversation not found');
  });

  it('refuses a bad status, limit or offset, naming the parameter', async () => {
    expectLegacyError(await w.call('GET', `${w.paths.alice}/conversations?status=open`), 400, 'Validation error', 'status must be one of active, archived');
    expectLegacyError(await w.call('GET', `${w.paths.alice}/conversations?limit=0`), 400, 'Validation error', 'limit must be an integer between 1 and 100');
    expectLegacyError(await w.call('GET', `${w.paths.alice}/conversations?offset=-5`), 400, 'Validation error', 'offset must be an integer of at least 0');
    const list = await w.call('GET', `${w.paths.alice}/conversations?limit=1`);
    const id = list.body.conversations[0]?.conversation_id ?? 'conv_x';
    expectLegacyError(await w.call('GET', `${w.paths.alice}/conversations/${id}/messages?limit=101`), 400, 'Validation error', 'limit must be an integer between 1 and 100');
  });
});
