import { isTransportStep, startFakeServer, transportAnswer, type Answer, type FakeServer, type RecordedRequest, type TransportStep } from './server';

/**
 * A fake Meta Graph API: `POST /{version}/{id}/messages` answered as Meta does. A WhatsApp text gets
 * `{messaging_product, contacts, messages: [{id: "wamid…"}]}`, a read receipt `{success: true}`, an
 * Instagram message `{recipient_id, message_id}`; an error is `{error: {message, type, code,
 * error_subcode, error_data, fbtrace_id}}` with its HTTP status. Driven through the real `fetch`.
 */

export interface GraphErrorStep {
  /** Meta's error code: 130429, 131047, 190, … */
  code: number;
  /** The HTTP status (400 unless given; Meta answers most errors with 400). */
  status?: number;
  message?: string;
  type?: string;
  subcode?: number;
  details?: string;
  headers?: Record<string, string>;
  delayMs?: number;
}

export type GraphStep =
  /** Success; `body` replaces the answer Meta would give. */
  | { ok: true; body?: unknown; delayMs?: number }
  | { error: GraphErrorStep }
  /** A bare status with a body that is not Meta's (a proxy's 502 page, say). */
  | { status: number; body?: string; contentType?: string; delayMs?: number }
  | TransportStep;

export interface FakeGraphApi extends FakeServer<GraphStep> {
  /** The client's `baseUrl`. */
  baseUrl: string;
  /** The message ids handed out so far, in order. */
  sentIds: string[];
  /** Read receipts do not use the script: they are answered from these steps, in order, then with success. */
  scriptReads(...steps: GraphStep[]): void;
  /** The recorded sends (text messages), without read receipts. */
  sends(): RecordedRequest[];
}

const isReadReceipt = (request: RecordedRequest) => {
  const body = request.body as Record<string, unknown> | null;
  return typeof body === 'object' && body !== null && body.messaging_product === 'whatsapp' && body.status === 'read';
};

const MESSAGES = /^\/(v\d+\.\d+)\/([^/]+)\/messages$/;

const DEFAULT_MESSAGES: Record<number, string> = {
  130429: '(#130429) Rate limit hit',
  131056: '(#131056) (Business Account, Consumer Account) pair rate limit hit',
  131026: '(#131026) Message Undeliverable.',
  131047: '(#131047) Re-engagement message',
  131050: '(#131050) User has stopped marketing messages',
  190: 'Error validating access token: Session has expired.',
  10: '(#10) Application does not have permission for this action',
  100: '(#100) Invalid parameter',
};

let sequence = 0;

function json(status: number, body: unknown, headers: Record<string, string> = {}): Answer {
  return { status, headers: { 'content-type': 'application/json; charset=UTF-8', 'x-fb-trace-id': 'FakeTrace', ...headers }, body: JSON.stringify(body) };
}

export async function fakeGraphApi(): Promise<FakeGraphApi> {
  const sentIds: string[] = [];

  function success(request: RecordedRequest): Answer {
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (body.messaging_product === 'whatsapp' && body.status === 'read') return json(200, { success: true });
    if (body.messaging_product === 'whatsapp') {
      const id = `wamid.FAKE${(++sequence).toString().padStart(8, '0')}`;
      sentIds.push(id);
      return json(200, { messaging_product: 'whatsapp', contacts: [{ input: body.to, wa_id: body.to }], messages: [{ id }] });
    }
    const id = `aWdfZAG1faWtfFAKE${(++sequence).toString().padStart(8, '0')}`;
    sentIds.push(id);
    const recipient = (body.recipient as { id?: unknown } | undefined)?.id ?? null;
    return json(200, { recipient_id: recipient, message_id: id });
  }

  function answer(step: GraphStep | undefined, request: RecordedRequest): Answer {
    if (request.method !== 'POST' || !MESSAGES.test(request.path.split('?')[0] ?? '')) {
      return json(400, { error: { message: `Unknown path components: ${request.path}`, type: 'OAuthException', code: 2500, fbtrace_id: 'FakeTrace' } });
    }
    const chosen = step ?? { ok: true };
    if (isTransportStep(chosen)) return transportAnswer(chosen);
    if ('ok' in chosen) return chosen.body === undefined ? success(request) : json(200, chosen.body);
    if ('error' in chosen) {
      const e = chosen.error;
      return json(
        e.status ?? 400,
        {
          error: {
            message: e.message ?? DEFAULT_MESSAGES[e.code] ?? `(#${e.code}) Error`,
            type: e.type ?? 'OAuthException',
            code: e.code,
            ...(e.subcode === undefined ? {} : { error_subcode: e.subcode }),
            ...(e.details === undefined ? {} : { error_data: { messaging_product: 'whatsapp', details: e.details } }),
            fbtrace_id: 'AbCdEfFakeTrace',
          },
        },
        e.headers,
      );
    }
    return { status: chosen.status, headers: { 'content-type': chosen.contentType ?? 'text/html' }, body: chosen.body ?? '<html><body>Bad Gateway</body></html>' };
  }

  const reads: GraphStep[] = [];
  const server = await startFakeServer<GraphStep>(
    (step, request) => answer(isReadReceipt(request) ? reads.shift() : step, request),
    (request) => !isReadReceipt(request),
  );
  return {
    ...server,
    baseUrl: server.origin,
    sentIds,
    scriptReads: (...steps) => void reads.push(...steps),
    sends: () => server.requests.filter((r) => !isReadReceipt(r)),
    reset() {
      server.reset();
      sentIds.length = 0;
      reads.length = 0;
    },
  };
}

/** The `{version}` and `{id}` of a recorded request's path. */
export function graphPath(request: RecordedRequest): { version: string; id: string } | null {
  const match = MESSAGES.exec(request.path);
  return match ? { version: match[1]!, id: decodeURIComponent(match[2]!) } : null;
}
