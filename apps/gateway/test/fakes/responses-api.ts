import { isTransportStep, startFakeServer, transportAnswer, type Answer, type FakeServer, type RecordedRequest, type TransportStep } from './server';

/**
 * A fake OpenAI Responses API: `POST /v1/responses` answered with the JSON the real API sends (a
 * `response` object, or `{error: {message, type, param, code}}` with its status and an
 * `x-request-id`), driven through the real `openai` SDK. Point the client's `baseURL` at `baseURL`.
 */

export type ResponsesStep =
  /** A completed response whose output message holds this text (several strings: several parts). */
  | { text: string | string[]; model?: string; delayMs?: number }
  /** A 200 whose response object is the default one with these fields replaced (`status`, `output`, …). */
  | { response: Record<string, unknown>; delayMs?: number }
  /** An error answer: OpenAI's error body with this status. */
  | { status: number; error?: { message?: string; type?: string; code?: string | null; param?: string | null }; headers?: Record<string, string>; delayMs?: number }
  | TransportStep;

export interface FakeResponsesApi extends FakeServer<ResponsesStep> {
  /** `http://127.0.0.1:<port>/v1`, the SDK's `baseURL`. */
  baseURL: string;
  /** The parsed bodies of the `POST /v1/responses` requests, in order. */
  bodies(): Record<string, unknown>[];
}

const ERROR_TYPES: Record<number, string> = { 400: 'invalid_request_error', 401: 'invalid_request_error', 403: 'invalid_request_error', 404: 'invalid_request_error', 429: 'requests', 500: 'server_error', 503: 'server_error' };

let sequence = 0;
const nextId = (prefix: string) => `${prefix}_${(++sequence).toString(16).padStart(12, '0')}fake`;

/** The response object the real API answers with, for a request and an output text. */
export function responseObject(request: Record<string, unknown>, texts: string[], model?: string): Record<string, unknown> {
  return {
    id: nextId('resp'),
    object: 'response',
    created_at: 1_767_225_600,
    status: 'completed',
    background: false,
    error: null,
    incomplete_details: null,
    instructions: request.instructions ?? null,
    max_output_tokens: null,
    model: model ?? (typeof request.model === 'string' ? `${request.model}-2025-08-07` : 'gpt-5-mini-2025-08-07'),
    output: [
      { id: nextId('rs'), type: 'reasoning', summary: [] },
      {
        id: nextId('msg'),
        type: 'message',
        status: 'completed',
        role: 'assistant',
        content: texts.map((text) => ({ type: 'output_text', annotations: [], logprobs: [], text })),
      },
    ],
    parallel_tool_calls: true,
    previous_response_id: null,
    prompt: request.prompt ?? null,
    reasoning: { effort: 'medium', summary: null },
    store: true,
    temperature: 1,
    text: { format: { type: 'text' }, verbosity: 'medium' },
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    truncation: 'disabled',
    usage: { input_tokens: 42, input_tokens_details: { cached_tokens: 0 }, output_tokens: 17, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 59 },
    user: null,
    metadata: {},
  };
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Answer {
  return { status, headers: { 'content-type': 'application/json', 'x-request-id': nextId('req'), ...headers }, body: JSON.stringify(body) };
}

function answer(step: ResponsesStep | undefined, request: RecordedRequest): Answer {
  if (request.method !== 'POST' || request.path !== '/v1/responses') {
    return json(404, { error: { message: `Unknown request URL: ${request.method} ${request.path}`, type: 'invalid_request_error', param: null, code: 'unknown_url' } });
  }
  const body = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Record<string, unknown>;
  const chosen = step ?? { text: 'Hello from the fake model.' };
  if (isTransportStep(chosen)) return transportAnswer(chosen);
  if ('text' in chosen) return json(200, responseObject(body, Array.isArray(chosen.text) ? chosen.text : [chosen.text], chosen.model));
  if ('response' in chosen) return json(200, { ...responseObject(body, ['']), ...chosen.response });
  const error = {
    message: chosen.error?.message ?? `Error ${chosen.status}`,
    type: chosen.error?.type ?? ERROR_TYPES[chosen.status] ?? 'invalid_request_error',
    param: chosen.error?.param ?? null,
    code: chosen.error?.code ?? null,
  };
  return json(chosen.status, { error }, chosen.headers);
}

export async function fakeResponsesApi(): Promise<FakeResponsesApi> {
  const server = await startFakeServer<ResponsesStep>((step, request) => answer(step, request));
  return {
    ...server,
    baseURL: `${server.origin}/v1`,
    bodies: () =>
      server.requests.filter((r) => r.path === '/v1/responses').map((r) => r.body as Record<string, unknown>),
  };
}
