import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMetaDelivery } from '../../src/webhooks/meta-payload';
import { deliver, wamid, webhookWorld, whatsappDelivery, whatsappText, type WebhookWorld } from './helpers';

/**
 * A delivery is signed JSON from Meta, so a string in it that is not Unicode text (a lone UTF-16
 * surrogate, `\ud800` in the JSON) cannot be refused back to a sender who would fix it: the message
 * holding it is acknowledged and ignored as malformed (logged with its path), never stored as
 * something else; the rest of the delivery is stored as usual.
 */

const NOT_UNICODE = 'message holds text that is not valid Unicode';
const ASTRAL = 'Where is my order? 📦 𝒜 客服';

/** The delivery as it travels: JSON text, with `\ud800` written as the six-character escape. */
const wire = (delivery: object) => JSON.stringify(delivery).replaceAll('LONE_HIGH', '\\ud800').replaceAll('LONE_LOW', '\\udc00');

describe('parseMetaDelivery: strings that are not Unicode text', () => {
  it('WhatsApp: a message with a lone surrogate in its text, sender, caption or a field name is malformed; the others are kept', () => {
    const good = whatsappText({ from: '15550001111', text: ASTRAL });
    const delivery = whatsappDelivery('106540352242922', [
      whatsappText({ from: '15550001111', text: 'Hello LONE_HIGH' }),
      whatsappText({ from: '1555LONE_LOW', text: 'Hello' }),
      { from: '15550001111', id: wamid(), timestamp: '1', type: 'image', image: { id: 'media1', caption: 'LONE_LOW scratch' } },
      { ...whatsappText({ from: '15550001111' }), context: { LONE_HIGH: true } },
      good,
    ]);
    const parsed = parseMetaDelivery(JSON.parse(wire(delivery)));
    expect(parsed.messages).toEqual([expect.objectContaining({ platformMessageId: good.id, customerId: '15550001111', text: ASTRAL })]);
    expect(parsed.ignored).toEqual(
      [0, 1, 2, 3].map((index) => ({ reason: 'malformed', at: `entry[0].changes[0].value.messages[${index}]`, detail: NOT_UNICODE })),
    );
  });

  it('WhatsApp: a metadata.phone_number_id that is not Unicode text routes nothing', () => {
    const parsed = parseMetaDelivery(JSON.parse(wire(whatsappDelivery('1065LONE_HIGH', [whatsappText({ from: '15550001111' })]))));
    expect(parsed.messages).toEqual([]);
    expect(parsed.ignored).toEqual([expect.objectContaining({ reason: 'malformed', detail: 'metadata.phone_number_id is missing' })]);
  });

  it('Instagram: an event with a lone surrogate in its text is malformed; astral text is kept exactly', () => {
    const event = (mid: string, text: string) => ({ sender: { id: '5550001' }, recipient: { id: '17841400000000001' }, timestamp: 1, message: { mid, text } });
    const delivery = { object: 'instagram', entry: [{ id: '17841400000000001', time: 1, messaging: [event('mid.1', 'Hi LONE_LOW'), event('mid.2', ASTRAL)] }] };
    const parsed = parseMetaDelivery(JSON.parse(wire(delivery)));
    expect(parsed.messages).toEqual([expect.objectContaining({ platformMessageId: 'mid.2', text: ASTRAL })]);
    expect(parsed.ignored).toEqual([{ reason: 'malformed', at: 'entry[0].messaging[0]', detail: NOT_UNICODE }]);
  });
});

describe('parseMetaDelivery: NUL characters', () => {
  it('a message holding U+0000 is malformed (PostgreSQL cannot store it); the others are kept', () => {
    const good = whatsappText({ from: '15550001111', text: ASTRAL });
    const delivery = whatsappDelivery('106540352242922', [whatsappText({ from: '15550001111', text: 'Hello NUL there' }), good]);
    const parsed = parseMetaDelivery(JSON.parse(JSON.stringify(delivery).replaceAll('NUL', '\\u0000')));
    expect(parsed.messages).toEqual([expect.objectContaining({ platformMessageId: good.id, text: ASTRAL })]);
    expect(parsed.ignored).toEqual([expect.objectContaining({ reason: 'malformed', at: 'entry[0].changes[0].value.messages[0]' })]);
  });
});

describe('POST /webhooks/meta with a lone surrogate', () => {
  let w: WebhookWorld;
  beforeAll(async () => {
    w = await webhookWorld();
  });
  afterAll(async () => {
    await w.gw.close();
  });

  it('answers 200, stores the other messages exactly as sent, logs the ignored one with its path, and stores nothing else', async () => {
    const metaId = '106599900000001';
    const number = await w.gw.addNumber(w.gw.alice.id, metaId);
    await w.createAgent(number.id);
    const body = wire(
      whatsappDelivery(metaId, [
        whatsappText({ from: '15550002222', text: 'Broken LONE_HIGH text' }),
        whatsappText({ from: '15550002222', text: ASTRAL }),
      ]),
    );
    expect(body).toContain('\\ud800');

    const res = await deliver(w.app, body);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'received' });
    expect((await w.messagesOn(number.id)).map((m) => m.text)).toEqual([ASTRAL]);
    expect(w.logger.lines).toContainEqual({
      level: 'warn',
      fields: { request_id: expect.any(String), at: 'entry[0].changes[0].value.messages[0]', detail: NOT_UNICODE },
      message: 'webhook item not understood: acknowledged, ignored',
    });
    expect(w.logger.lines.find((l) => l.message === 'webhook delivery received')?.fields).toMatchObject({ messages: 1, stored: 1, ignored: { malformed: 1 } });
    expect(w.gw.unexpected).toEqual([]);
  });
});
