import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createModelClient, ModelError, systemPreamble, type ReplyRequest } from '../../src/runtime/model';
import { closedPort, fakeResponsesApi, type FakeResponsesApi } from '../fakes';

// Contract §8, "The model call": requests and answers through the real openai SDK and a fake server.

const API_KEY = 'sk-test-model-key-5f1c2a9e7d3b4c8a';
let api: FakeResponsesApi;

beforeAll(async () => {
  api = await fakeResponsesApi();
});

afterAll(async () => {
  await api.close();
});

beforeEach(() => {
  api.reset();
});

function client(overrides: { baseURL?: string; timeoutMs?: number } = {}) {
  return createModelClient({ apiKey: API_KEY, baseURL: overrides.baseURL ?? api.baseURL, defaultModel: 'gpt-5-mini', timeoutMs: overrides.timeoutMs ?? 5_000 });
}

const history = [
  { role: 'user', content: 'Hi, is the shop open on Sunday?' },
  { role: 'assistant', content: 'Yes, from 10 to 4.' },
  { role: 'user', content: 'And on Monday?' },
] as const;

function request(overrides: Partial<ReplyRequest> = {}): ReplyRequest {
  return { model: null, instructions: 'You are the assistant of Bloom Florists.', includeSystemPrompt: true, channel: 'whatsapp', history: [...history], ...overrides };
}

async function failure(promise: Promise<unknown>): Promise<ModelError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelError);
  return error as ModelError;
}

describe('the request the model API receives', () => {
  it('is POST /v1/responses with the key as a bearer token, and the SDK sends it once', async () => {
    await client().reply(request());
    expect(api.requests).toHaveLength(1);
    const [sent] = api.requests;
    expect(sent!.method).toBe('POST');
    expect(sent!.path).toBe('/v1/responses');
    expect(sent!.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(sent!.headers['content-type']).toMatch(/^application\/json/);
  });

  it('sends the preamble, a blank line, then the instructions, with the default model and the history in order', async () => {
    await client().reply(request());
    expect(api.bodies()).toEqual([
      {
        model: 'gpt-5-mini',
        instructions: `${systemPreamble('whatsapp')}\n\nYou are the assistant of Bloom Florists.`,
        input: [
          { role: 'user', content: 'Hi, is the shop open on Sunday?' },
          { role: 'assistant', content: 'Yes, from 10 to 4.' },
          { role: 'user', content: 'And on Monday?' },
        ],
      },
    ]);
  });

  it('names the channel, plain text and short messages in the preamble', () => {
    expect(systemPreamble('whatsapp')).toContain('WhatsApp');
    expect(systemPreamble('instagram')).toContain('Instagram');
    expect(systemPreamble('whatsapp')).toMatch(/plain text/i);
    expect(systemPreamble('whatsapp')).toMatch(/short/i);
  });

  it('sends the agent instructions alone when include_system_prompt is false', async () => {
    await client().reply(request({ includeSystemPrompt: false, channel: 'instagram' }));
    expect(api.bodies()[0]!.instructions).toBe('You are the assistant of Bloom Florists.');
  });

  it('puts the Instagram preamble before the instructions of an Instagram turn', async () => {
    await client().reply(request({ channel: 'instagram' }));
    expect(api.bodies()[0]!.instructions).toBe(`${systemPreamble('instagram')}\n\nYou are the assistant of Bloom Florists.`);
  });

  it("sends the agent's own model when it has one", async () => {
    await client().reply(request({ model: 'gpt-4.1' }));
    expect(api.bodies()[0]!.model).toBe('gpt-4.1');
  });

  it('sends prompt {id} and no instructions for an agent with only a prompt_id', async () => {
    await client().reply(request({ instructions: null, promptId: 'pmpt_68b1c0ffee' }));
    const body = api.bodies()[0]!;
    expect(body.prompt).toEqual({ id: 'pmpt_68b1c0ffee' });
    expect(body).not.toHaveProperty('instructions');
    expect(body.model).toBe('gpt-5-mini');
    expect(body.input).toHaveLength(3);
  });

  it('prefers the instructions when the agent has both, and sends no prompt', async () => {
    await client().reply(request({ promptId: 'pmpt_68b1c0ffee' }));
    const body = api.bodies()[0]!;
    expect(body).not.toHaveProperty('prompt');
    expect(body.instructions).toContain('Bloom Florists');
  });

  it('leaves out history items with blank content (a failed reply has empty text)', async () => {
    await client().reply(request({ history: [{ role: 'user', content: 'one' }, { role: 'assistant', content: '' }, { role: 'user', content: 'two' }] }));
    expect(api.bodies()[0]!.input).toEqual([
      { role: 'user', content: 'one' },
      { role: 'user', content: 'two' },
    ]);
  });

  it('refuses an agent with neither instructions nor a prompt_id without calling the API', async () => {
    const error = await failure(client().reply(request({ instructions: '   ', promptId: null })));
    expect(error.kind).toBe('fatal');
    expect(error.code).toBe('no_instructions');
    expect(api.requests).toHaveLength(0);
  });
});

describe('the reply', () => {
  it("is the output text, trimmed, with the server's model, the latency and the request id", async () => {
    api.script({ text: '  Monday we open at 9.\n', model: 'gpt-5-mini-2025-08-07' });
    const reply = await client().reply(request());
    expect(reply.text).toBe('Monday we open at 9.');
    expect(reply.model).toBe('gpt-5-mini-2025-08-07');
    expect(reply.latencyMs).toBeGreaterThanOrEqual(0);
    expect(reply.requestId).toMatch(/^req_/);
  });

  it('measures the latency of a slow answer that still comes within the time limit', async () => {
    api.script({ text: 'Sorry for the wait.', delayMs: 250 });
    const reply = await client({ timeoutMs: 5_000 }).reply(request());
    expect(reply.text).toBe('Sorry for the wait.');
    expect(reply.latencyMs).toBeGreaterThanOrEqual(240);
  });

  it('joins the text parts of the output message and skips the reasoning item', async () => {
    api.script({ text: ['Monday ', 'from 9 to 5.'] });
    expect((await client().reply(request())).text).toBe('Monday from 9 to 5.');
  });

  it('reads the text from the output items when the server leaves out `object` (so the SDK adds no output_text)', async () => {
    api.script({
      response: {
        object: undefined,
        output: [{ type: 'message', id: 'msg_1', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'From a compatible server.', annotations: [] }] }],
      },
    });
    expect((await client().reply(request())).text).toBe('From a compatible server.');
  });

  it('fails (fatal) on an incomplete response instead of sending half an answer', async () => {
    api.script({ response: { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } } });
    const error = await failure(client().reply(request()));
    expect(error).toMatchObject({ kind: 'fatal', code: 'incomplete' });
    expect(error.reason).toContain('max_output_tokens');
  });

  it('fails (fatal) on a completed response without text', async () => {
    api.script({ text: '   ' });
    expect(await failure(client().reply(request()))).toMatchObject({ kind: 'fatal', code: 'empty_output' });
  });

  it('fails on a response with status failed, retryable for a server_error', async () => {
    api.script({ response: { status: 'failed', error: { code: 'server_error', message: 'The model crashed.' } } });
    expect(await failure(client().reply(request()))).toMatchObject({ kind: 'retryable', code: 'server_error' });
    api.script({ response: { status: 'failed', error: { code: 'invalid_prompt', message: 'Bad prompt.' } } });
    expect(await failure(client().reply(request()))).toMatchObject({ kind: 'fatal', code: 'invalid_prompt' });
  });
});

describe('errors by kind (429, 5xx, timeouts, refused connections retryable; other 4xx fatal)', () => {
  it('429 is retryable and carries Retry-After; the SDK does not retry it itself', async () => {
    api.script({ status: 429, error: { message: 'Rate limit reached for gpt-5-mini', type: 'requests', code: 'rate_limit_exceeded' }, headers: { 'retry-after': '7' } });
    const error = await failure(client().reply(request()));
    expect(error).toMatchObject({ kind: 'retryable', status: 429, code: 'rate_limit_exceeded', retryAfterMs: 7_000 });
    expect(error.reason).toBe('model API 429 rate_limit_exceeded');
    expect(error.requestId).toMatch(/^req_/);
    expect(api.requests).toHaveLength(1);
  });

  it('reads retry-after-ms before Retry-After', async () => {
    api.script({ status: 429, error: { code: 'rate_limit_exceeded' }, headers: { 'retry-after-ms': '1500', 'retry-after': '9' } });
    expect((await failure(client().reply(request()))).retryAfterMs).toBe(1_500);
  });

  it('500 and 503 are retryable, each sent once', async () => {
    api.script({ status: 500, error: { message: 'The server had an error', type: 'server_error' } }, { status: 503, error: { message: 'Overloaded' } });
    expect(await failure(client().reply(request()))).toMatchObject({ kind: 'retryable', status: 500, code: 'server_error' });
    expect(await failure(client().reply(request()))).toMatchObject({ kind: 'retryable', status: 503 });
    expect(api.requests).toHaveLength(2);
  });

  it.each([
    [400, 'invalid_value', 'model'],
    [401, 'invalid_api_key', null],
    [403, 'unsupported_country_region_territory', null],
    [404, 'model_not_found', null],
    [422, null, null],
  ])('%i is fatal', async (status, code, param) => {
    api.script({ status, error: { message: 'Something about the request', code, param } });
    const error = await failure(client().reply(request()));
    expect(error.kind).toBe('fatal');
    expect(error.status).toBe(status);
    if (code !== null) expect(error.code).toBe(code);
    if (param !== null) expect(error.reason).toContain(`(param ${param})`);
    expect(api.requests).toHaveLength(1);
  });

  it('a call that takes longer than timeoutMs is a retryable timeout', async () => {
    api.script({ hang: true });
    const started = Date.now();
    const error = await failure(client({ timeoutMs: 300 }).reply(request()));
    expect(error).toMatchObject({ kind: 'retryable', status: null, code: 'timeout' });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(api.requests).toHaveLength(1);
  });

  it('a refused connection is retryable', async () => {
    const port = await closedPort();
    const error = await failure(client({ baseURL: `http://127.0.0.1:${port}/v1` }).reply(request()));
    expect(error).toMatchObject({ kind: 'retryable', status: null, code: 'connection_refused' });
  });

  it('a connection closed without an answer is retryable', async () => {
    api.script({ close: true });
    expect(await failure(client().reply(request()))).toMatchObject({ kind: 'retryable', status: null, code: 'connection_error' });
  });

  it.each([
    ['invalid JSON', { garbage: '{"id": "resp_1", "output": [' }],
    ['HTML from a proxy', { garbage: '<html>502 Bad Gateway</html>', contentType: 'text/html' }],
    ['an empty body', { garbage: '' }],
    ['JSON that is not a response', { garbage: '{"hello": "world"}' }],
  ])('a 200 with %s is a retryable invalid_response', async (_, step) => {
    api.script(step);
    expect(await failure(client().reply(request()))).toMatchObject({ kind: 'retryable', status: null, code: 'invalid_response' });
  });
});
