import { afterEach, describe, expect, it } from 'vitest';
import { createLegacyApp } from '@gateway/legacy-api';
import { createOrgApp } from '@gateway/org-api';
import { replyWorld, sleep, OPENAI_KEY, type ReplyWorld } from './world';

/**
 * §8 end to end in one process: a signed delivery → the queue → the worker → the fake model → the
 * fake Graph API → both dialects, on the storage GATEWAY_TEST_STORAGE picks (SQLite, PostgreSQL).
 */

let world: ReplyWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const sent = (w: ReplyWorld) => w.graph.sends();

describe('replies: the whole loop', () => {
  it('a WhatsApp message gets one reply with the model text; both dialects show both messages with roles and statuses', async () => {
    const w = (world = await replyWorld());
    const agent = await w.createAgent(w.gw.numbers.alice.id);
    const inbound = 'wamid.CUSTOMER0001';
    const res = await w.whatsapp(['Where is my order?'], '15551230001', [inbound]);
    expect(res.status).toBe(200);

    await w.until(() => Promise.resolve(sent(w).length), (n) => n >= 1);
    await w.until(() => w.messages(w.gw.numbers.alice.id), (m) => m.some((x) => x.status === 'sent'));
    await sleep(200);
    expect(sent(w)).toHaveLength(1);

    // The read receipt with the typing indicator went first, for the customer's message.
    const reads = w.graph.requests.filter((r) => (r.body as { status?: string }).status === 'read');
    expect(reads.map((r) => r.body)).toEqual([{ messaging_product: 'whatsapp', status: 'read', message_id: inbound, typing_indicator: { type: 'text' } }]);
    expect(w.graph.requests.indexOf(reads[0]!)).toBeLessThan(w.graph.requests.indexOf(sent(w)[0]!));

    // The model saw the agent's instructions after the preamble, and the customer's message.
    const [request] = w.model.bodies();
    expect(request).toMatchObject({ model: 'gpt-5-mini', input: [{ role: 'user', content: 'Where is my order?' }] });
    expect(String(request!.instructions)).toMatch(/WhatsApp[\s\S]*\n\nAnswer questions about orders\.$/);
    expect(w.model.requests[0]!.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);

    const messages = await w.messages(w.gw.numbers.alice.id);
    expect(messages.map((m) => [m.role, m.text, m.status, m.failureReason])).toEqual([
      ['user', 'Where is my order?', 'received', null],
      ['assistant', 'Your order ships tomorrow.', 'sent', null],
    ]);
    const reply = messages[1]!;
    const send = sent(w)[0]!;
    expect(send.path).toBe(`/v24.0/${w.gw.numbers.alice.metaPhoneNumberId}/messages`);
    expect(send.headers.authorization).toBe('Bearer EAAG-alice-secret');
    expect(send.body).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '15551230001',
      type: 'text',
      text: { body: 'Your order ships tomorrow.' },
      biz_opaque_callback_data: reply.id,
    });
    expect(reply.platformMessageId).toBe(w.graph.sentIds[0]);

    // Both dialects show it.
    const conversationId = reply.conversationId;
    const legacy = await createLegacyApp(w.gw.services).request(`/v1/users/${w.gw.alice.id}/conversations/${conversationId}/messages`, {
      headers: { 'x-api-key': w.gw.tokens.full },
    });
    expect(legacy.status).toBe(200);
    const legacyBody = (await legacy.json()) as { messages?: unknown[]; data?: unknown[] };
    const legacyMessages = (legacyBody.messages ?? legacyBody.data ?? []) as Record<string, unknown>[];
    expect(legacyMessages.map((m) => [m.sender, m.status, m.failure_reason])).toEqual([
      ['user', 'received', null],
      ['agent', 'sent', null],
    ]);
    const org = await createOrgApp(w.gw.services).request(`/api/v1/conversations/${conversationId}/messages`, {
      headers: { authorization: `Bearer ${w.gw.tokens.full}` },
    });
    expect(org.status).toBe(200);
    const orgMessages = ((await org.json()) as { data: Record<string, unknown>[] }).data;
    expect(orgMessages.map((m) => [m.role, m.content, m.status, m.failure_reason])).toEqual([
      ['user', 'Where is my order?', 'received', null],
      ['assistant', 'Your order ships tomorrow.', 'sent', null],
    ]);

    // One log line for the turn (written once the turn is finished, just after the send), with no
    // message text, token or key in any line.
    await w.until(() => Promise.resolve(w.turns().length), (n) => n >= 1);
    const turn = w.turns();
    expect(turn).toHaveLength(1);
    expect(turn[0]).toMatchObject({ conversation_id: conversationId, agent_id: agent.id, outcome: 'replied', model_attempts: 1, send: ['sent'] });
    const logged = JSON.stringify(w.logs);
    for (const secret of ['Where is my order', 'ships tomorrow', 'EAAG-alice-secret', OPENAI_KEY]) expect(logged).not.toContain(secret);
    expect(await w.depth()).toEqual({ due: 0, waiting: 0, held: 0 });
  });

  it('an Instagram message gets one reply through the Instagram send', async () => {
    const w = (world = await replyWorld());
    await w.createAgent(w.gw.numbers.bob.id);
    expect((await w.instagram('Do you ship to Lisbon?', '9988776655443322')).status).toBe(200);
    await w.until(() => w.messages(w.gw.numbers.bob.id), (m) => m.some((x) => x.status === 'sent'));
    expect(sent(w)).toHaveLength(1);
    expect(sent(w)[0]!.body).toEqual({ recipient: { id: '9988776655443322' }, message: { text: 'Your order ships tomorrow.' } });
    expect(sent(w)[0]!.headers.authorization).toBe('Bearer IGQ-bob-secret');
    // No read receipt on Instagram.
    expect(w.graph.requests).toHaveLength(1);
    expect(String(w.model.bodies()[0]!.instructions)).toContain('Instagram');
    const messages = await w.messages(w.gw.numbers.bob.id);
    expect(messages.map((m) => [m.role, m.status])).toEqual([
      ['user', 'received'],
      ['assistant', 'sent'],
    ]);
    expect(messages[1]!.platformMessageId).toBe(w.graph.sentIds[0]);
  });

  it('three messages in one burst get one reply that answers all three', async () => {
    const w = (world = await replyWorld({ debounceMs: 250 }));
    await w.createAgent(w.gw.numbers.alice.id);
    await w.whatsapp(['Hi']);
    await sleep(60);
    await w.whatsapp(['I ordered shoes']);
    await sleep(60);
    await w.whatsapp(['Where are they?']);
    await w.until(() => Promise.resolve(sent(w).length), (n) => n >= 1);
    await sleep(400);
    expect(w.model.bodies()).toHaveLength(1);
    expect(w.model.bodies()[0]!.input).toEqual([
      { role: 'user', content: 'Hi' },
      { role: 'user', content: 'I ordered shoes' },
      { role: 'user', content: 'Where are they?' },
    ]);
    expect(sent(w)).toHaveLength(1);
  });

  it('REPLY_MAX_WAIT_MS caps the debounce: a customer who never pauses is answered anyway', async () => {
    const w = (world = await replyWorld({ debounceMs: 200, maxWaitMs: 500 }));
    await w.createAgent(w.gw.numbers.alice.id);
    const started = Date.now();
    for (let i = 0; i < 10 && sent(w).length === 0; i++) {
      await w.whatsapp([`message ${i}`]);
      await sleep(100);
    }
    expect(sent(w).length).toBeGreaterThanOrEqual(1);
    expect(Date.now() - started).toBeLessThan(1000 + 500);
  });

  it('a message that arrives while a turn is answered is answered by the next reply, after the first, with it in the history', async () => {
    const w = (world = await replyWorld({ debounceMs: 20 }));
    await w.createAgent(w.gw.numbers.alice.id);
    w.model.script({ text: 'First answer.', delayMs: 400 }, { text: 'Second answer.' });
    await w.whatsapp(['First question']);
    await w.until(() => Promise.resolve(w.model.requests.length), (n) => n >= 1);
    await w.whatsapp(['Second question']);
    await w.whatsapp(['Third question']);
    await w.until(() => Promise.resolve(sent(w).length), (n) => n >= 2);
    await sleep(200);
    expect(w.model.bodies()).toHaveLength(2);
    expect(w.model.bodies()[1]!.input).toEqual([
      { role: 'user', content: 'First question' },
      { role: 'user', content: 'Second question' },
      { role: 'user', content: 'Third question' },
      { role: 'assistant', content: 'First answer.' },
    ]);
    const messages = await w.messages(w.gw.numbers.alice.id);
    expect(messages.map((m) => [m.role, m.text])).toEqual([
      ['user', 'First question'],
      ['user', 'Second question'],
      ['user', 'Third question'],
      ['assistant', 'First answer.'],
      ['assistant', 'Second answer.'],
    ]);
    expect(sent(w).map((r) => (r.body as { text: { body: string } }).text.body)).toEqual(['First answer.', 'Second answer.']);
  });

  it('Meta redelivering the message, at once and later, gives one reply', async () => {
    const w = (world = await replyWorld());
    await w.createAgent(w.gw.numbers.alice.id);
    const id = 'wamid.REDELIVERED01';
    const results = await Promise.all([1, 2, 3, 4].map(() => w.whatsapp(['Hello?'], '15551230001', [id])));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    await w.until(() => Promise.resolve(sent(w).length), (n) => n >= 1);
    await w.whatsapp(['Hello?'], '15551230001', [id]);
    await sleep(300);
    expect(sent(w)).toHaveLength(1);
    expect((await w.messages(w.gw.numbers.alice.id)).map((m) => m.role)).toEqual(['user', 'assistant']);
  });

  it('a long reply is split at paragraph boundaries, each part stored and sent on its own, in order', async () => {
    const w = (world = await replyWorld());
    await w.createAgent(w.gw.numbers.bob.id);
    const paragraph = (n: number) => `${`Paragraph ${n} `.repeat(70).trim()}.`;
    w.model.setDefault({ text: [paragraph(1), paragraph(2), paragraph(3)].join('\n\n') });
    await w.instagram('Tell me everything');
    await w.until(() => Promise.resolve(sent(w).length), (n) => n >= 3);
    await sleep(100);
    const texts = sent(w).map((r) => (r.body as { message: { text: string } }).message.text);
    expect(texts.every((t) => t.length <= 1000)).toBe(true);
    expect(texts.join('\n\n')).toBe([paragraph(1), paragraph(2), paragraph(3)].join('\n\n'));
    const replies = (await w.messages(w.gw.numbers.bob.id)).filter((m) => m.role === 'assistant');
    expect(replies.map((m) => m.text)).toEqual(texts);
    expect(replies.map((m) => m.platformMessageId)).toEqual(w.graph.sentIds);
    expect(replies.every((m) => m.status === 'sent')).toBe(true);
  });
});

describe('replies: delivery statuses', () => {
  it('move forwards only, in any order and any number of times; failed carries Meta’s error', async () => {
    const w = (world = await replyWorld());
    await w.createAgent(w.gw.numbers.alice.id);
    w.model.setDefault({ text: 'One.\n\n' + 'x'.repeat(4095) });
    await w.whatsapp(['Hi']);
    await w.until(() => w.messages(w.gw.numbers.alice.id), (m) => m.filter((x) => x.status === 'sent').length === 2);
    const [first, second] = w.graph.sentIds;
    const status = (id: string, s: string, extra: object = {}) => ({ id, status: s, timestamp: '1767225600', recipient_id: '15551230001', ...extra });
    expect((await w.status([status(first!, 'read'), status(first!, 'delivered'), status(first!, 'sent'), status(first!, 'read')])).status).toBe(200);
    expect(
      (await w.status([status(second!, 'failed', { errors: [{ code: 131026, title: 'Message undeliverable', message: 'Message undeliverable' }] })])).status,
    ).toBe(200);
    await w.status([status(second!, 'delivered')]);
    const replies = (await w.messages(w.gw.numbers.alice.id)).filter((m) => m.role === 'assistant');
    expect(replies.map((m) => [m.status, m.failureReason])).toEqual([
      ['read', null],
      ['failed', 'meta 131026: Message undeliverable'],
    ]);
    // A status for a message nobody sent is acknowledged and changes nothing.
    expect((await w.status([status('wamid.UNKNOWN', 'read')])).status).toBe(200);
  });
});

describe('replies: failures', () => {
  it('model 429 (with Retry-After), 500 and a timeout are retried: one reply, four calls', async () => {
    const w = (world = await replyWorld({ modelTimeoutMs: 300 }));
    await w.createAgent(w.gw.numbers.alice.id);
    w.model.script({ status: 429, headers: { 'retry-after-ms': '30' } }, { status: 500 }, { hang: true }, { text: 'Finally.' });
    await w.whatsapp(['Anyone there?']);
    await w.until(() => Promise.resolve(sent(w).length), (n) => n >= 1, 10_000);
    expect(w.model.requests).toHaveLength(4);
    expect((sent(w)[0]!.body as { text: { body: string } }).text.body).toBe('Finally.');
    await w.until(() => Promise.resolve(w.turns().length), (n) => n >= 1);
    expect(w.turns()[0]).toMatchObject({ outcome: 'replied', model_attempts: 4 });
  });

  it('a model 4xx fails the turn at once: a failed reply with the reason, nothing sent; the next message is answered with the earlier one in its history', async () => {
    const w = (world = await replyWorld());
    await w.createAgent(w.gw.numbers.alice.id);
    w.model.script({ status: 400, error: { message: 'Invalid prompt: Where is my order?', code: 'invalid_prompt' } });
    await w.whatsapp(['Where is my order?']);
    const failed = await w.until(() => w.messages(w.gw.numbers.alice.id), (m) => m.some((x) => x.status === 'failed'));
    expect(w.model.requests).toHaveLength(1);
    expect(sent(w)).toHaveLength(0);
    const reply = failed.find((m) => m.role === 'assistant')!;
    expect(reply.text).toBe('');
    expect(reply.failureReason).toMatch(/400/);
    expect(reply.failureReason).not.toContain('Where is my order');

    await w.whatsapp(['Hello again']);
    await w.until(() => Promise.resolve(sent(w).length), (n) => n >= 1);
    expect(w.model.bodies()[1]!.input).toEqual([
      { role: 'user', content: 'Where is my order?' },
      { role: 'user', content: 'Hello again' },
    ]);
  });

  it('Graph 5xx and rate limits are retried; a 4xx such as 131047 fails the message with Meta’s reason', async () => {
    const w = (world = await replyWorld());
    await w.createAgent(w.gw.numbers.alice.id);
    w.graph.script({ status: 502 }, { error: { code: 130429 } }, { ok: true });
    await w.whatsapp(['First']);
    await w.until(() => w.messages(w.gw.numbers.alice.id), (m) => m.some((x) => x.status === 'sent'));
    expect(sent(w)).toHaveLength(3);

    w.graph.script({ error: { code: 131047 } });
    await w.whatsapp(['Second']);
    const messages = await w.until(() => w.messages(w.gw.numbers.alice.id), (m) => m.some((x) => x.status === 'failed'));
    expect(sent(w)).toHaveLength(4);
    expect(messages.find((m) => m.status === 'failed')!.failureReason).toMatch(/^meta 131047/);
  });

  it('an access token Meta refuses fails the message and is logged once per number as needing attention, without the token', async () => {
    const w = (world = await replyWorld());
    await w.createAgent(w.gw.numbers.alice.id);
    w.graph.setDefault({ error: { code: 190, status: 401 } });
    await w.whatsapp(['One'], '15551230001');
    await w.until(() => w.messages(w.gw.numbers.alice.id), (m) => m.filter((x) => x.status === 'failed').length === 1);
    await w.whatsapp(['Two'], '15551230002');
    await w.until(() => w.messages(w.gw.numbers.alice.id), (m) => m.filter((x) => x.status === 'failed').length === 2);
    const attention = w.logs.filter((l) => l.level === 'error' && /access token/.test(l.message));
    expect(attention).toHaveLength(1);
    expect(attention[0]!.fields).toMatchObject({ phone_number_id: w.gw.numbers.alice.id, meta_code: 190 });
    expect(JSON.stringify(w.logs)).not.toContain('EAAG-alice-secret');
  });

  it('a send whose answer is lost is not repeated: failed as interrupted, then settled by the status callback through biz_opaque_callback_data', async () => {
    const w = (world = await replyWorld({ graphTimeoutMs: 200 }));
    await w.createAgent(w.gw.numbers.alice.id);
    w.graph.script({ hang: true });
    await w.whatsapp(['Hi']);
    const messages = await w.until(() => w.messages(w.gw.numbers.alice.id), (m) => m.some((x) => x.status === 'failed'));
    await sleep(200);
    expect(sent(w)).toHaveLength(1);
    const reply = messages.find((m) => m.role === 'assistant')!;
    expect([reply.status, reply.failureReason, reply.platformMessageId]).toEqual(['failed', 'interrupted', null]);

    await w.status([{ id: 'wamid.FROMMETA01', status: 'delivered', timestamp: '1767225600', recipient_id: '15551230001', biz_opaque_callback_data: reply.id }]);
    const settled = (await w.messages(w.gw.numbers.alice.id)).find((m) => m.id === reply.id)!;
    expect([settled.status, settled.failureReason, settled.platformMessageId]).toEqual(['delivered', null, 'wamid.FROMMETA01']);
  });
});

describe('replies: the agent decides at send time', () => {
  it('a takeover while the model is asked drops the reply: nothing goes out from the old agent', async () => {
    const w = (world = await replyWorld());
    const old = await w.createAgent(w.gw.numbers.alice.id, { name: 'Old desk' });
    w.model.script({ text: 'From the old agent.', delayMs: 400 });
    await w.whatsapp(['Hi']);
    await w.until(() => Promise.resolve(w.model.requests.length), (n) => n >= 1);
    // R1–R2: the old agent lets the number go and a new one takes it, archiving the conversation.
    await w.gw.core.deleteAgent({ ctx: w.ctx, id: old.id });
    await w.createAgent(w.gw.numbers.alice.id, { name: 'New desk' });
    await w.until(() => Promise.resolve(w.turns().length), (n) => n >= 1);
    await sleep(200);
    expect(sent(w)).toHaveLength(0);
    expect(w.turns()[0]).toMatchObject({ outcome: 'dropped', reason: 'conversation_archived' });
    expect((await w.messages(w.gw.numbers.alice.id)).map((m) => m.role)).toEqual(['user']);
    expect(await w.depth()).toEqual({ due: 0, waiting: 0, held: 0 });
  });

  it('deactivation while the model is asked drops the reply', async () => {
    const w = (world = await replyWorld());
    const agent = await w.createAgent(w.gw.numbers.alice.id);
    w.model.script({ text: 'Too late.', delayMs: 400 });
    await w.whatsapp(['Hi']);
    await w.until(() => Promise.resolve(w.model.requests.length), (n) => n >= 1);
    await w.gw.core.updateAgent({ ctx: w.ctx, id: agent.id, input: { isActive: false } });
    await w.until(() => Promise.resolve(w.turns().length), (n) => n >= 1);
    expect(sent(w)).toHaveLength(0);
    expect(w.turns()[0]).toMatchObject({ outcome: 'dropped', reason: 'agent_not_active' });
  });

  it('configuration is read when the turn starts: an edit before it is used', async () => {
    const w = (world = await replyWorld({ debounceMs: 300 }));
    const agent = await w.createAgent(w.gw.numbers.alice.id);
    await w.whatsapp(['Hi']);
    await w.gw.core.updateAgent({ ctx: w.ctx, id: agent.id, input: { instructions: 'Answer in Portuguese.', model: 'gpt-5' } });
    await w.until(() => Promise.resolve(sent(w).length), (n) => n >= 1);
    expect(w.model.bodies()[0]).toMatchObject({ model: 'gpt-5' });
    expect(String(w.model.bodies()[0]!.instructions)).toMatch(/Answer in Portuguese\.$/);
  });

  it('a number without an agent stores the message and queues nothing', async () => {
    const w = (world = await replyWorld());
    await w.whatsapp(['Anyone?']);
    await sleep(200);
    expect(w.model.requests).toHaveLength(0);
    expect((await w.messages(w.gw.numbers.alice.id)).map((m) => m.status)).toEqual(['received']);
    expect(await w.depth()).toEqual({ due: 0, waiting: 0, held: 0 });
  });
});

describe('replies: several workers, crashes', () => {
  it('two workers (as two instances would) racing over 12 conversations answer each exactly once', async () => {
    const w = (world = await replyWorld({ debounceMs: 10 }));
    w.startWorker();
    await w.createAgent(w.gw.numbers.alice.id);
    w.model.setDefault({ text: 'Answer.', delayMs: 30 });
    const customers = Array.from({ length: 12 }, (_, i) => `1555000${String(i).padStart(4, '0')}`);
    await Promise.all(customers.map((c) => w.whatsapp(['Question'], c)));
    await w.until(() => Promise.resolve(sent(w).length), (n) => n >= 12);
    await sleep(300);
    expect(sent(w)).toHaveLength(12);
    expect(new Set(sent(w).map((r) => (r.body as { to: string }).to))).toEqual(new Set(customers));
    expect(w.model.requests).toHaveLength(12);
  });

  it('a worker that died after claiming a turn: the turn is answered once, after the lease runs out', async () => {
    const w = (world = await replyWorld({ noWorker: true }));
    await w.createAgent(w.gw.numbers.alice.id);
    await w.whatsapp(['Hi']);
    await sleep(80);
    // The "dead" worker claims and never comes back.
    const [claimed] = await w.gw.core.claimReplyTurns({ uow: w.gw.uow, leaseMs: 400, limit: 1 });
    expect(claimed).toBeDefined();
    w.startWorker();
    await sleep(200);
    expect(w.model.requests).toHaveLength(0);
    await w.until(() => Promise.resolve(sent(w).length), (n) => n >= 1);
    await sleep(200);
    expect(sent(w)).toHaveLength(1);
    // The late worker can post nothing under its old epoch.
    expect(await w.gw.core.storeReply({ uow: w.gw.uow, conversationId: claimed!.conversationId, epoch: claimed!.epoch, parts: ['late'] })).toEqual({ kind: 'lost' });
    expect((await w.messages(w.gw.numbers.alice.id)).map((m) => m.text)).toEqual(['Hi', 'Your order ships tomorrow.']);
  });

  it('a crash inside the send never sends again: the pending reply becomes failed/interrupted when the turn is taken up', async () => {
    const w = (world = await replyWorld({ noWorker: true }));
    await w.createAgent(w.gw.numbers.alice.id);
    await w.whatsapp(['Hi']);
    await sleep(80);
    const [claimed] = await w.gw.core.claimReplyTurns({ uow: w.gw.uow, leaseMs: 300, limit: 1 });
    const begun = await w.gw.core.beginReplyTurn({ uow: w.gw.uow, conversationId: claimed!.conversationId, epoch: claimed!.epoch, historyLimit: 20 });
    expect(begun.kind).toBe('answer');
    const stored = await w.gw.core.storeReply({ uow: w.gw.uow, conversationId: claimed!.conversationId, epoch: claimed!.epoch, parts: ['Stored, maybe sent.'] });
    expect(stored.kind).toBe('stored');
    // …the process dies here, inside the send.
    w.startWorker();
    await w.until(() => w.messages(w.gw.numbers.alice.id), (m) => m.some((x) => x.status === 'failed'));
    await sleep(200);
    expect(sent(w)).toHaveLength(0);
    expect(w.model.requests).toHaveLength(0);
    const replies = (await w.messages(w.gw.numbers.alice.id)).filter((m) => m.role === 'assistant');
    expect(replies.map((m) => [m.text, m.status, m.failureReason])).toEqual([['Stored, maybe sent.', 'failed', 'interrupted']]);
    await w.until(() => Promise.resolve(w.turns().length), (n) => n >= 1);
    expect(w.turns()[0]).toMatchObject({ outcome: 'settled', interrupted: 1 });
    expect(await w.depth()).toEqual({ due: 0, waiting: 0, held: 0 });
  });

  it('stop() lets a running turn finish within the grace', async () => {
    const w = (world = await replyWorld({ noWorker: true }));
    await w.createAgent(w.gw.numbers.alice.id);
    const worker = w.startWorker();
    w.model.script({ text: 'Done in time.', delayMs: 300 });
    await w.whatsapp(['Hi']);
    await w.until(() => Promise.resolve(w.model.requests.length), (n) => n >= 1);
    expect(await worker.stop(3000)).toEqual({ handedBack: 0 });
    expect(sent(w)).toHaveLength(1);
  });

  it('stop() hands back a turn that outlives the grace, and another worker answers it at once', async () => {
    const w = (world = await replyWorld({ noWorker: true }));
    await w.createAgent(w.gw.numbers.alice.id);
    const worker = w.startWorker();
    w.model.script({ hang: true });
    await w.whatsapp(['Hi']);
    await w.until(() => Promise.resolve(w.model.requests.length), (n) => n >= 1);
    expect(await worker.stop(100)).toEqual({ handedBack: 1 });
    w.startWorker();
    await w.until(() => Promise.resolve(sent(w).length), (n) => n >= 1, 5000);
    expect(sent(w)).toHaveLength(1);
  });
});

describe('/metrics', () => {
  it('counts turns by outcome and reports the queue', async () => {
    const w = (world = await replyWorld());
    await w.createAgent(w.gw.numbers.alice.id);
    await w.whatsapp(['Hi']);
    await w.until(() => Promise.resolve(w.turns().length), (n) => n >= 1);
    const text = await w.metrics.registry.metrics();
    expect(text).toMatch(/^gateway_reply_turns_total\{outcome="replied"\} 1$/m);
    expect(text).toMatch(/^gateway_reply_queue_jobs\{state="due"\} 0$/m);
    expect(text).toMatch(/^gateway_reply_model_seconds_count\{outcome="ok"\} 1$/m);
    expect(text).toMatch(/^gateway_reply_send_seconds_count\{platform="whatsapp",outcome="ok"\} 1$/m);
  });
});
