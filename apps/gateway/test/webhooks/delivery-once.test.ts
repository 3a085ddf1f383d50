import { StorageError } from '@gateway/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookApp } from '../../src/webhooks/app';
import { fixtureText } from './fixtures';
import {
  APP_SECRET,
  deliver,
  recordingLogger,
  servicesFailingOnMessageInsert,
  VERIFY_TOKEN,
  wamid,
  webhookWorld,
  whatsappDelivery,
  whatsappText,
  type WebhookWorld,
} from './helpers';

/**
 * Meta delivers at least once: again after a failure or a timeout, and sometimes twice at the same
 * time. A platform message id is stored once per number, and a batch is stored whole or not at all.
 */

let w: WebhookWorld;

beforeAll(async () => {
  w = await webhookWorld();
});

afterAll(async () => {
  await w.gw.close();
});

let numbers = 0;
async function freshNumber() {
  const metaId = `2065${String(Date.now() % 1e9).padStart(9, '0')}${++numbers}`;
  const number = await w.gw.addNumber(w.gw.alice.id, metaId);
  const agent = await w.createAgent(number.id);
  return { number, metaId, agent };
}

const batchFor = (metaId: string) => fixtureText('whatsapp-batch').replaceAll('"106540352242922"', `"${metaId}"`);

describe('a platform message id is stored once', () => {
  it('the same delivery again is acknowledged and leaves one message', async () => {
    const { number, metaId } = await freshNumber();
    const raw = JSON.stringify(whatsappDelivery(metaId, [whatsappText({ from: '15550101010', text: 'Once only' })]));
    const first = await deliver(w.app, raw);
    const second = await deliver(w.app, raw);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(await second.json()).toEqual({ status: 'received' });
    const conversations = await w.conversations(number.id);
    expect(conversations).toHaveLength(1);
    expect(conversations[0]?.messageCount).toBe(1);
    expect(await w.messages(conversations[0]!.id)).toHaveLength(1);
    const summary = w.logger.lines.find((l) => l.level === 'info' && l.fields.request_id === second.headers.get('x-request-id'));
    expect(summary?.fields).toMatchObject({ messages: 1, stored: 0, duplicate: 1 });
  });

  it('two copies at once (Promise.all) leave one message', async () => {
    const { number, metaId } = await freshNumber();
    const raw = JSON.stringify(whatsappDelivery(metaId, [whatsappText({ from: '15550202020', text: 'Racing' })]));
    const responses = await Promise.all([deliver(w.app, raw), deliver(w.app, raw)]);
    expect(responses.map((r) => r.status)).toEqual([200, 200]);
    const conversations = await w.conversations(number.id);
    expect(conversations).toHaveLength(1);
    expect(conversations[0]?.messageCount).toBe(1);
    expect(await w.messages(conversations[0]!.id)).toHaveLength(1);
  });

  it('five copies of a batch at once store each of its messages once, in one conversation per customer', async () => {
    const { number, metaId } = await freshNumber();
    const raw = batchFor(metaId);
    const responses = await Promise.all(Array.from({ length: 5 }, () => deliver(w.app, raw)));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    const messages = await w.messagesOn(number.id);
    expect(messages).toHaveLength(4);
    expect(new Set(messages.map((m) => m.platformMessageId)).size).toBe(4);
    expect((await w.conversations(number.id)).map((c) => c.messageCount).sort()).toEqual([1, 3]);
  });

  it('the same message id twice inside one delivery is stored once', async () => {
    const { number, metaId } = await freshNumber();
    const message = whatsappText({ from: '15550303030', id: wamid('twice') });
    const res = await deliver(w.app, whatsappDelivery(metaId, [message, message]));
    expect(res.status).toBe(200);
    expect(await w.messagesOn(number.id)).toHaveLength(1);
  });

  it('the same message id on two different numbers is two messages (ids are unique per number)', async () => {
    const a = await freshNumber();
    const b = await freshNumber();
    const id = wamid('shared');
    await deliver(w.app, whatsappDelivery(a.metaId, [whatsappText({ from: '15550404040', id })]));
    await deliver(w.app, whatsappDelivery(b.metaId, [whatsappText({ from: '15550404040', id })]));
    expect(await w.messagesOn(a.number.id)).toHaveLength(1);
    expect(await w.messagesOn(b.number.id)).toHaveLength(1);
  });
});

describe('a batch is stored whole or not at all', () => {
  it('storing fails part-way: 500 with a generic body, nothing of the batch stored; the redelivery stores everything once', async () => {
    const { number, metaId } = await freshNumber();
    const raw = batchFor(metaId);
    const reported: { error: unknown; requestId: string }[] = [];
    const failing = servicesFailingOnMessageInsert({ ...w.gw.services, reportError: (error, requestId) => reported.push({ error, requestId }) }, 3);
    const logger = recordingLogger();
    const failingApp = createWebhookApp(failing, { appSecret: APP_SECRET, verifyToken: VERIFY_TOKEN, logger });

    const res = await deliver(failingApp, raw);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({
      error: { code: 'internal_error', message: 'Internal server error', request_id: res.headers.get('x-request-id') },
    });
    expect(text).not.toMatch(/SQLITE|disk|gateway\.db|stack/i);
    expect(failing.state.failures).toBe(1);
    expect(reported).toHaveLength(1);
    expect(reported[0]?.requestId).toBe(res.headers.get('x-request-id'));
    // The first two messages were written inside the transaction before the failure: rolled back.
    expect(await w.conversations(number.id)).toEqual([]);
    expect(await w.messagesOn(number.id)).toEqual([]);

    // Meta delivers it again; this time storage works.
    const retry = await deliver(w.app, raw);
    expect(retry.status).toBe(200);
    const again = await deliver(w.app, raw);
    expect(again.status).toBe(200);
    const messages = await w.messagesOn(number.id);
    expect(messages).toHaveLength(4);
    expect(new Set(messages.map((m) => m.platformMessageId)).size).toBe(4);
    expect((await w.conversations(number.id)).map((c) => [c.customerId, c.messageCount]).sort()).toEqual([
      ['16505551234', 3],
      ['233201234567', 1],
    ]);
  });

  it('a failure on the first write of a batch is a 500 too, and a later delivery is unaffected', async () => {
    const { number, metaId } = await freshNumber();
    const failing = servicesFailingOnMessageInsert({ ...w.gw.services, reportError: () => {} }, 1);
    const failingApp = createWebhookApp(failing, { appSecret: APP_SECRET, verifyToken: VERIFY_TOKEN });
    const raw = JSON.stringify(whatsappDelivery(metaId, [whatsappText({ from: '15550505050' })]));
    expect((await deliver(failingApp, raw)).status).toBe(500);
    expect(await w.messagesOn(number.id)).toEqual([]);
    expect((await deliver(w.app, raw)).status).toBe(200);
    expect(await w.messagesOn(number.id)).toHaveLength(1);
  });

  it('an unavailable database is 503 with Retry-After, nothing stored, so Meta delivers again', async () => {
    const { number, metaId } = await freshNumber();
    const down = new StorageError('unavailable', 'Storage is unavailable (ECONNREFUSED)');
    const unavailable = { ...w.gw.services, reportError: () => {}, uow: { read: () => Promise.reject(down), write: () => Promise.reject(down) } };
    const app = createWebhookApp(unavailable, { appSecret: APP_SECRET, verifyToken: VERIFY_TOKEN });
    const raw = JSON.stringify(whatsappDelivery(metaId, [whatsappText({ from: '15550606060' })]));
    const res = await deliver(app, raw);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toEqual({
      error: { code: 'service_unavailable', message: 'The service is temporarily unavailable. Please retry shortly.', request_id: res.headers.get('x-request-id') },
    });
    expect(await w.messagesOn(number.id)).toEqual([]);
    expect((await deliver(w.app, raw)).status).toBe(200);
    expect(await w.messagesOn(number.id)).toHaveLength(1);
  });

  it('a delivery that needs no write (statuses only) does not touch storage, so it succeeds even when storage fails', async () => {
    const failing = servicesFailingOnMessageInsert({ ...w.gw.services, reportError: () => {} }, 1);
    const failingApp = createWebhookApp(failing, { appSecret: APP_SECRET, verifyToken: VERIFY_TOKEN });
    expect((await deliver(failingApp, fixtureText('whatsapp-statuses'))).status).toBe(200);
  });
});
