import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookApp } from '../../src/webhooks/app';
import { fixture, fixtureText, NON_TEXT_STORED } from './fixtures';
import {
  APP_SECRET,
  deliver,
  PATH,
  recordingLogger,
  sign,
  VERIFY_TOKEN,
  wamid,
  webhookWorld,
  whatsappDelivery,
  whatsappText,
  type WebhookWorld,
} from './helpers';

let w: WebhookWorld;

beforeAll(async () => {
  w = await webhookWorld();
});

afterAll(async () => {
  await w.gw.close();
});

/** A fresh WhatsApp number of Alice's, with an active agent unless told otherwise. */
async function freshNumber(options: { agent?: boolean } = {}) {
  const metaId = `1065${Math.floor(Math.random() * 1e11)
    .toString()
    .padStart(11, '0')}`;
  const number = await w.gw.addNumber(w.gw.alice.id, metaId);
  const agent = options.agent === false ? null : await w.createAgent(number.id);
  return { number, metaId, agent };
}

/** A fixture re-pointed at another WhatsApp number, so tests in this file do not share messages. */
function retargeted(name: 'whatsapp-text' | 'whatsapp-batch' | 'whatsapp-statuses' | 'whatsapp-non-text', metaId: string): string {
  return fixtureText(name).replaceAll('"106540352242922"', `"${metaId}"`);
}

describe('GET /webhooks/meta: subscription handshake', () => {
  const handshake = (query: Record<string, string>, app = w.app) =>
    app.request(`${PATH}?${new URLSearchParams(query).toString()}`, { method: 'GET' });

  it('answers the challenge as text/plain when the mode is subscribe and the verify token matches', async () => {
    const res = await handshake({ 'hub.mode': 'subscribe', 'hub.verify_token': VERIFY_TOKEN, 'hub.challenge': '1158201444' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toBe('1158201444');
    expect(res.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{16}$/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it.each([
    ['a wrong verify token', { 'hub.mode': 'subscribe', 'hub.verify_token': 'guess', 'hub.challenge': '1' }],
    ['a token differing only in case', { 'hub.mode': 'subscribe', 'hub.verify_token': VERIFY_TOKEN.toUpperCase(), 'hub.challenge': '1' }],
    ['no verify token', { 'hub.mode': 'subscribe', 'hub.challenge': '1' }],
    ['another mode', { 'hub.mode': 'unsubscribe', 'hub.verify_token': VERIFY_TOKEN, 'hub.challenge': '1' }],
    ['no mode', { 'hub.verify_token': VERIFY_TOKEN, 'hub.challenge': '1' }],
  ])('403 for %s, and the challenge is not echoed', async (_name, query) => {
    const res = await handshake(query);
    expect(res.status).toBe(403);
    const body = (await res.json()) as { error: { code: string; request_id: string } };
    expect(body.error.code).toBe('forbidden');
    expect(body.error.request_id).toBe(res.headers.get('x-request-id'));
  });

  it('403 for every handshake when no verify token is configured', async () => {
    const app = createWebhookApp(w.gw.services, { appSecret: APP_SECRET });
    for (const token of ['', 'anything', 'null', 'undefined']) {
      const res = await handshake({ 'hub.mode': 'subscribe', 'hub.verify_token': token, 'hub.challenge': '1' }, app);
      expect(res.status).toBe(403);
    }
    const empty = createWebhookApp(w.gw.services, { appSecret: APP_SECRET, verifyToken: '' });
    expect((await handshake({ 'hub.mode': 'subscribe', 'hub.verify_token': '', 'hub.challenge': '1' }, empty)).status).toBe(403);
  });

  it('400 when the token matches but there is no challenge to answer', async () => {
    const res = await handshake({ 'hub.mode': 'subscribe', 'hub.verify_token': VERIFY_TOKEN });
    expect(res.status).toBe(400);
  });

  it('adopts a well-formed incoming X-Request-ID', async () => {
    const res = await w.app.request(`${PATH}?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=7`, {
      headers: { 'x-request-id': 'meta-retry-42' },
    });
    expect(res.headers.get('x-request-id')).toBe('meta-retry-42');
  });
});

describe('POST /webhooks/meta: signature on the raw bytes, before anything is parsed or stored', () => {
  it('a signed WhatsApp delivery creates one conversation with one message', async () => {
    const { number, metaId, agent } = await freshNumber();
    const raw = retargeted('whatsapp-text', metaId);
    const res = await deliver(w.app, raw);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'received' });
    expect(res.headers.get('x-request-id')).toMatch(/^req_/);

    const [conversation, ...others] = await w.conversations(number.id);
    expect(others).toEqual([]);
    expect(conversation).toMatchObject({ agentId: agent?.id, customerId: '16505551234', status: 'active', messageCount: 1 });
    const messages = await w.messages(conversation!.id);
    expect(messages).toHaveLength(1);
    // The body was verified as sent (pretty-printed, with \u escapes) and decoded only afterwards.
    expect(messages[0]).toMatchObject({ role: 'user', type: 'text', text: 'Hi! Does the blue one come in size M? ¿Habla español?' });
  });

  async function refusedAndNothingStored(makeRequest: (raw: string) => Promise<Response>) {
    const { number, metaId } = await freshNumber();
    const raw = retargeted('whatsapp-text', metaId);
    const res = await makeRequest(raw);
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { code: string; message: string; request_id: string } };
    expect(body.error).toEqual({ code: 'unauthorized', message: 'Invalid signature', request_id: res.headers.get('x-request-id') });
    expect(await w.conversations(number.id)).toEqual([]);
    return raw;
  }

  it('401 and nothing stored without a signature', async () => {
    await refusedAndNothingStored((raw) => deliver(w.app, raw, { signature: null }));
  });

  it('401 and nothing stored with a signature made with another secret', async () => {
    await refusedAndNothingStored((raw) => deliver(w.app, raw, { signature: sign(raw, 'not-the-app-secret') }));
  });

  it('401 and nothing stored with a signature over a different body', async () => {
    await refusedAndNothingStored((raw) => deliver(w.app, raw, { signature: sign(raw.replace('size M', 'size L')) }));
  });

  it('401 for a signature over the same JSON serialised again: the raw bytes are what is signed', async () => {
    await refusedAndNothingStored((raw) => deliver(w.app, raw, { signature: sign(JSON.stringify(JSON.parse(raw))) }));
  });

  it.each([
    ['the SHA-1 header form', (raw: string) => sign(raw).replace('sha256=', 'sha1=')],
    ['no algorithm prefix', (raw: string) => sign(raw).slice('sha256='.length)],
    ['a truncated digest', (raw: string) => sign(raw).slice(0, -2)],
    ['a non-hex digest', (_raw: string) => `sha256=${'z'.repeat(64)}`],
    ['two signatures', (raw: string) => `${sign(raw)},${sign(raw)}`],
    ['an empty header', (_raw: string) => ''],
  ])('401 and nothing stored for a malformed signature: %s', async (_name, signature) => {
    await refusedAndNothingStored((raw) => deliver(w.app, raw, { signature: signature(raw) }));
  });

  it('401 for every delivery when no app secret is configured, even one signed with an empty secret', async () => {
    const logger = recordingLogger();
    const app = createWebhookApp(w.gw.services, { verifyToken: VERIFY_TOKEN, logger });
    await refusedAndNothingStored((raw) => deliver(app, raw, { signature: sign(raw, '') }));
    expect(logger.lines).toContainEqual(expect.objectContaining({ level: 'warn', message: expect.stringContaining('META_APP_SECRET') }));
  });

  it('a signature is checked before the body is parsed: unsigned garbage is 401, not 400', async () => {
    const res = await deliver(w.app, '{not json', { signature: sign('something else') });
    expect(res.status).toBe(401);
  });

  it('an upper-case hex digest is the same signature', async () => {
    const { number, metaId } = await freshNumber();
    const raw = retargeted('whatsapp-text', metaId);
    const res = await deliver(w.app, raw, { signature: `sha256=${sign(raw).slice('sha256='.length).toUpperCase()}` });
    expect(res.status).toBe(200);
    expect(await w.conversations(number.id)).toHaveLength(1);
  });
});

describe('POST /webhooks/meta: bodies', () => {
  it('400 for malformed JSON under a valid signature, and nothing stored', async () => {
    const { number, metaId } = await freshNumber();
    const raw = retargeted('whatsapp-text', metaId).slice(0, -10);
    const res = await deliver(w.app, raw);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_json');
    expect(await w.conversations(number.id)).toEqual([]);
  });

  it('400 for a body that is not UTF-8', async () => {
    const bytes = new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]);
    const res = await w.app.request(PATH, { method: 'POST', headers: { 'x-hub-signature-256': sign(bytes) }, body: bytes });
    expect(res.status).toBe(400);
  });

  it('a body of exactly 1 MiB is accepted; one byte more is 413', async () => {
    const { number, metaId } = await freshNumber();
    const compact = JSON.stringify(whatsappDelivery(metaId, [whatsappText({ from: '15550001111', text: 'padded' })]));
    const exact = compact.slice(0, -1) + ' '.repeat(1024 * 1024 - compact.length) + '}';
    expect(Buffer.byteLength(exact)).toBe(1024 * 1024);
    const ok = await deliver(w.app, exact);
    expect(ok.status).toBe(200);
    expect(await w.conversations(number.id)).toHaveLength(1);

    const over = `${exact} `;
    const res = await deliver(w.app, over);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
  });

  it('valid JSON that is not a Meta delivery is acknowledged and ignored (Meta would only retry it)', async () => {
    for (const body of ['[]', '"hello"', '{"object":"page","entry":[]}', '{"object":"whatsapp_business_account"}']) {
      const res = await deliver(w.app, body);
      expect(res.status).toBe(200);
    }
  });

  it('405 with Allow for other methods', async () => {
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      const res = await w.app.request(PATH, { method });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, HEAD, POST');
    }
  });
});

describe('POST /webhooks/meta: what each kind of delivery does', () => {
  it('status callbacks for messages the gateway never sent are acknowledged and store nothing', async () => {
    const { number, metaId } = await freshNumber();
    const res = await deliver(w.app, retargeted('whatsapp-statuses', metaId));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'received' });
    expect(await w.conversations(number.id)).toEqual([]);
    const summary = w.logger.lines.find((l) => l.fields.request_id === res.headers.get('x-request-id') && l.level === 'info');
    expect(summary?.fields).toMatchObject({ messages: 0, stored: 0, statuses: { applied: 0, unchanged: 0, unknown_message: 4 }, ignored: {} });
  });

  it('non-text messages are stored with a placeholder text and their type', async () => {
    const { number, metaId } = await freshNumber();
    const res = await deliver(w.app, retargeted('whatsapp-non-text', metaId));
    expect(res.status).toBe(200);
    const [conversation] = await w.conversations(number.id);
    const messages = await w.messages(conversation!.id);
    expect(messages.map((m) => [m.type, m.text])).toEqual(NON_TEXT_STORED);
    expect(messages.map((m) => m.platformMessageId)).toContain('wamid.NT01-image');
    // The system message (the customer changed number) is not the customer's words: not stored.
    expect(conversation!.messageCount).toBe(11);
  });

  it('a batch with several entries, changes and customers is processed entirely', async () => {
    const { number, metaId, agent } = await freshNumber();
    const res = await deliver(w.app, retargeted('whatsapp-batch', metaId));
    expect(res.status).toBe(200);
    const conversations = await w.conversations(number.id);
    expect(conversations.map((c) => [c.customerId, c.messageCount]).sort()).toEqual([
      ['16505551234', 3],
      ['233201234567', 1],
    ]);
    expect(conversations.every((c) => c.agentId === agent?.id && c.status === 'active')).toBe(true);
    const sheena = conversations.find((c) => c.customerId === '16505551234')!;
    expect((await w.messages(sheena.id)).map((m) => m.text)).toEqual(['Hello, I ordered yesterday', 'Order #4417', '[image] This is the box it came in']);
    const summary = w.logger.lines.find((l) => l.fields.request_id === res.headers.get('x-request-id') && l.level === 'info');
    expect(summary?.fields).toMatchObject({ object: 'whatsapp_business_account', messages: 4, stored: 4, duplicate: 0, statuses: { unknown_message: 1 }, ignored: {} });
  });

  it('Instagram: text and attachments stored on the account, echoes and reads acknowledged and not stored', async () => {
    const agent = await w.createAgent(w.gw.numbers.bob.id, 'Insta helper');
    const res = await deliver(w.app, fixtureText('instagram-messaging'));
    expect(res.status).toBe(200);
    const conversations = await w.conversations(w.gw.numbers.bob.id, w.actors.bob);
    expect(conversations.map((c) => [c.customerId, c.messageCount, c.agentId]).sort()).toEqual([
      ['6702846433112345', 2, agent.id],
      ['7719384412256789', 1, agent.id],
    ]);
    const first = conversations.find((c) => c.customerId === '6702846433112345')!;
    expect((await w.messages(first.id)).map((m) => [m.type, m.text])).toEqual([
      ['text', 'Hi, is the red jacket still available?'],
      ['image', '[image]'],
    ]);

    // The changes[] form: one message, its echo ignored.
    expect((await deliver(w.app, fixtureText('instagram-changes'))).status).toBe(200);
    expect((await w.messages(first.id)).map((m) => m.text)).toEqual([
      'Hi, is the red jacket still available?',
      '[image]',
      'Sent from the changes form',
    ]);
    const texts = (await w.messagesOn(w.gw.numbers.bob.id)).map((m) => m.text);
    expect(texts).not.toContain('Yes! Which size do you need?');
    expect(texts).not.toContain('Thanks for writing!');
  });

  it('an unknown number is acknowledged (200), stores nothing, and is logged with the request id', async () => {
    const delivery = whatsappDelivery('999000111222333', [whatsappText({ from: '15550002222', text: 'Is anyone there?' })]);
    const res = await deliver(w.app, delivery);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'received' });
    const requestId = res.headers.get('x-request-id');
    expect(w.logger.lines).toContainEqual({
      level: 'warn',
      fields: { request_id: requestId, platform: 'whatsapp', meta_phone_number_id: '999000111222333', messages: 1 },
      message: 'webhook messages for an unknown number: acknowledged, not stored',
    });
  });

  it('a number of another platform with the same Meta id is still unknown (routing is by platform and id)', async () => {
    const delivery = fixture('instagram-changes');
    delivery.entry[0].changes[0].value.recipient.id = '106540352242922';
    const res = await deliver(w.app, delivery);
    expect(res.status).toBe(200);
    expect(w.logger.lines).toContainEqual(
      expect.objectContaining({ fields: expect.objectContaining({ request_id: res.headers.get('x-request-id'), platform: 'instagram' }) }),
    );
  });

  it('a number without an active agent is acknowledged (200), and every message is stored, counted in the summary line', async () => {
    const { number, metaId } = await freshNumber({ agent: false });
    const res = await deliver(w.app, whatsappDelivery(metaId, [whatsappText({ from: '15550003333' }), whatsappText({ from: '15550004444' })]));
    expect(res.status).toBe(200);
    const conversations = await w.conversations(number.id);
    expect(conversations.map((c) => [c.agentId, c.status, c.messageCount])).toEqual([
      [null, 'active', 1],
      [null, 'active', 1],
    ]);
    expect(w.logger.lines).toContainEqual({
      level: 'info',
      fields: expect.objectContaining({ request_id: res.headers.get('x-request-id'), stored: 2, stored_without_agent: 2 }),
      message: 'webhook delivery received',
    });
  });

  it('a delivery mixing a known number, an unknown one and statuses stores what it can and answers 200', async () => {
    const { number, metaId } = await freshNumber();
    const known = whatsappDelivery(metaId, [whatsappText({ from: '15550005555', id: wamid('known') })]);
    const unknown = whatsappDelivery('999000111222444', [whatsappText({ from: '15550005555' })]);
    const statuses = fixture('whatsapp-statuses');
    const delivery = { object: 'whatsapp_business_account', entry: [...unknown.entry, ...known.entry, ...statuses.entry] };
    const res = await deliver(w.app, delivery);
    expect(res.status).toBe(200);
    const [conversation] = await w.conversations(number.id);
    expect(conversation?.messageCount).toBe(1);
  });

  it('logs never carry message text, customer ids, the app secret or the verify token', () => {
    const logged = JSON.stringify(w.logger.lines);
    for (const secret of [
      APP_SECRET,
      VERIFY_TOKEN,
      'Is anyone there?',
      'Hi! Does the blue one come in size M?',
      'Scratch on the lid',
      'changed their phone number',
      '16505551234',
      '15550002222',
      '6702846433112345',
    ]) {
      expect(logged).not.toContain(secret);
    }
    expect(w.logger.lines.length).toBeGreaterThan(10);
    expect(w.gw.unexpected).toEqual([]);
  });
});
