import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureText } from './fixtures';
import { dialects, type Dialects, type LegacyMessage, type OrgMessage } from './dialects';
import { deliver, webhookWorld, whatsappDelivery, whatsappText, type WebhookWorld } from './helpers';

/**
 * Inbound messages end to end: what the webhook stores is what both dialects read, and archival
 * (R2, R3) works on real conversations.
 */

let w: WebhookWorld;
let d: Dialects;

beforeAll(async () => {
  w = await webhookWorld();
  d = dialects(w.gw);
});

afterAll(async () => {
  await w.gw.close();
});

let numbers = 0;
async function freshNumber() {
  const metaId = `3065${String(Date.now() % 1e9).padStart(9, '0')}${++numbers}`;
  const number = await w.gw.addNumber(w.gw.alice.id, metaId);
  return { number, metaId };
}

/** Legacy times are truncated to the second. */
const legacyTime = (iso: string) => `${iso.slice(0, 19)}Z`;

/**
 * Both dialects agree on the conversation, and its status, archived_at, message_count and
 * last_message_at match the messages that are stored in it.
 */
async function readBoth(conversationId: string, userId = w.gw.alice.id) {
  const legacy = await d.legacy.conversation(userId, conversationId);
  const legacyMessages = await d.legacy.messages(userId, conversationId);
  const org = await d.org.conversation(conversationId);
  const orgMessages = await d.org.messages(conversationId);
  expect([legacy.status, legacyMessages.status, org.status, orgMessages.status]).toEqual([200, 200, 200, 200]);

  const conversation = org.body.data;
  const messages: OrgMessage[] = orgMessages.body.data;
  const lastOrg = messages[messages.length - 1];
  expect(conversation.message_count).toBe(messages.length);
  expect(conversation.last_message_at).toBe(lastOrg?.created_at ?? null);
  expect(messages.every((m) => m.role === 'user' && m.conversation_id === conversationId)).toBe(true);

  const legacyList: LegacyMessage[] = legacyMessages.body.messages;
  expect(legacyMessages.body.pagination.total).toBe(messages.length);
  expect(legacyList.map((m) => [m.message_id, m.sender, m.text, m.created_at])).toEqual(
    messages.map((m) => [m.id, 'user', m.content, legacyTime(m.created_at)]),
  );
  expect(legacy.body).toEqual({
    conversation_id: conversation.id,
    agent_id: conversation.agent_id,
    phone_number_id: conversation.phone_number_id,
    customer_id: conversation.customer_id,
    status: conversation.status,
    archived_at: conversation.archived_at === null ? null : legacyTime(conversation.archived_at),
    message_count: messages.length,
    last_message_at: lastOrg ? legacyTime(lastOrg.created_at) : null,
    created_at: legacyTime(conversation.created_at),
  });
  return { conversation, messages, legacy: legacy.body, legacyMessages: legacyList };
}

describe('a signed delivery, read in both dialects', () => {
  it('a signed WhatsApp delivery creates one conversation with one message, visible in both dialects; again, or twice at once, still one', async () => {
    const agent = await w.createAgent(w.gw.numbers.alice.id, 'Front desk');
    const raw = fixtureText('whatsapp-text');
    expect((await deliver(w.app, raw)).status).toBe(200);

    const legacyList = await d.legacy.conversations(w.gw.alice.id, `phone_number_id=${w.gw.numbers.alice.id}`);
    expect(legacyList.status).toBe(200);
    expect(legacyList.body.conversations).toHaveLength(1);
    const orgList = await d.org.conversations(`phone_number_id=${w.gw.numbers.alice.id}`);
    expect(orgList.status).toBe(200);
    expect(orgList.body.data.map((c) => c.id)).toEqual(legacyList.body.conversations.map((c) => c.conversation_id));

    const id = orgList.body.data[0]!.id;
    const read = await readBoth(id);
    expect(read.conversation).toMatchObject({
      agent_id: agent.id,
      phone_number_id: w.gw.numbers.alice.id,
      customer_id: '16505551234',
      status: 'active',
      archived_at: null,
      archive_reason: null,
      message_count: 1,
    });
    expect(read.messages.map((m) => m.content)).toEqual(['Hi! Does the blue one come in size M? ¿Habla español?']);

    // Meta delivers it again, then twice at the same time.
    expect((await deliver(w.app, raw)).status).toBe(200);
    const twice = await Promise.all([deliver(w.app, raw), deliver(w.app, raw)]);
    expect(twice.map((r) => r.status)).toEqual([200, 200]);
    expect((await d.org.conversations(`phone_number_id=${w.gw.numbers.alice.id}`)).body.data).toHaveLength(1);
    expect((await readBoth(id)).messages).toHaveLength(1);
  });

  it('R11: another org cannot see the conversation, nor can another user of the org in the legacy dialect', async () => {
    const [conversation] = await w.conversations(w.gw.numbers.alice.id);
    const id = conversation!.id;
    expect((await d.org.conversation(id, w.gw.tokens.other)).status).toBe(404);
    expect((await d.org.messages(id, w.gw.tokens.other)).status).toBe(404);
    expect((await d.org.conversations(`phone_number_id=${w.gw.numbers.alice.id}`, w.gw.tokens.other)).body.data).toEqual([]);
    expect((await d.legacy.conversation(w.gw.carol.id, id, w.gw.tokens.other)).status).toBe(404);
    // Bob's key, or any key on Bob's path, sees only Bob's numbers.
    expect((await d.legacy.conversation(w.gw.bob.id, id, w.gw.tokens.bob)).status).toBe(404);
    expect((await d.legacy.conversation(w.gw.bob.id, id)).status).toBe(404);
    expect((await d.legacy.conversation(w.gw.alice.id, id, w.gw.tokens.alice)).status).toBe(200);
  });
});

describe('R2 and R3: takeover and archival, end to end', () => {
  it('conversation with X; X deleted (R3) keeps it active; Y on the number archives it (R2), readable in both dialects; the next message opens a new conversation with Y', async () => {
    const { number, metaId } = await freshNumber();
    const alice = w.gw.alice.id;
    const customer = '447700900123';

    // X, made by a legacy client.
    const x = await d.legacy.send<{ agent_id: string }>('POST', alice, '/agents', { phone_number_id: number.id, prompt_id: 'pmpt_x', name: 'Agent X' });
    expect(x.status).toBe(201);
    const xId = x.body.agent_id;

    expect((await deliver(w.app, whatsappDelivery(metaId, [whatsappText({ from: customer, text: 'First question' })]))).status).toBe(200);
    const [opened] = (await d.org.conversations(`phone_number_id=${number.id}`)).body.data;
    expect(opened).toMatchObject({ agent_id: xId, status: 'active', message_count: 1 });
    const oldId = opened!.id;

    // R3: the delete is soft; the conversation stays as it is.
    expect((await d.legacy.send('DELETE', alice, `/agents/${xId}`)).status).toBe(200);
    expect((await d.legacy.get(alice, `/agents/${xId}`)).status).toBe(404);
    expect((await readBoth(oldId)).conversation).toMatchObject({ status: 'active', archived_at: null, agent_id: xId });

    // With no agent on the number, the customer's active conversation still takes their messages.
    expect((await deliver(w.app, whatsappDelivery(metaId, [whatsappText({ from: customer, text: 'Hello? Anyone?' })]))).status).toBe(200);
    expect((await readBoth(oldId)).conversation).toMatchObject({ status: 'active', message_count: 2 });

    // Y takes the number (this time from an org client): the old conversation is archived in the same write.
    const y = await d.org.send<{ data: { id: string } }>('POST', '/agents', {
      name: 'Agent Y',
      handle: 'agentY',
      instructions: 'Answer questions about orders.',
      phone_number_id: number.id,
    });
    expect(y.status).toBe(201);
    const yId = y.body.data.id;

    const archived = await readBoth(oldId);
    expect(archived.conversation).toMatchObject({ status: 'archived', archive_reason: 'agent_replaced', agent_id: xId, message_count: 2 });
    expect(archived.conversation.archived_at).not.toBeNull();
    expect(Date.parse(archived.conversation.archived_at!)).toBeGreaterThanOrEqual(Date.parse(archived.conversation.last_message_at!));
    expect(archived.legacy.status).toBe('archived');
    expect(archived.legacy.archived_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(archived.messages.map((m) => m.content)).toEqual(['First question', 'Hello? Anyone?']);

    const records = await w.gw.uow.read((repos) => repos.archivals.listByPhoneNumber(number.id));
    expect(records).toEqual([expect.objectContaining({ previousAgentId: xId, newAgentId: yId, conversationsArchived: 1 })]);

    // The customer's next message opens a new conversation with Y; the archived one is unchanged.
    expect((await deliver(w.app, whatsappDelivery(metaId, [whatsappText({ from: customer, text: 'Back again' })]))).status).toBe(200);
    const active = await d.org.conversations(`phone_number_id=${number.id}&status=active`);
    expect(active.body.data).toHaveLength(1);
    const newId = active.body.data[0]!.id;
    expect(newId).not.toBe(oldId);
    const fresh = await readBoth(newId);
    expect(fresh.conversation).toMatchObject({ agent_id: yId, customer_id: customer, status: 'active', message_count: 1 });
    expect(fresh.messages.map((m) => m.content)).toEqual(['Back again']);
    expect((await readBoth(oldId)).conversation).toMatchObject({ status: 'archived', message_count: 2 });

    // Filters in both dialects see one archived and one active conversation on the number.
    const legacyArchived = await d.legacy.conversations(alice, `phone_number_id=${number.id}&status=archived`);
    expect(legacyArchived.body.conversations.map((c) => c.conversation_id)).toEqual([oldId]);
    const legacyByAgent = await d.legacy.conversations(alice, `agent_id=${yId}`);
    expect(legacyByAgent.body.conversations.map((c) => c.conversation_id)).toEqual([newId]);
    const orgAll = await d.org.conversations(`phone_number_id=${number.id}`);
    expect(orgAll.body.data.map((c) => c.id).sort()).toEqual([newId, oldId].sort());
  });

  it('R2: a deactivated agent keeps its conversations until another agent takes the number', async () => {
    const { number, metaId } = await freshNumber();
    const x = await w.createAgent(number.id, 'Weekday agent');
    await deliver(w.app, whatsappDelivery(metaId, [whatsappText({ from: '15550606060', text: 'Monday question' })]));
    const [conversation] = await w.conversations(number.id);

    const off = await d.org.send('PATCH', `/agents/${x.id}`, { is_active: false, deactivated_reason: 'weekend' });
    expect(off.status).toBe(200);
    expect((await readBoth(conversation!.id)).conversation.status).toBe('active');

    const y = await w.createAgent(number.id, 'Weekend agent');
    expect((await readBoth(conversation!.id)).conversation).toMatchObject({ status: 'archived', archive_reason: 'agent_replaced' });
    await deliver(w.app, whatsappDelivery(metaId, [whatsappText({ from: '15550606060', text: 'Saturday question' })]));
    const active = await w.gw.core.listConversations({ ctx: w.ctx(), filter: { phoneNumberId: number.id, status: 'active' }, page: { kind: 'offset', limit: 10, offset: 0 } });
    expect(active.items.map((c) => [c.agentId, c.messageCount])).toEqual([[y.id, 1]]);
  });

  it('R2: renaming the agent or changing its prompt keeps its conversations active', async () => {
    const { number, metaId } = await freshNumber();
    const alice = w.gw.alice.id;
    const x = await d.legacy.send<{ agent_id: string }>('POST', alice, '/agents', { phone_number_id: number.id, prompt_id: 'pmpt_a', name: 'Before' });
    await deliver(w.app, whatsappDelivery(metaId, [whatsappText({ from: '15550707070', text: 'one' })]));
    const patched = await d.legacy.send('PATCH', alice, `/agents/${x.body.agent_id}`, { name: 'After', prompt_id: 'pmpt_b' });
    expect(patched.status).toBe(200);
    await deliver(w.app, whatsappDelivery(metaId, [whatsappText({ from: '15550707070', text: 'two' })]));
    const conversations = (await d.org.conversations(`phone_number_id=${number.id}`)).body.data;
    expect(conversations).toHaveLength(1);
    const read = await readBoth(conversations[0]!.id);
    expect(read.conversation).toMatchObject({ status: 'active', message_count: 2 });
    expect(read.messages.map((m) => m.content)).toEqual(['one', 'two']);
  });

  it('R2: several customers on the number are all archived together, each starting anew afterwards', async () => {
    const { number, metaId } = await freshNumber();
    await w.createAgent(number.id, 'Old');
    const customers = ['15550808081', '15550808082', '15550808083'];
    await deliver(w.app, whatsappDelivery(metaId, customers.map((from) => whatsappText({ from, text: `hi from ${from}` }))));
    const before = await w.conversations(number.id);
    expect(before).toHaveLength(3);

    const x = before[0]!.agentId as string;
    await w.gw.core.deleteAgent({ ctx: w.ctx(), id: x });
    const y = await w.createAgent(number.id, 'New');
    const records = await w.gw.uow.read((repos) => repos.archivals.listByPhoneNumber(number.id));
    expect(records).toEqual([expect.objectContaining({ previousAgentId: x, newAgentId: y.id, conversationsArchived: 3 })]);

    await deliver(w.app, whatsappDelivery(metaId, customers.map((from) => whatsappText({ from, text: 'again' }))));
    const after = await w.conversations(number.id);
    expect(after.filter((c) => c.status === 'archived').map((c) => c.agentId)).toEqual([x, x, x]);
    expect(after.filter((c) => c.status === 'active').map((c) => [c.agentId, c.messageCount])).toEqual([
      [y.id, 1],
      [y.id, 1],
      [y.id, 1],
    ]);
    for (const conversation of after) await readBoth(conversation.id);
  });

describe('a number without an active agent', () => {
  it('keeps what the customer wrote in a conversation without an agent, readable in both dialects; R2 archives it when an agent takes the number', async () => {
    const { number, metaId } = await freshNumber();
    const res = await deliver(w.app, whatsappDelivery(metaId, [whatsappText({ from: '15550909090', text: 'Is anybody there?' })]));
    expect(res.status).toBe(200);
    await deliver(w.app, whatsappDelivery(metaId, [whatsappText({ from: '15550909090', text: 'Hello?' })]));

    const listed = (await d.org.conversations(`phone_number_id=${number.id}`)).body.data;
    expect(listed).toHaveLength(1);
    const read = await readBoth(listed[0]!.id);
    expect(read.conversation).toMatchObject({ agent_id: null, status: 'active', message_count: 2 });
    expect(read.legacy).toMatchObject({ agent_id: null });
    expect(read.messages.map((m) => m.content)).toEqual(['Is anybody there?', 'Hello?']);

    const agent = await d.legacy.send<{ agent_id: string }>('POST', w.gw.alice.id, '/agents', {
      phone_number_id: number.id,
      prompt_id: 'prompt_support_v1',
      name: 'Late arrival',
    });
    expect(agent.status).toBe(201);
    const archived = await readBoth(listed[0]!.id);
    expect(archived.conversation).toMatchObject({ agent_id: null, status: 'archived', archive_reason: 'agent_replaced' });
    const records = await w.gw.uow.read((repos) => repos.archivals.listByPhoneNumber(number.id));
    expect(records).toEqual([expect.objectContaining({ previousAgentId: null, newAgentId: agent.body.agent_id, conversationsArchived: 1 })]);

    await deliver(w.app, whatsappDelivery(metaId, [whatsappText({ from: '15550909090', text: 'Now?' })]));
    const active = (await d.org.conversations(`phone_number_id=${number.id}&status=active`)).body.data;
    expect(active.map((c) => [c.agent_id, c.message_count])).toEqual([[agent.body.agent_id, 1]]);
  });
});
});
