import { describe, expect, it } from 'vitest';
import { parseMetaDelivery, placeholder } from '../../src/webhooks/meta-payload';
import { fixture, NON_TEXT_STORED } from './fixtures';

const ALICE_WA = '106540352242922';
const BOB_IG = '17841234567890123';

describe('parseMetaDelivery: WhatsApp', () => {
  it('a text message becomes one inbound message routed by metadata.phone_number_id', () => {
    const parsed = parseMetaDelivery(fixture('whatsapp-text'));
    expect(parsed).toEqual({
      object: 'whatsapp_business_account',
      messages: [
        {
          platform: 'whatsapp',
          metaPhoneNumberId: ALICE_WA,
          customerId: '16505551234',
          platformMessageId: 'wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=',
          type: 'text',
          text: 'Hi! Does the blue one come in size M? ¿Habla español?',
        },
      ],
      statuses: [],
      ignored: [],
    });
  });

  it('several entries, changes and messages: every message in delivery order, statuses apart', () => {
    const parsed = parseMetaDelivery(fixture('whatsapp-batch'));
    expect(parsed.messages.map((m) => [m.customerId, m.type, m.text])).toEqual([
      ['16505551234', 'text', 'Hello, I ordered yesterday'],
      ['233201234567', 'text', 'Are you open on Sunday?'],
      ['16505551234', 'text', 'Order #4417'],
      ['16505551234', 'image', '[image] This is the box it came in'],
    ]);
    expect(new Set(parsed.messages.map((m) => m.platformMessageId)).size).toBe(4);
    expect(parsed.messages.every((m) => m.platform === 'whatsapp' && m.metaPhoneNumberId === ALICE_WA)).toBe(true);
    expect(parsed.ignored).toEqual([]);
    expect(parsed.statuses).toEqual([
      {
        platform: 'whatsapp',
        metaPhoneNumberId: ALICE_WA,
        platformMessageId: 'wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA',
        status: 'delivered',
        failureReason: null,
        callbackData: null,
      },
    ]);
  });

  it('§8: status callbacks (sent, delivered, read, failed) become delivery statuses, never messages; failed carries Meta’s error', () => {
    const parsed = parseMetaDelivery(fixture('whatsapp-statuses'));
    expect(parsed.messages).toEqual([]);
    expect(parsed.ignored).toEqual([]);
    expect(parsed.statuses.map((st) => [st.status, st.failureReason, st.metaPhoneNumberId])).toEqual([
      ['sent', null, ALICE_WA],
      ['delivered', null, ALICE_WA],
      ['read', null, ALICE_WA],
      ['failed', 'meta 131047: Re-engagement message', ALICE_WA],
    ]);
  });

  it('§8: biz_opaque_callback_data is kept; kinds the gateway does not track and entries without an id are ignored with a reason', () => {
    const value = (statuses: unknown[]) => ({
      object: 'whatsapp_business_account',
      entry: [{ id: '1', changes: [{ field: 'messages', value: { metadata: { phone_number_id: ALICE_WA }, statuses } }] }],
    });
    const parsed = parseMetaDelivery(
      value([
        { id: 'wamid.A', status: 'delivered', recipient_id: '1', biz_opaque_callback_data: 'msg_0123' },
        { id: 'wamid.B', status: 'deleted', recipient_id: '1' },
        { status: 'read', recipient_id: '1' },
        'nonsense',
      ]),
    );
    expect(parsed.statuses).toEqual([
      { platform: 'whatsapp', metaPhoneNumberId: ALICE_WA, platformMessageId: 'wamid.A', status: 'delivered', failureReason: null, callbackData: 'msg_0123' },
    ]);
    expect(parsed.ignored.map((i) => [i.reason, i.detail])).toEqual([
      ['status', 'status deleted'],
      ['status', 'status read without a message id'],
      ['status', 'status without a kind'],
    ]);
    const orphan = parseMetaDelivery({
      object: 'whatsapp_business_account',
      entry: [{ id: '1', changes: [{ field: 'messages', value: { statuses: [{ id: 'wamid.C', status: 'read' }] } }] }],
    });
    expect(orphan.ignored).toEqual([{ reason: 'malformed', at: 'entry[0].changes[0].value.statuses[0]', detail: 'metadata.phone_number_id is missing' }]);
  });

  it('non-text messages get a placeholder text (with caption or picked reply) and their WhatsApp type; system messages are ignored', () => {
    const parsed = parseMetaDelivery(fixture('whatsapp-non-text'));
    expect(parsed.messages.map((m) => [m.type, m.text])).toEqual(NON_TEXT_STORED);
    expect(parsed.messages.map((m) => m.platformMessageId)).toEqual([
      'wamid.NT01-image',
      'wamid.NT02-audio',
      'wamid.NT03-video',
      'wamid.NT04-document',
      'wamid.NT05-sticker',
      'wamid.NT06-location',
      'wamid.NT07-contacts',
      'wamid.NT08-interactive',
      'wamid.NT09-button',
      'wamid.NT10-reaction',
      'wamid.NT11-unsupported',
    ]);
    expect(parsed.ignored).toEqual([{ reason: 'system', at: 'entry[0].changes[0].value.messages[11]', detail: 'system message' }]);
  });

  it('a list reply is labelled with the row title, a type Meta adds later with its own name', () => {
    const delivery = fixture('whatsapp-text');
    const value = delivery.entry[0].changes[0].value;
    value.messages = [
      { from: '16505551234', id: 'wamid.L1', timestamp: '1', type: 'interactive', interactive: { type: 'list_reply', list_reply: { id: 'r2', title: 'Tuesday 10:00', description: 'x' } } },
      { from: '16505551234', id: 'wamid.L2', timestamp: '1', type: 'order', order: { catalog_id: '1', product_items: [] } },
    ];
    expect(parseMetaDelivery(delivery).messages.map((m) => [m.type, m.text])).toEqual([
      ['interactive', '[interactive] Tuesday 10:00'],
      ['order', '[order]'],
    ]);
  });

  it('changes of other fields are ignored with the field named', () => {
    const parsed = parseMetaDelivery({
      object: 'whatsapp_business_account',
      entry: [{ id: '102290129340398', changes: [{ field: 'account_update', value: { event: 'VERIFIED_ACCOUNT' } }] }],
    });
    expect(parsed.messages).toEqual([]);
    expect(parsed.ignored).toEqual([{ reason: 'unsupported_field', at: 'entry[0].changes[0].field', detail: 'field account_update' }]);
  });

  it('malformed messages are ignored one by one and never stop the rest of the delivery', () => {
    const delivery = fixture('whatsapp-text');
    const value = delivery.entry[0].changes[0].value;
    const good = value.messages[0];
    value.messages = [
      { ...good, id: undefined },
      { ...good, id: 'wamid.B', from: '' },
      { ...good, id: 'wamid.C', type: undefined },
      { ...good, id: 'wamid.D', text: {} },
      'not an object',
      good,
    ];
    const parsed = parseMetaDelivery(delivery);
    expect(parsed.messages.map((m) => m.platformMessageId)).toEqual([good.id]);
    expect(parsed.ignored.map((i) => [i.reason, i.at, i.detail])).toEqual([
      ['malformed', 'entry[0].changes[0].value.messages[0]', 'message id is missing'],
      ['malformed', 'entry[0].changes[0].value.messages[1]', 'message from is missing'],
      ['malformed', 'entry[0].changes[0].value.messages[2]', 'message type is missing'],
      ['malformed', 'entry[0].changes[0].value.messages[3]', 'text message without text.body'],
      ['malformed', 'entry[0].changes[0].value.messages[4]', 'message is not an object'],
    ]);
  });

  it('messages without metadata.phone_number_id cannot be routed and are ignored', () => {
    const delivery = fixture('whatsapp-text');
    delete delivery.entry[0].changes[0].value.metadata;
    const parsed = parseMetaDelivery(delivery);
    expect(parsed.messages).toEqual([]);
    expect(parsed.ignored).toEqual([
      { reason: 'malformed', at: 'entry[0].changes[0].value.messages[0]', detail: 'metadata.phone_number_id is missing' },
    ]);
  });

  it('ignored items never carry message text or customer ids (they are logged)', () => {
    const delivery = fixture('whatsapp-non-text');
    const parsed = parseMetaDelivery(delivery);
    const logged = JSON.stringify(parsed.ignored);
    expect(logged).not.toContain('16505551234');
    expect(logged).not.toContain('changed their phone number');
  });
});

describe('parseMetaDelivery: Instagram', () => {
  it('messaging[] form: text and attachments stored, echoes and non-message events ignored, across entries', () => {
    const parsed = parseMetaDelivery(fixture('instagram-messaging'));
    expect(parsed.object).toBe('instagram');
    expect(parsed.messages.map((m) => [m.platform, m.metaPhoneNumberId, m.customerId, m.type, m.text])).toEqual([
      ['instagram', BOB_IG, '6702846433112345', 'text', 'Hi, is the red jacket still available?'],
      ['instagram', BOB_IG, '6702846433112345', 'image', '[image]'],
      ['instagram', BOB_IG, '7719384412256789', 'text', 'Do you ship to Canada?'],
    ]);
    expect(parsed.messages[0]?.platformMessageId).toMatch(/^aWdfZAG1faXRlbTox.*MDAx$/);
    expect(parsed.ignored.map((i) => [i.reason, i.at, i.detail])).toEqual([
      ['echo', 'entry[0].messaging[1]', 'echo of a message the business sent'],
      ['unsupported_event', 'entry[1].messaging[1]', 'event reaction'],
    ]);
    // §8: the customer read the business's message: a `read` status for that message id.
    expect(parsed.statuses).toEqual([
      { platform: 'instagram', metaPhoneNumberId: BOB_IG, platformMessageId: expect.stringMatching(/^aWdfZAG1faXRlbTox/), status: 'read', failureReason: null, callbackData: null },
    ]);
  });

  it('changes[] form: field messages parsed, echoes and other fields ignored', () => {
    const parsed = parseMetaDelivery(fixture('instagram-changes'));
    expect(parsed.messages).toEqual([
      {
        platform: 'instagram',
        metaPhoneNumberId: BOB_IG,
        customerId: '6702846433112345',
        platformMessageId: expect.stringMatching(/MDA1$/),
        type: 'text',
        text: 'Sent from the changes form',
      },
    ]);
    expect(parsed.ignored.map((i) => [i.reason, i.at])).toEqual([
      ['echo', 'entry[0].changes[1].value'],
      ['unsupported_field', 'entry[0].changes[2].field'],
    ]);
  });

  it('a message sent by the account itself is an echo even without is_echo', () => {
    const delivery = fixture('instagram-messaging');
    delete delivery.entry[0].messaging[1].message.is_echo;
    const parsed = parseMetaDelivery(delivery);
    expect(parsed.ignored[0]).toMatchObject({ reason: 'echo', at: 'entry[0].messaging[1]' });
  });

  it('routes by recipient.id, falling back to the entry id; deleted and unsupported messages', () => {
    const event = (message: Record<string, unknown>, recipient: unknown = { id: BOB_IG }) => ({
      sender: { id: '6702846433112345' },
      recipient,
      timestamp: 1,
      message,
    });
    const parsed = parseMetaDelivery({
      object: 'instagram',
      entry: [
        {
          id: BOB_IG,
          time: 1,
          messaging: [
            event({ mid: 'm1', text: 'no recipient' }, undefined),
            event({ mid: 'm2', is_deleted: true }),
            event({ mid: 'm3', is_unsupported: true }),
            event({ mid: 'm4', text: 'look', attachments: [{ type: 'video', payload: {} }, { type: 'image', payload: {} }] }),
            event({ mid: 'm5', attachments: [{ type: 'ig_reel', payload: { reel_video_id: '1' } }] }),
            event({ mid: 'm6' }),
            event({ text: 'no mid' }),
          ],
        },
      ],
    });
    expect(parsed.messages.map((m) => [m.platformMessageId, m.metaPhoneNumberId, m.type, m.text])).toEqual([
      ['m1', BOB_IG, 'text', 'no recipient'],
      ['m3', BOB_IG, 'unsupported', '[unsupported]'],
      ['m4', BOB_IG, 'attachment', '[attachment] look'],
      ['m5', BOB_IG, 'ig_reel', '[ig_reel]'],
    ]);
    expect(parsed.ignored.map((i) => [i.reason, i.at])).toEqual([
      ['deleted', 'entry[0].messaging[1]'],
      ['malformed', 'entry[0].messaging[5]'],
      ['malformed', 'entry[0].messaging[6]'],
    ]);
  });
});

describe('parseMetaDelivery: other deliveries', () => {
  it('an unknown object (a Messenger page delivery) is ignored as a whole', () => {
    const parsed = parseMetaDelivery(fixture('page-object'));
    expect(parsed).toEqual({ object: 'page', messages: [], statuses: [], ignored: [{ reason: 'unsupported_object', at: 'object', detail: 'object page' }] });
  });

  it.each([
    ['an array', [], '$'],
    ['a string', 'hello', '$'],
    ['null', null, '$'],
    ['an object without object', { entry: [] }, 'object'],
    ['entry not an array', { object: 'instagram', entry: {} }, 'entry'],
  ])('%s is ignored as malformed or unsupported', (_name, delivery, at) => {
    const parsed = parseMetaDelivery(delivery);
    expect(parsed.messages).toEqual([]);
    expect(parsed.ignored).toHaveLength(1);
    expect(parsed.ignored[0]?.at).toBe(at);
  });

  it('is pure: the same delivery parses the same way twice and is not modified', () => {
    const delivery = fixture('whatsapp-batch');
    const before = JSON.stringify(delivery);
    expect(parseMetaDelivery(delivery)).toEqual(parseMetaDelivery(delivery));
    expect(JSON.stringify(delivery)).toBe(before);
  });

  it('placeholder joins the extras that are present', () => {
    expect(placeholder('image')).toBe('[image]');
    expect(placeholder('image', null)).toBe('[image]');
    expect(placeholder('image', 'a caption')).toBe('[image] a caption');
  });
});
