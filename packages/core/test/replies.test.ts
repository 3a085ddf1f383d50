import { describe, expect, it } from 'vitest';
import { advanceStatus, insideServiceWindow, REPLY_FAILURE, SERVICE_WINDOW_MS, whyNotAnswering, type InboundMessage, type Message } from '../src';
import { instructions, world } from './setup';

/** §8 in the core: the queue written with the message, the turn's steps fenced by epoch, the agent deciding, statuses forwards only. */

const inbound = (over: Partial<InboundMessage> = {}): InboundMessage => ({
  platform: 'whatsapp',
  metaPhoneNumberId: '106540352242922',
  customerId: '15551234567',
  platformMessageId: `wamid.${Math.random().toString(36).slice(2)}`,
  type: 'text',
  text: 'Where is my order?',
  ...over,
});

const REPLIES = { debounceMs: 1500, maxWaitMs: 10_000 };

async function replying() {
  const w = await world({ replies: REPLIES });
  const agent = await w.core.createAgent({ ctx: w.ctx(), input: { name: 'Desk', instructions, phoneNumberId: w.aliceNumber.id } });
  const receive = async (over: Partial<InboundMessage> = {}) => {
    const [outcome] = await w.core.recordInboundMessages({ uow: w.uow, messages: [inbound(over)] });
    if (outcome?.outcome !== 'stored') throw new Error('not stored');
    return outcome;
  };
  const claim = async () => (await w.core.claimReplyTurns({ uow: w.uow, leaseMs: 30_000, limit: 10 }))[0];
  const messages = async (conversationId: string): Promise<Message[]> =>
    (await w.core.listMessages({ ctx: w.ctx(), conversationId, page: { kind: 'offset', limit: 100, offset: 0 } })).items;
  return { ...w, agent, receive, claim, messages };
}

describe('§8 the reply queue, in the core', () => {
  it('a message to an active agent queues its answer in the same write, due after the debounce; without replies configured nothing is queued', async () => {
    const w = await replying();
    const first = await w.receive();
    expect(first.enqueued).toBe(true);
    expect(await w.claim()).toBeUndefined();
    w.deps.clock.advance(REPLIES.debounceMs);
    const job = await w.claim();
    expect(job).toMatchObject({ conversationId: first.conversationId, claimedSeq: 1, answeredSeq: 0, epoch: 1 });

    const off = await world();
    await off.core.createAgent({ ctx: off.ctx(), input: { name: 'Desk', instructions, phoneNumberId: off.aliceNumber.id } });
    const [stored] = await off.core.recordInboundMessages({ uow: off.uow, messages: [inbound()] });
    expect(stored).toMatchObject({ outcome: 'stored', enqueued: false });
    expect(await off.core.replyQueueDepth({ uow: off.uow })).toEqual({ due: 0, waiting: 0, held: 0 });
  });

  it('a burst moves the due time with each message, never past REPLY_MAX_WAIT_MS after the first', async () => {
    const w = await replying();
    await w.receive();
    for (let i = 0; i < 9; i++) {
      w.deps.clock.advance(1000);
      await w.receive();
      if (i < 8) expect(await w.claim()).toBeUndefined();
    }
    // 9 s after the first message the debounce would wait till 10.5 s; the cap is 10 s.
    w.deps.clock.advance(1000);
    expect(await w.claim()).toMatchObject({ claimedSeq: 10 });
  });

  it('R2/R3: no queue for a number without an agent, nor after the agent was deactivated', async () => {
    const w = await replying();
    const bob = await w.core.recordInboundMessages({ uow: w.uow, messages: [inbound({ metaPhoneNumberId: '17841234567890123', platform: 'instagram' })] });
    expect(bob[0]).toMatchObject({ outcome: 'stored', agentId: null, enqueued: false });
    await w.core.updateAgent({ ctx: w.ctx(), id: w.agent.id, input: { isActive: false } });
    expect(await w.receive()).toMatchObject({ enqueued: false });
  });

  it('a turn: begin reads agent and history, the reply is stored pending, sent once recorded; every step of a stale epoch is refused', async () => {
    const w = await replying();
    const { conversationId } = await w.receive();
    w.deps.clock.advance(REPLIES.debounceMs);
    const job = (await w.claim())!;
    const begun = await w.core.beginReplyTurn({ uow: w.uow, conversationId, epoch: job.epoch, historyLimit: 20 });
    expect(begun).toMatchObject({ kind: 'answer', agent: { id: w.agent.id }, readReceiptToken: 'EAAG-secret-token' });
    const stored = await w.core.storeReply({ uow: w.uow, conversationId, epoch: job.epoch, parts: ['Tomorrow.'] });
    if (stored.kind !== 'stored') throw new Error(stored.kind);
    const permit = await w.core.prepareSend({ uow: w.uow, conversationId, epoch: job.epoch, messageId: stored.messages[0]!.id });
    expect(permit).toMatchObject({ kind: 'send', customerId: '15551234567', accessToken: 'EAAG-secret-token' });
    await w.core.recordSendOutcome({ uow: w.uow, messageId: stored.messages[0]!.id, outcome: { kind: 'sent', platformMessageId: 'wamid.OUT1' } });
    expect(await w.core.finishReplyTurn({ uow: w.uow, conversationId, epoch: job.epoch })).toBe('done');
    expect((await w.messages(conversationId)).map((m) => [m.role, m.status, m.platformMessageId !== null])).toEqual([
      ['user', 'received', true],
      ['assistant', 'sent', true],
    ]);

    // A later claim fences out the earlier one.
    await w.receive();
    w.deps.clock.advance(REPLIES.debounceMs);
    const second = (await w.claim())!;
    w.deps.clock.advance(31_000);
    const third = (await w.claim())!;
    expect(third.epoch).toBe(second.epoch + 1);
    expect(await w.core.beginReplyTurn({ uow: w.uow, conversationId, epoch: second.epoch, historyLimit: 20 })).toEqual({ kind: 'lost' });
    expect(await w.core.storeReply({ uow: w.uow, conversationId, epoch: second.epoch, parts: ['x'] })).toEqual({ kind: 'lost' });
    expect(await w.core.finishReplyTurn({ uow: w.uow, conversationId, epoch: second.epoch })).toBe('lost');
  });

  it('the 24-hour window: a part whose send would go out later fails as outside_window and is not sent', async () => {
    const w = await replying();
    const { conversationId } = await w.receive();
    w.deps.clock.advance(REPLIES.debounceMs);
    const job = (await w.claim())!;
    await w.core.beginReplyTurn({ uow: w.uow, conversationId, epoch: job.epoch, historyLimit: 20 });
    const stored = await w.core.storeReply({ uow: w.uow, conversationId, epoch: job.epoch, parts: ['Late.'] });
    if (stored.kind !== 'stored') throw new Error(stored.kind);
    w.deps.clock.advance(SERVICE_WINDOW_MS);
    expect(await w.core.prepareSend({ uow: w.uow, conversationId, epoch: job.epoch, messageId: stored.messages[0]!.id })).toEqual({
      kind: 'skipped',
      reason: 'outside_window',
    });
    expect((await w.messages(conversationId))[1]).toMatchObject({ status: 'failed', failureReason: 'outside_window' });
  });

  it('R1: a takeover between storing the reply and its send fails the part as agent_unavailable', async () => {
    const w = await replying();
    const { conversationId } = await w.receive();
    w.deps.clock.advance(REPLIES.debounceMs);
    const job = (await w.claim())!;
    await w.core.beginReplyTurn({ uow: w.uow, conversationId, epoch: job.epoch, historyLimit: 20 });
    const stored = await w.core.storeReply({ uow: w.uow, conversationId, epoch: job.epoch, parts: ['From the old agent.'] });
    if (stored.kind !== 'stored') throw new Error(stored.kind);
    // R1–R2: the old agent lets the number go, a new one takes it and archives the conversation.
    await w.core.deleteAgent({ ctx: w.ctx(), id: w.agent.id });
    await w.core.createAgent({ ctx: w.ctx(), input: { name: 'New desk', instructions, phoneNumberId: w.aliceNumber.id } });
    expect(await w.core.prepareSend({ uow: w.uow, conversationId, epoch: job.epoch, messageId: stored.messages[0]!.id })).toEqual({
      kind: 'skipped',
      reason: REPLY_FAILURE.agentUnavailable,
    });
  });
});

describe('§8 rules', () => {
  const reply = (status: Message['status'], failureReason: string | null = null) => ({ role: 'assistant' as const, status, failureReason });

  it('statuses move forwards only; Meta’s failed settles pending or sent; interrupted gives way to anything Meta reports', () => {
    expect(advanceStatus(reply('pending'), 'sent', null)).toEqual({ status: 'sent', failureReason: null });
    expect(advanceStatus(reply('sent'), 'read', null)).toEqual({ status: 'read', failureReason: null });
    expect(advanceStatus(reply('read'), 'delivered', null)).toBeNull();
    expect(advanceStatus(reply('delivered'), 'delivered', null)).toBeNull();
    expect(advanceStatus(reply('sent'), 'failed', 'meta 131026: x')).toEqual({ status: 'failed', failureReason: 'meta 131026: x' });
    expect(advanceStatus(reply('delivered'), 'failed', 'meta 1: x')).toBeNull();
    expect(advanceStatus(reply('failed', 'interrupted'), 'delivered', null)).toEqual({ status: 'delivered', failureReason: null });
    expect(advanceStatus(reply('failed', 'meta 131047: x'), 'read', null)).toBeNull();
    expect(advanceStatus({ role: 'user', status: 'received', failureReason: null }, 'read', null)).toBeNull();
  });

  it('the window is open for less than 24 hours after the customer’s last message', () => {
    expect(insideServiceWindow(0, SERVICE_WINDOW_MS - 1)).toBe(true);
    expect(insideServiceWindow(0, SERVICE_WINDOW_MS)).toBe(false);
    expect(insideServiceWindow(null, 0)).toBe(false);
  });

  it('R1–R3, R5: who answers a conversation', async () => {
    const w = await replying();
    const { conversationId } = await w.receive();
    const conversation = await w.core.getConversation({ ctx: w.ctx(), id: conversationId });
    const agent = await w.core.getAgent({ ctx: w.ctx(), id: w.agent.id });
    expect(whyNotAnswering(conversation, agent)).toBeNull();
    expect(whyNotAnswering({ ...conversation, status: 'archived' }, agent)).toBe('conversation_archived');
    expect(whyNotAnswering({ ...conversation, agentId: null }, agent)).toBe('no_agent');
    expect(whyNotAnswering(conversation, { ...agent, isActive: false })).toBe('agent_not_active');
    expect(whyNotAnswering(conversation, { ...agent, id: 'agent_other' })).toBe('agent_not_active');
    expect(whyNotAnswering(conversation, { ...agent, instructions: '  ', promptId: null })).toBe('no_instructions');
    expect(whyNotAnswering(conversation, { ...agent, instructions: null, promptId: 'pmpt_1' })).toBeNull();
  });
});
