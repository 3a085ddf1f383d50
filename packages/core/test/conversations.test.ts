import { describe, expect, it } from 'vitest';
import type { InboundMessage } from '../src';
import { instructions, world } from './setup';

const inbound = (over: Partial<InboundMessage> = {}): InboundMessage => ({
  platform: 'whatsapp',
  metaPhoneNumberId: '106540352242922',
  customerId: '15551234567',
  platformMessageId: `wamid.${Math.random().toString(36).slice(2)}`,
  type: 'text',
  text: 'Where is my order?',
  ...over,
});

describe('conversations', () => {
  it('an inbound message opens a conversation with the number’s active agent; the next one joins it', async () => {
    const w = await world();
    const agent = await w.core.createAgent({ ctx: w.ctx(), input: { name: 'X', handle: 'x', instructions, phoneNumberId: w.aliceNumber.id } });
    const [first] = await w.core.recordInboundMessages({ uow: w.uow, messages: [inbound()] });
    w.deps.clock.advance(1000);
    const [second] = await w.core.recordInboundMessages({ uow: w.uow, messages: [inbound({ text: 'Hello?' })] });
    expect(first).toMatchObject({ outcome: 'stored', newConversation: true });
    expect(second).toMatchObject({ outcome: 'stored', newConversation: false });
    const conversationId = first?.outcome === 'stored' ? first.conversationId : '';
    const conversation = await w.core.getConversation({ ctx: w.ctx(), id: conversationId });
    expect(conversation).toMatchObject({ agentId: agent.id, status: 'active', messageCount: 2, lastMessageAt: w.deps.clock.now() });
    const messages = await w.core.listMessages({ ctx: w.ctx(), conversationId, page: { kind: 'offset', limit: 50, offset: 0 } });
    expect(messages.items.map((m) => m.text)).toEqual(['Where is my order?', 'Hello?']);
  });

  it('a platform message id is stored once', async () => {
    const w = await world();
    await w.core.createAgent({ ctx: w.ctx(), input: { name: 'X', handle: 'x', instructions, phoneNumberId: w.aliceNumber.id } });
    const message = inbound({ platformMessageId: 'wamid.same' });
    const outcomes = await w.core.recordInboundMessages({ uow: w.uow, messages: [message, message] });
    expect(outcomes.map((o) => o.outcome)).toEqual(['stored', 'duplicate']);
    expect((await w.core.recordInboundMessages({ uow: w.uow, messages: [message] }))[0]?.outcome).toBe('duplicate');
  });

  it('an unknown number is reported and nothing is stored', async () => {
    const w = await world();
    const outcomes = await w.core.recordInboundMessages({ uow: w.uow, messages: [inbound({ metaPhoneNumberId: '99999999' })] });
    expect(outcomes).toEqual([{ outcome: 'unknown_number' }]);
    const listed = await w.core.listConversations({ ctx: w.ctx(), filter: {}, page: { kind: 'offset', limit: 10, offset: 0 } });
    expect(listed.items).toEqual([]);
  });

  it('a message to a number without an active agent is kept in a conversation without an agent', async () => {
    const w = await world();
    const [first, second] = await w.core.recordInboundMessages({ uow: w.uow, messages: [inbound({ text: 'anyone?' }), inbound({ text: 'hello' })] });
    expect(first).toMatchObject({ outcome: 'stored', newConversation: true, agentId: null });
    expect(second).toMatchObject({ outcome: 'stored', newConversation: false, agentId: null });
    const conversationId = first?.outcome === 'stored' ? first.conversationId : '';
    expect(await w.core.getConversation({ ctx: w.ctx(), id: conversationId })).toMatchObject({ agentId: null, status: 'active', messageCount: 2 });
    const messages = await w.core.listMessages({ ctx: w.ctx(), conversationId, page: { kind: 'offset', limit: 50, offset: 0 } });
    expect(messages.items.map((m) => [m.seq, m.text])).toEqual([[1, 'anyone?'], [2, 'hello']]);

    // R2: the agent that takes the number archives it, and the customer's next message opens its own.
    const agent = await w.core.createAgent({ ctx: w.ctx(), input: { name: 'X', handle: 'x', instructions, phoneNumberId: w.aliceNumber.id } });
    expect(await w.core.getConversation({ ctx: w.ctx(), id: conversationId })).toMatchObject({ status: 'archived', archiveReason: 'agent_replaced', agentId: null });
    const records = await w.uow.read((r) => r.archivals.listByPhoneNumber(w.aliceNumber.id));
    expect(records).toMatchObject([{ previousAgentId: null, newAgentId: agent.id, conversationsArchived: 1 }]);
    const [next] = await w.core.recordInboundMessages({ uow: w.uow, messages: [inbound({ text: 'now?' })] });
    expect(next).toMatchObject({ outcome: 'stored', newConversation: true, agentId: agent.id });
  });

  it('R2: when another agent takes the number, the old conversations are archived and the customer starts anew', async () => {
    const w = await world();
    const x = await w.core.createAgent({ ctx: w.ctx(), input: { name: 'X', handle: 'x', instructions, phoneNumberId: w.aliceNumber.id } });
    const [first] = await w.core.recordInboundMessages({ uow: w.uow, messages: [inbound()] });
    const oldId = first?.outcome === 'stored' ? first.conversationId : '';

    await w.core.deleteAgent({ ctx: w.ctx(), id: x.id });
    // R3: deleting keeps the conversation as it is until another agent takes the number.
    expect((await w.core.getConversation({ ctx: w.ctx(), id: oldId })).status).toBe('active');

    w.deps.clock.advance(5000);
    const y = await w.core.createAgent({ ctx: w.ctx(), input: { name: 'Y', handle: 'y', instructions, phoneNumberId: w.aliceNumber.id } });
    const archived = await w.core.getConversation({ ctx: w.ctx(), id: oldId });
    expect(archived).toMatchObject({ status: 'archived', archivedAt: w.deps.clock.now(), archiveReason: 'agent_replaced', agentId: x.id });
    const records = await w.uow.read((r) => r.archivals.listByPhoneNumber(w.aliceNumber.id));
    expect(records).toMatchObject([{ previousAgentId: x.id, newAgentId: y.id, conversationsArchived: 1 }]);

    const [next] = await w.core.recordInboundMessages({ uow: w.uow, messages: [inbound({ text: 'still there?' })] });
    expect(next).toMatchObject({ outcome: 'stored', newConversation: true });
    const fresh = await w.core.getConversation({ ctx: w.ctx(), id: next?.outcome === 'stored' ? next.conversationId : '' });
    expect(fresh.agentId).toBe(y.id);
    // The archived conversation keeps its messages.
    const old = await w.core.listMessages({ ctx: w.ctx(), conversationId: oldId, page: { kind: 'offset', limit: 50, offset: 0 } });
    expect(old.items).toHaveLength(1);
  });

  it('R2: deactivation keeps conversations until re-activation of another agent; renaming keeps them', async () => {
    const w = await world();
    const x = await w.core.createAgent({ ctx: w.ctx(), input: { name: 'X', handle: 'x', instructions, phoneNumberId: w.aliceNumber.id } });
    const [first] = await w.core.recordInboundMessages({ uow: w.uow, messages: [inbound()] });
    const id = first?.outcome === 'stored' ? first.conversationId : '';
    await w.core.updateAgent({ ctx: w.ctx(), id: x.id, input: { name: 'X2', promptId: 'p2', instructions: 'changed' } });
    expect((await w.core.getConversation({ ctx: w.ctx(), id })).status).toBe('active');
    await w.core.updateAgent({ ctx: w.ctx(), id: x.id, input: { isActive: false } });
    expect((await w.core.getConversation({ ctx: w.ctx(), id })).status).toBe('active');
    // X re-activated on its own number archives nothing of its own.
    await w.core.updateAgent({ ctx: w.ctx(), id: x.id, input: { isActive: true } });
    expect((await w.core.getConversation({ ctx: w.ctx(), id })).status).toBe('active');
    // Y moved onto the number takes it over.
    await w.core.updateAgent({ ctx: w.ctx(), id: x.id, input: { isActive: false } });
    const y = await w.core.createAgent({ ctx: w.ctx(), input: { name: 'Y', handle: 'y', instructions } });
    await w.core.updateAgent({ ctx: w.ctx(), id: y.id, input: { phoneNumberId: w.aliceNumber.id } });
    expect((await w.core.getConversation({ ctx: w.ctx(), id })).status).toBe('archived');
  });

  it('R2: a failing takeover archives nothing', async () => {
    const w = await world({ plan: 'free', planLimits: { free: 1, pro: 1, enterprise: null } });
    const x = await w.core.createAgent({ ctx: w.ctx(), input: { name: 'X', handle: 'x', instructions, phoneNumberId: w.aliceNumber.id } });
    const [first] = await w.core.recordInboundMessages({ uow: w.uow, messages: [inbound()] });
    await w.core.updateAgent({ ctx: w.ctx(), id: x.id, input: { isActive: false } });
    await expect(
      w.core.createAgent({ ctx: w.ctx(), input: { name: 'Y', handle: 'y', instructions, phoneNumberId: w.aliceNumber.id } }),
    ).rejects.toMatchObject({ code: 'plan_limit_reached' });
    const id = first?.outcome === 'stored' ? first.conversationId : '';
    expect((await w.core.getConversation({ ctx: w.ctx(), id })).status).toBe('active');
  });

  it('R11: conversations of another org are not found and not listed', async () => {
    const w = await world();
    await w.core.createAgent({ ctx: w.ctx(), input: { name: 'X', handle: 'x', instructions, phoneNumberId: w.aliceNumber.id } });
    const [first] = await w.core.recordInboundMessages({ uow: w.uow, messages: [inbound()] });
    const id = first?.outcome === 'stored' ? first.conversationId : '';
    await expect(w.core.getConversation({ ctx: w.ctx(w.otherActor), id })).rejects.toMatchObject({ code: 'not_found' });
    await expect(
      w.core.listMessages({ ctx: w.ctx(w.otherActor), conversationId: id, page: { kind: 'offset', limit: 5, offset: 0 } }),
    ).rejects.toMatchObject({ code: 'not_found' });
    const list = await w.core.listConversations({ ctx: w.ctx(w.otherActor), filter: {}, page: { kind: 'offset', limit: 5, offset: 0 } });
    expect(list.items).toEqual([]);
  });
});
