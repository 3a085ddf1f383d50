import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import type { Response as ModelResponse, ResponseCreateParamsNonStreaming, ResponseInputItem } from 'openai/resources/responses/responses';
import { parseRetryAfter } from './retry';

export { retryDelay, retryDelays, withRetries } from './retry';

/**
 * The model client of the reply runtime (contract §8, "The model call"): one Responses API call per
 * turn through the official `openai` SDK, with the SDK's own retries off, so that the caller, which
 * knows what has been stored, owns every retry. It reads nothing from storage and writes nothing.
 */

export type Channel = 'whatsapp' | 'instagram';

export interface ModelClientOptions {
  /** `OPENAI_API_KEY`. */
  apiKey: string;
  /** `OPENAI_BASE_URL`: a server that speaks the Responses API (`POST {base}/responses`). */
  baseURL: string;
  /** `OPENAI_DEFAULT_MODEL`: the model of an agent whose `model` is null. */
  defaultModel: string;
  /** `REPLY_MODEL_TIMEOUT_MS`: one call's time limit; a timeout is retryable. */
  timeoutMs: number;
  /** Milliseconds on a monotonic clock, for `latencyMs` (`performance.now`). */
  now?: () => number;
}

export interface HistoryItem {
  role: 'user' | 'assistant';
  content: string;
}

export interface ReplyRequest {
  /** The agent's model; null or undefined uses the default model. */
  model?: string | null;
  /** The agent's instructions (plain text). When present they are sent, and `promptId` is not. */
  instructions?: string | null;
  /** The agent's stored prompt, sent as `prompt: {id}` when the agent has no instructions. */
  promptId?: string | null;
  /** The agent's `include_system_prompt`: the gateway's preamble goes before the instructions. */
  includeSystemPrompt: boolean;
  channel: Channel;
  /** The conversation's latest messages, oldest first. Items with blank content are left out. */
  history: readonly HistoryItem[];
}

export interface ModelReply {
  /** The response's output text, trimmed; never blank. */
  text: string;
  /** The model that answered, as the server reports it. */
  model: string;
  latencyMs: number;
  /** The server's `x-request-id`, for the logs. */
  requestId: string | null;
}

export type ModelErrorKind = 'retryable' | 'fatal';

/**
 * A model call that did not give a usable reply. `reason` is safe to store and show: it is built from
 * the status and the server's error code, never from the server's message (OpenAI's 401 message quotes
 * part of the key; others may quote the input), so it holds neither the API key nor message text.
 */
export class ModelError extends Error {
  override readonly name = 'ModelError';
  readonly kind: ModelErrorKind;
  /** The HTTP status, null when there was no answer (timeout, connection) or it was a 200. */
  readonly status: number | null;
  /** The server's error code (`rate_limit_exceeded`, `model_not_found`, …) or the gateway's own (`timeout`, `empty_output`, …). */
  readonly code: string | null;
  readonly reason: string;
  /** From `retry-after-ms` / `Retry-After`, when the server sent one. */
  readonly retryAfterMs: number | null;
  readonly requestId: string | null;

  constructor(fields: { kind: ModelErrorKind; status: number | null; code: string | null; reason: string; retryAfterMs?: number | null; requestId?: string | null }) {
    super(fields.reason);
    this.kind = fields.kind;
    this.status = fields.status;
    this.code = fields.code;
    this.reason = fields.reason;
    this.retryAfterMs = fields.retryAfterMs ?? null;
    this.requestId = fields.requestId ?? null;
  }
}

const CHANNEL_NAMES: Record<Channel, string> = { whatsapp: 'WhatsApp', instagram: 'Instagram Direct' };

/** The gateway's preamble (contract §8): the channel, plain text, short messages. */
export function systemPreamble(channel: Channel): string {
  return [
    `You are replying to a customer in a ${CHANNEL_NAMES[channel]} chat.`,
    'Write plain text only: no Markdown, no headings, no tables, no code blocks.',
    'Keep your replies short, like chat messages: a few sentences, to the point.',
  ].join(' ');
}

/**
 * The Responses API request for one turn: `instructions` when the agent has them (the preamble
 * before them unless `includeSystemPrompt` is false), otherwise `prompt: {id}` alone, with no
 * preamble, since `instructions` sent beside a stored prompt would override the prompt's own.
 */
export function buildRequest(request: ReplyRequest, defaultModel: string): ResponseCreateParamsNonStreaming {
  const model = request.model?.trim() || defaultModel;
  const input: ResponseInputItem[] = request.history
    .filter((item) => item.content.trim() !== '')
    .map((item) => ({ role: item.role, content: item.content }));
  const instructions = request.instructions?.trim() ? request.instructions : null;
  if (instructions !== null) {
    const full = request.includeSystemPrompt ? `${systemPreamble(request.channel)}\n\n${instructions}` : instructions;
    return { model, instructions: full, input };
  }
  const promptId = request.promptId?.trim() ? request.promptId : null;
  if (promptId !== null) return { model, prompt: { id: promptId }, input };
  throw new ModelError({ kind: 'fatal', status: null, code: 'no_instructions', reason: 'the agent has neither instructions nor a prompt_id' });
}

export interface ModelClient {
  reply(request: ReplyRequest): Promise<ModelReply>;
}

export function createModelClient(options: ModelClientOptions): ModelClient {
  if (!options.apiKey) throw new TypeError('createModelClient: apiKey is required');
  const now = options.now ?? (() => performance.now());
  const client = new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseURL,
    timeout: options.timeoutMs,
    // The pipeline retries, from what it stored; an SDK retry would be a second, unseen generation.
    maxRetries: 0,
    // The SDK's own logging would print request bodies (customer messages) when OPENAI_LOG=debug.
    logLevel: 'off',
  });

  return {
    async reply(request) {
      try {
        const body = buildRequest(request, options.defaultModel);
        const started = now();
        const response = await client.responses.create(body);
        return readReply(response, body.model ?? options.defaultModel, Math.round(now() - started));
      } catch (error) {
        throw withoutKey(toModelError(error), options.apiKey);
      }
    },
  };
}

function readReply(response: ModelResponse & { _request_id?: string | null }, requested: string, latencyMs: number): ModelReply {
  const requestId = response?._request_id ?? null;
  if (typeof response !== 'object' || response === null || !Array.isArray(response.output)) {
    throw new ModelError({ kind: 'retryable', status: null, code: 'invalid_response', reason: 'model API answered with something that is not a response', requestId });
  }
  if (response.status === 'failed') {
    const code = safeToken(response.error?.code) ?? 'failed';
    const kind = code === 'server_error' || code === 'rate_limit_exceeded' ? 'retryable' : 'fatal';
    throw new ModelError({ kind, status: null, code, reason: `model response failed: ${code}`, requestId });
  }
  if (response.status === 'incomplete') {
    const why = response.incomplete_details?.reason ?? 'unknown';
    throw new ModelError({ kind: 'fatal', status: null, code: 'incomplete', reason: `model response incomplete: ${why}`, requestId });
  }
  const text = outputText(response).trim();
  if (text === '') {
    throw new ModelError({ kind: 'fatal', status: null, code: 'empty_output', reason: 'model response has no output text', requestId });
  }
  return { text, model: typeof response.model === 'string' && response.model !== '' ? response.model : requested, latencyMs, requestId };
}

/** `output_text` as the SDK computes it, or the same concatenation when the SDK did not (a server that leaves out `object`). */
function outputText(response: ModelResponse): string {
  if (typeof response.output_text === 'string') return response.output_text;
  const texts: string[] = [];
  for (const item of response.output) {
    if (item?.type !== 'message' || !Array.isArray(item.content)) continue;
    for (const part of item.content) if (part?.type === 'output_text' && typeof part.text === 'string') texts.push(part.text);
  }
  return texts.join('');
}

/** The SDK's errors by kind (contract §8): 429, 5xx, timeouts and connection failures retryable; other 4xx fatal. */
function toModelError(error: unknown): ModelError {
  if (error instanceof ModelError) return error;
  if (error instanceof APIConnectionTimeoutError) {
    return new ModelError({ kind: 'retryable', status: null, code: 'timeout', reason: 'model API timed out' });
  }
  if (error instanceof APIConnectionError) {
    const refused = causeCode(error) === 'ECONNREFUSED';
    return new ModelError({
      kind: 'retryable',
      status: null,
      code: refused ? 'connection_refused' : 'connection_error',
      reason: refused ? 'model API refused the connection' : 'model API connection failed',
    });
  }
  if (error instanceof APIError && typeof error.status === 'number') {
    const status = error.status;
    const code = safeToken(error.code) ?? safeToken(error.type);
    const param = safeToken(error.param);
    const kind = status === 429 || status >= 500 ? 'retryable' : 'fatal';
    const reason = `model API ${status}${code ? ` ${code}` : ''}${param ? ` (param ${param})` : ''}`;
    return new ModelError({ kind, status, code, reason, retryAfterMs: parseRetryAfter(error.headers, Date.now()), requestId: error.requestID ?? null });
  }
  // The SDK could not read the body (JSON.parse, a non-JSON content type): a broken server or proxy.
  return new ModelError({ kind: 'retryable', status: null, code: 'invalid_response', reason: 'model API answered with a body that cannot be read' });
}

/** A last guard: nothing a server sent (an error code, a request id) can carry the key into an error. */
function withoutKey(error: ModelError, apiKey: string): ModelError {
  const leaks = (value: string | null) => value !== null && value.includes(apiKey);
  if (!leaks(error.reason) && !leaks(error.code) && !leaks(error.requestId)) return error;
  return new ModelError({
    kind: error.kind,
    status: error.status,
    code: leaks(error.code) ? null : error.code,
    reason: error.reason.replaceAll(apiKey, '[redacted]'),
    retryAfterMs: error.retryAfterMs,
    requestId: leaks(error.requestId) ? null : error.requestId,
  });
}

/** An identifier from the server's error (a code, a type, a param), or null if it is anything else. */
function safeToken(value: unknown): string | null {
  return typeof value === 'string' && /^[\w.\-[\]]{1,64}$/.test(value) ? value : null;
}

function causeCode(error: unknown): string | null {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth += 1) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}
