import { parseRetryAfter } from './retry';

/**
 * The Meta Graph client of the reply runtime (contract §8, "The send"): one text message to a
 * customer, or a read receipt with a typing indicator, over `fetch`. No retries here: the caller owns
 * them. The access token goes into the `Authorization` header and nowhere else: no error, reason or
 * message of this module ever holds it.
 */

export type Platform = 'whatsapp' | 'instagram';

export interface GraphClientOptions {
  /** `META_GRAPH_BASE_URL` (`https://graph.facebook.com`). */
  baseUrl: string;
  /** `META_GRAPH_VERSION` (`v24.0`). */
  version: string;
  /** The global `fetch` unless given. */
  fetch?: typeof fetch;
  /** One call's time limit (20 000 ms). Running out of it is `unknown`: Meta may have the message. */
  timeoutMs?: number;
}

export interface SendTextRequest {
  platform: Platform;
  metaPhoneNumberId: string;
  accessToken: string;
  /** The customer: a WhatsApp id (or BSUID), or an Instagram-scoped id. */
  to: string;
  text: string;
  /** WhatsApp only: echoed by Meta in status webhooks (`biz_opaque_callback_data`), at most 512 bytes. */
  callbackData?: string | null;
}

export interface MarkReadRequest {
  metaPhoneNumberId: string;
  accessToken: string;
  /** The `wamid` of the customer's latest message. */
  messageId: string;
}

/**
 * - `retryable`: a rate limit (130429, 131056, …), a 5xx or a connection never made; try again later.
 * - `fatal`: will not change for this message or customer (131026, 131047, 131050, other 4xx).
 * - `auth`: the number's access token is invalid, expired or lacks a permission (190, 10, 200–299).
 * - `unknown`: the request may have reached Meta (a timeout, a dropped connection, a 200 that cannot be
 *   read): resending could deliver the message twice, so it is not retried blindly.
 */
export type GraphErrorKind = 'retryable' | 'fatal' | 'auth' | 'unknown';

export class GraphError extends Error {
  override readonly name = 'GraphError';
  readonly kind: GraphErrorKind;
  /** The HTTP status, null when there was none (timeout, connection). */
  readonly status: number | null;
  /** Meta's `error.code`, or null. */
  readonly code: number | null;
  readonly subcode: number | null;
  /** Meta's `fbtrace_id`, for a support request. */
  readonly fbtraceId: string | null;
  /** `meta 131047 (HTTP 400): Re-engagement message`; never the access token. */
  readonly reason: string;
  /** From `Retry-After`, or Meta's pair-rate spacing (6 s) on 131056. */
  readonly retryAfterMs: number | null;

  constructor(fields: { kind: GraphErrorKind; status: number | null; code?: number | null; subcode?: number | null; fbtraceId?: string | null; reason: string; retryAfterMs?: number | null }) {
    super(fields.reason);
    this.kind = fields.kind;
    this.status = fields.status;
    this.code = fields.code ?? null;
    this.subcode = fields.subcode ?? null;
    this.fbtraceId = fields.fbtraceId ?? null;
    this.reason = fields.reason;
    this.retryAfterMs = fields.retryAfterMs ?? null;
  }
}

/** Rate limits and temporary failures (runtime reference §2.3, §2.4). */
const RETRYABLE_CODES = new Set([
  1, // API Unknown
  2, // API Service (temporary)
  4, // application request limit
  17, // user request limit
  32, // page request limit
  613, // calls within one hour exceeded
  80007, // WhatsApp Business Account rate limit
  130429, // throughput of the number
  131000, // something went wrong
  131016, // service unavailable
  131056, // pair rate: this business number to this customer
]);

/** Meta asks for about 6 s between two messages to one customer after a 131056. */
const PAIR_RATE_SPACING_MS = 6_000;

/** The token or a permission: 190 (invalid or expired token), 0 and 102 (auth), 10 and 200–299 (permissions). */
function isAuthCode(code: number): boolean {
  return code === 190 || code === 0 || code === 102 || code === 10 || (code >= 200 && code <= 299);
}

/** How Meta's answer is classified: by its error code first, then by the HTTP status. */
export function classifyGraphError(status: number | null, code: number | null): GraphErrorKind {
  if (code !== null && isAuthCode(code)) return 'auth';
  if (code !== null && RETRYABLE_CODES.has(code)) return 'retryable';
  if (status !== null && (status === 429 || status >= 500)) return 'retryable';
  // Any other error Meta names (131026, 131047, 131050, 100, …) will not change by sending again.
  if (code !== null) return 'fatal';
  if (status === 401 || status === 403) return 'auth';
  if (status !== null && status >= 400) return 'fatal';
  return 'unknown';
}

export interface GraphClient {
  sendText(request: SendTextRequest): Promise<{ metaMessageId: string }>;
  /** WhatsApp only: marks the message (and the ones before it) read and shows the typing indicator. */
  markRead(request: MarkReadRequest): Promise<void>;
}

const REASON_MAX = 300;

export function createGraphClient(options: GraphClientOptions): GraphClient {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 20_000;
  const base = options.baseUrl.replace(/\/+$/, '');
  const urlFor = (id: string) => `${base}/${encodeURIComponent(options.version)}/${encodeURIComponent(id)}/messages`;

  /** One POST; the answer's JSON on success, a GraphError otherwise. Neither the token nor `text` reaches an error. */
  async function post(id: string, accessToken: string, body: unknown, text: string | null): Promise<unknown> {
    const hide = (value: string) => redact(value, accessToken, text);
    let response: Response;
    try {
      response = await doFetch(urlFor(id), {
        method: 'POST',
        headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw connectionError(error);
    }
    let raw: string;
    try {
      raw = await response.text();
    } catch {
      // The headers came, the body did not: Meta acted on the request or not, nobody knows.
      if (response.ok) throw new GraphError({ kind: 'unknown', status: response.status, reason: `meta answer cut off (HTTP ${response.status})` });
      throw new GraphError({ kind: classifyGraphError(response.status, null), status: response.status, reason: `meta HTTP ${response.status}` });
    }
    const json = parseJson(raw);
    const metaError = readMetaError(json);
    if (metaError !== null || !response.ok) {
      const code = metaError?.code ?? null;
      const kind = classifyGraphError(response.status, code);
      const retryAfterMs = parseRetryAfter(response.headers, Date.now()) ?? (code === 131056 ? PAIR_RATE_SPACING_MS : null);
      const what = metaError?.message ? `: ${hide(metaError.message)}` : '';
      const details = metaError?.details ? ` (${hide(metaError.details)})` : '';
      const label = code === null ? 'meta' : `meta ${code}${metaError?.subcode ? `/${metaError.subcode}` : ''}`;
      throw new GraphError({
        kind,
        status: response.status,
        code,
        subcode: metaError?.subcode ?? null,
        fbtraceId: metaError?.fbtraceId ? hide(metaError.fbtraceId) : null,
        reason: truncate(`${label} (HTTP ${response.status})${what}${details}`),
        retryAfterMs,
      });
    }
    return json;
  }

  return {
    async sendText(request) {
      if (request.text.trim() === '') throw new GraphError({ kind: 'fatal', status: null, reason: 'refused to send an empty message' });
      const whatsapp = request.platform === 'whatsapp';
      const body = whatsapp
        ? {
            messaging_product: 'whatsapp',
            recipient_type: 'individual',
            to: request.to,
            type: 'text',
            text: { body: request.text },
            ...(request.callbackData ? { biz_opaque_callback_data: request.callbackData } : {}),
          }
        : { recipient: { id: request.to }, message: { text: request.text } };
      const json = await post(request.metaPhoneNumberId, request.accessToken, body, request.text);
      const metaMessageId = whatsapp ? whatsappMessageId(json) : instagramMessageId(json);
      if (metaMessageId === null) {
        throw new GraphError({ kind: 'unknown', status: 200, reason: 'meta accepted the message but its answer has no message id' });
      }
      return { metaMessageId };
    },

    async markRead(request) {
      const body = { messaging_product: 'whatsapp', status: 'read', message_id: request.messageId, typing_indicator: { type: 'text' } };
      const json = await post(request.metaPhoneNumberId, request.accessToken, body, null);
      if (!(isRecord(json) && json.success === true)) {
        throw new GraphError({ kind: 'unknown', status: 200, reason: 'meta answered the read receipt without success' });
      }
    },
  };
}

function connectionError(error: unknown): GraphError {
  const name = (error as { name?: unknown })?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new GraphError({ kind: 'unknown', status: null, reason: 'meta did not answer in time' });
  }
  const code = causeCode(error);
  // These fail before a byte is sent: Meta cannot have the message.
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new GraphError({ kind: 'retryable', status: null, reason: `meta could not be reached (${code})` });
  }
  return new GraphError({ kind: 'unknown', status: null, reason: `meta connection failed${code ? ` (${code})` : ''}` });
}

function causeCode(error: unknown): string | null {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth += 1) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}

interface MetaErrorBody {
  code: number | null;
  subcode: number | null;
  message: string | null;
  details: string | null;
  fbtraceId: string | null;
}

/** Meta's `{error: {message, type, code, error_subcode, error_data: {details}, fbtrace_id}}`, or null. */
function readMetaError(json: unknown): MetaErrorBody | null {
  if (!isRecord(json) || !isRecord(json.error)) return null;
  const e = json.error;
  const int = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : null);
  const str = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v : null);
  return {
    code: int(e.code),
    subcode: int(e.error_subcode),
    message: str(e.error_user_msg) ?? str(e.message),
    details: isRecord(e.error_data) ? str(e.error_data.details) : null,
    fbtraceId: str(e.fbtrace_id),
  };
}

function whatsappMessageId(json: unknown): string | null {
  if (!isRecord(json) || !Array.isArray(json.messages)) return null;
  const first: unknown = json.messages[0];
  return isRecord(first) && typeof first.id === 'string' && first.id !== '' ? first.id : null;
}

function instagramMessageId(json: unknown): string | null {
  return isRecord(json) && typeof json.message_id === 'string' && json.message_id !== '' ? json.message_id : null;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The token wherever it occurs; the message text too, when it is long enough not to blank out ordinary words. */
function redact(value: string, accessToken: string, text: string | null): string {
  let out = accessToken === '' ? value : value.replaceAll(accessToken, '[redacted]');
  if (text !== null && text.length >= 16) out = out.replaceAll(text, '[message text]');
  return out;
}

/** At most REASON_MAX UTF-16 units, never ending in half a surrogate pair. */
function truncate(value: string): string {
  if (value.length <= REASON_MAX) return value;
  let end = REASON_MAX - 1;
  const last = value.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${value.slice(0, end)}…`;
}
