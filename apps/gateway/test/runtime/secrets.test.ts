import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createGraphClient, GraphError, type SendTextRequest } from '../../src/runtime/graph';
import { createModelClient, ModelError } from '../../src/runtime/model';
import { closedPort, fakeGraphApi, fakeResponsesApi, type FakeGraphApi, type FakeResponsesApi, type GraphStep, type ResponsesStep } from '../fakes';

// Contract §8, "Secrets": neither OPENAI_API_KEY nor a number's access token is ever logged or
// returned. Every error of both clients is rendered every way a log or a response could render it,
// including errors from servers that echo the secret back.

const API_KEY = 'sk-proj-SECRETmodelKEY-0123456789abcdef';
const TOKEN = 'EAAGSECRETgraphTOKEN0123456789abcdefZZ';
const CUSTOMER_TEXT = 'My card number is 4111 1111 1111 1111, please call me';

let api: FakeResponsesApi;
let graph: FakeGraphApi;

beforeAll(async () => {
  [api, graph] = await Promise.all([fakeResponsesApi(), fakeGraphApi()]);
});

afterAll(async () => {
  await Promise.all([api.close(), graph.close()]);
});

afterEach(() => {
  api.reset();
  graph.reset();
  vi.restoreAllMocks();
  delete process.env.OPENAI_LOG;
});

/** Every way an error reaches a log line or a body: String(), message, stack, JSON, inspect, its fields. */
function renderings(error: unknown): string[] {
  const fields = typeof error === 'object' && error !== null ? Object.entries(error).map(([name, value]) => `${name}=${String(value)}`) : [];
  const e = error as Error;
  return [String(error), e.message, e.stack ?? '', JSON.stringify(error), inspect(error, { depth: 10, showHidden: true }), ...fields];
}

function expectClean(error: unknown, secrets: string[]) {
  expect(error instanceof ModelError || error instanceof GraphError).toBe(true);
  for (const text of renderings(error)) for (const secret of secrets) expect(text).not.toContain(secret);
}

const modelSteps: [string, ResponsesStep][] = [
  ['401 whose message quotes the key', { status: 401, error: { message: `Incorrect API key provided: ${API_KEY}. You can find your API key at …`, type: 'invalid_request_error', code: 'invalid_api_key' } }],
  ['400 whose message quotes the input', { status: 400, error: { message: `Invalid 'input[0].content': '${CUSTOMER_TEXT}' is not allowed`, code: 'invalid_value', param: 'input[0].content' } }],
  ['400 whose code is the key', { status: 400, error: { message: 'x', code: API_KEY } }],
  ['429 with the key in its request id', { status: 429, error: { code: 'rate_limit_exceeded' }, headers: { 'x-request-id': `req_${API_KEY}` } }],
  ['500 whose message quotes both', { status: 500, error: { message: `${API_KEY} ${CUSTOMER_TEXT}` } }],
  ['200 with garbage quoting both', { garbage: `<html>${API_KEY} ${CUSTOMER_TEXT}</html>`, contentType: 'text/html' }],
  ['200 with invalid JSON quoting both', { garbage: `{"error": "${API_KEY} ${CUSTOMER_TEXT}` }],
  ['a failed response whose message quotes both', { response: { status: 'failed', error: { code: 'server_error', message: `${API_KEY} ${CUSTOMER_TEXT}` } } }],
  ['a connection closed', { close: true }],
  ['a timeout', { hang: true }],
];

describe('model errors hold neither the API key nor the message text', () => {
  const turn = { instructions: 'Be brief.', includeSystemPrompt: true, channel: 'whatsapp' as const, history: [{ role: 'user' as const, content: CUSTOMER_TEXT }] };

  it.each(modelSteps)('%s', async (_, step) => {
    api.script(step);
    const client = createModelClient({ apiKey: API_KEY, baseURL: api.baseURL, defaultModel: 'gpt-5-mini', timeoutMs: 'hang' in step ? 300 : 5_000 });
    const error = await client.reply(turn).then(
      () => null,
      (e: unknown) => e,
    );
    expectClean(error, [API_KEY, CUSTOMER_TEXT]);
  });

  it('a refused connection', async () => {
    const client = createModelClient({ apiKey: API_KEY, baseURL: `http://127.0.0.1:${await closedPort()}/v1`, defaultModel: 'gpt-5-mini', timeoutMs: 1_000 });
    expectClean(await client.reply(turn).catch((e: unknown) => e), [API_KEY, CUSTOMER_TEXT]);
  });

  it('the SDK logs nothing, even with OPENAI_LOG=debug', async () => {
    process.env.OPENAI_LOG = 'debug';
    const spies = (['log', 'debug', 'info', 'warn', 'error'] as const).map((name) => vi.spyOn(console, name).mockImplementation(() => {}));
    api.script({ status: 500 });
    const client = createModelClient({ apiKey: API_KEY, baseURL: api.baseURL, defaultModel: 'gpt-5-mini', timeoutMs: 1_000 });
    await client.reply(turn).catch(() => null);
    await client.reply(turn);
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });
});

const graphSteps: [string, GraphStep][] = [
  ['190 whose message quotes the token', { error: { code: 190, status: 401, message: `Invalid OAuth access token - Cannot parse access token: ${TOKEN}` } }],
  ['131047 whose details quote the token and the text', { error: { code: 131047, details: `token ${TOKEN} text ${CUSTOMER_TEXT}` } }],
  ['a 500 HTML page quoting both', { status: 500, body: `<html>${TOKEN} ${CUSTOMER_TEXT}</html>` }],
  ['a 200 with garbage quoting both', { garbage: `${TOKEN} ${CUSTOMER_TEXT}`, contentType: 'text/plain' }],
  ['a 200 error body quoting the token in fbtrace_id', { ok: true, body: { error: { code: 100, message: 'bad', fbtrace_id: TOKEN } } }],
  ['a connection closed', { close: true }],
  ['a timeout', { hang: true }],
];

describe('Graph errors hold neither the access token nor the message text', () => {
  const send = (client = createGraphClient({ baseUrl: graph.baseUrl, version: 'v24.0', timeoutMs: 1_000 })) => {
    const request: SendTextRequest = { platform: 'whatsapp', metaPhoneNumberId: '106540352242922', accessToken: TOKEN, to: '4915112345678', text: CUSTOMER_TEXT };
    return client.sendText(request).then(
      () => null,
      (e: unknown) => e,
    );
  };

  it.each(graphSteps)('%s', async (_, step) => {
    graph.script(step);
    expectClean(await send(), [TOKEN, CUSTOMER_TEXT]);
  });

  it('a refused connection', async () => {
    expectClean(await send(createGraphClient({ baseUrl: `http://127.0.0.1:${await closedPort()}`, version: 'v24.0' })), [TOKEN, CUSTOMER_TEXT]);
  });

  it('markRead with a 190 quoting the token', async () => {
    graph.scriptReads({ error: { code: 190, status: 401, message: `bad token ${TOKEN}` } });
    const client = createGraphClient({ baseUrl: graph.baseUrl, version: 'v24.0' });
    expectClean(await client.markRead({ metaPhoneNumberId: '1', accessToken: TOKEN, messageId: 'wamid.x' }).catch((e: unknown) => e), [TOKEN]);
  });
});
