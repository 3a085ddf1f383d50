import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { classifyGraphError, createGraphClient, GraphError, type SendTextRequest } from '../../src/runtime/graph';
import { closedPort, fakeGraphApi, graphPath, type FakeGraphApi } from '../fakes';

// Contract §8, "The send", "The customer sees it coming" and "Meta's errors by kind", through the
// real fetch and a fake Graph API.

const TOKEN = 'EAAGfakeAccessToken9a8b7c6d5e4f3a2b1c0dZZ';
let graph: FakeGraphApi;

beforeAll(async () => {
  graph = await fakeGraphApi();
});

afterAll(async () => {
  await graph.close();
});

beforeEach(() => {
  graph.reset();
});

function client(overrides: { baseUrl?: string; timeoutMs?: number } = {}) {
  return createGraphClient({ baseUrl: overrides.baseUrl ?? graph.baseUrl, version: 'v24.0', timeoutMs: overrides.timeoutMs ?? 5_000 });
}

function whatsapp(overrides: Partial<SendTextRequest> = {}): SendTextRequest {
  return { platform: 'whatsapp', metaPhoneNumberId: '106540352242922', accessToken: TOKEN, to: '4915112345678', text: 'Monday we open at 9.', ...overrides };
}

async function failure(promise: Promise<unknown>): Promise<GraphError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GraphError);
  return error as GraphError;
}

describe('sendText on WhatsApp', () => {
  it("POSTs §8's body to /{version}/{phone number id}/messages with the number's token, and returns messages[0].id", async () => {
    const { metaMessageId } = await client().sendText(whatsapp());
    expect(metaMessageId).toBe(graph.sentIds[0]);
    expect(metaMessageId).toMatch(/^wamid\./);
    expect(graph.requests).toHaveLength(1);
    const [sent] = graph.requests;
    expect(sent!.method).toBe('POST');
    expect(graphPath(sent!)).toEqual({ version: 'v24.0', id: '106540352242922' });
    expect(sent!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(sent!.headers['content-type']).toBe('application/json');
    expect(sent!.body).toEqual({ messaging_product: 'whatsapp', recipient_type: 'individual', to: '4915112345678', type: 'text', text: { body: 'Monday we open at 9.' } });
  });

  it('adds biz_opaque_callback_data when given', async () => {
    await client().sendText(whatsapp({ callbackData: 'msg_01JB7ZQ4' }));
    expect(graph.requests[0]!.body).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '4915112345678',
      type: 'text',
      text: { body: 'Monday we open at 9.' },
      biz_opaque_callback_data: 'msg_01JB7ZQ4',
    });
  });

  it('sends the text unchanged: emoji, other scripts, newlines', async () => {
    const text = 'Grüße 👋🏽\nСпасибо! 谢谢\n\n"quoted" & <tags>';
    await client().sendText(whatsapp({ text }));
    expect((graph.requests[0]!.body as { text: { body: string } }).text.body).toBe(text);
  });

  it('refuses a blank text without calling Meta', async () => {
    expect(await failure(client().sendText(whatsapp({ text: ' \n ' })))).toMatchObject({ kind: 'fatal' });
    expect(graph.requests).toHaveLength(0);
  });

  it('joins a base URL with a trailing slash without doubling it', async () => {
    await client({ baseUrl: `${graph.baseUrl}/` }).sendText(whatsapp());
    expect(graph.requests[0]!.path).toBe('/v24.0/106540352242922/messages');
  });
});

describe('sendText on Instagram', () => {
  it("POSTs {recipient: {id}, message: {text}} to the same path and returns Meta's message_id", async () => {
    const { metaMessageId } = await client().sendText({ platform: 'instagram', metaPhoneNumberId: '17841400000000001', accessToken: TOKEN, to: '6543210987654321', text: 'Hello!', callbackData: 'ignored_on_instagram' });
    expect(metaMessageId).toBe(graph.sentIds[0]);
    const [sent] = graph.requests;
    expect(sent!.path).toBe('/v24.0/17841400000000001/messages');
    expect(sent!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(sent!.body).toEqual({ recipient: { id: '6543210987654321' }, message: { text: 'Hello!' } });
  });
});

describe('markRead', () => {
  it('POSTs the read receipt with the typing indicator and resolves on {success: true}', async () => {
    await client().markRead({ metaPhoneNumberId: '106540352242922', accessToken: TOKEN, messageId: 'wamid.HBgLNDkxNTExMjM0NTY3OBUCABIYFDNBMDk' });
    const [sent] = graph.requests;
    expect(sent!.path).toBe('/v24.0/106540352242922/messages');
    expect(sent!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(sent!.body).toEqual({ messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.HBgLNDkxNTExMjM0NTY3OBUCABIYFDNBMDk', typing_indicator: { type: 'text' } });
  });

  it('throws a typed error when Meta refuses it', async () => {
    graph.scriptReads({ error: { code: 100, message: '(#100) Invalid parameter' } });
    expect(await failure(client().markRead({ metaPhoneNumberId: '106540352242922', accessToken: TOKEN, messageId: 'wamid.x' }))).toMatchObject({ kind: 'fatal', code: 100 });
  });
});

describe("Meta's errors by kind", () => {
  it.each([
    [130429, 400, 'retryable'],
    [131056, 400, 'retryable'],
    [80007, 400, 'retryable'],
    [4, 400, 'retryable'],
    [131000, 500, 'retryable'],
    [131026, 400, 'fatal'],
    [131047, 400, 'fatal'],
    [131050, 400, 'fatal'],
    [100, 400, 'fatal'],
    [190, 401, 'auth'],
    [10, 403, 'auth'],
    [200, 403, 'auth'],
    [299, 400, 'auth'],
  ] as const)('code %i (HTTP %i) is %s, with the code, subcode and fbtrace id', async (code, status, kind) => {
    graph.script({ error: { code, status, subcode: 2494010 } });
    const error = await failure(client().sendText(whatsapp()));
    expect(error).toMatchObject({ kind, status, code, subcode: 2494010, fbtraceId: 'AbCdEfFakeTrace' });
    expect(error.reason).toMatch(new RegExp(`^meta ${code}/2494010 \\(HTTP ${status}\\): `));
    expect(graph.requests).toHaveLength(1);
  });

  it("quotes Meta's message and details in the reason", async () => {
    graph.script({ error: { code: 131047, message: '(#131047) Re-engagement message', details: 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.' } });
    const error = await failure(client().sendText(whatsapp()));
    expect(error.reason).toBe('meta 131047 (HTTP 400): (#131047) Re-engagement message (Message failed to send because more than 24 hours have passed since the customer last replied to this number.)');
  });

  it('gives 131056 (pair rate) a 6 s wait, and honours a Retry-After header over it', async () => {
    graph.script({ error: { code: 131056 } }, { error: { code: 131056, headers: { 'retry-after': '20' } } });
    expect((await failure(client().sendText(whatsapp()))).retryAfterMs).toBe(6_000);
    expect((await failure(client().sendText(whatsapp()))).retryAfterMs).toBe(20_000);
  });

  it('a 500 with an HTML body, a 502 and a 429 without a Meta error are retryable', async () => {
    graph.script({ status: 500 }, { status: 502 }, { status: 429, body: 'slow down', contentType: 'text/plain' });
    for (const status of [500, 502, 429]) {
      expect(await failure(client().sendText(whatsapp()))).toMatchObject({ kind: 'retryable', status, code: null });
    }
  });

  it('a 400 without a Meta error is fatal, a 401 without one is auth', async () => {
    graph.script({ status: 400, body: 'bad' }, { status: 401, body: 'no' });
    expect(await failure(client().sendText(whatsapp()))).toMatchObject({ kind: 'fatal', status: 400 });
    expect(await failure(client().sendText(whatsapp()))).toMatchObject({ kind: 'auth', status: 401 });
  });

  it('an error body on a 200 is still an error', async () => {
    graph.script({ ok: true, body: { error: { message: '(#131026) Message Undeliverable.', code: 131026 } } });
    expect(await failure(client().sendText(whatsapp()))).toMatchObject({ kind: 'fatal', status: 200, code: 131026 });
  });

  it('classifies by code before status: a 500 carrying 190 is auth, a 400 carrying 130429 is retryable', () => {
    expect(classifyGraphError(500, 190)).toBe('auth');
    expect(classifyGraphError(400, 130429)).toBe('retryable');
    expect(classifyGraphError(503, null)).toBe('retryable');
    expect(classifyGraphError(404, null)).toBe('fatal');
  });
});

describe('answers whose outcome is unknown (Meta may have the message: never resent blindly)', () => {
  it.each([
    ['not JSON', { garbage: '<html>oops</html>', contentType: 'text/html' }],
    ['JSON without messages[0].id', { ok: true as const, body: { messaging_product: 'whatsapp', messages: [] } }],
    ['truncated JSON', { garbage: '{"messaging_product":"whatsapp","messages":[{"id":"wamid.' }],
  ])('a 200 with a body %s is unknown', async (_, step) => {
    graph.script(step);
    expect(await failure(client().sendText(whatsapp()))).toMatchObject({ kind: 'unknown', status: 200 });
  });

  it('an Instagram 200 without message_id is unknown', async () => {
    graph.script({ ok: true, body: { recipient_id: '6543210987654321' } });
    expect(await failure(client().sendText(whatsapp({ platform: 'instagram' })))).toMatchObject({ kind: 'unknown' });
  });

  it('a timeout is unknown', async () => {
    graph.script({ hang: true });
    const started = Date.now();
    expect(await failure(client({ timeoutMs: 300 }).sendText(whatsapp()))).toMatchObject({ kind: 'unknown', status: null });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('a connection closed after the request is unknown', async () => {
    graph.script({ close: true });
    expect(await failure(client().sendText(whatsapp()))).toMatchObject({ kind: 'unknown', status: null });
    expect(graph.requests).toHaveLength(1);
  });

  it('a refused connection is retryable: nothing reached Meta', async () => {
    const port = await closedPort();
    const error = await failure(client({ baseUrl: `http://127.0.0.1:${port}` }).sendText(whatsapp()));
    expect(error).toMatchObject({ kind: 'retryable', status: null });
    expect(error.reason).toContain('ECONNREFUSED');
  });
});
