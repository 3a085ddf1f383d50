import { Hono, type Context, type ErrorHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { InboundMessage, InboundOutcome, StatusOutcome } from '@gateway/core';
import { isTransient, MAX_BODY_BYTES, requestContext, type GatewayEnv, type GatewayServices } from '@gateway/http';
import { constantTimeEqual } from '@gateway/platform';
import { parseMetaDelivery, type IgnoredItem, type ParsedDelivery } from './meta-payload';
import { checkMetaSignature } from './signature';

export const WEBHOOK_PATH = '/webhooks/meta';

/** The two log levels the webhook writes at; a pino logger fits. */
export interface WebhookLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface WebhookOptions {
  /** `META_APP_SECRET`: signs every delivery. Unset: every POST is refused (401). */
  appSecret?: string | null | undefined;
  /** `META_VERIFY_TOKEN`: what Meta's subscription handshake must present. Unset: the handshake is refused (403). */
  verifyToken?: string | null | undefined;
  logger?: WebhookLogger | undefined;
  /** Called after a delivery committed work for the reply worker, so it need not wait for its next poll. */
  onEnqueued?: (() => void) | undefined;
  /** false: errors are left to the app this one is mounted in (see `createOrgApp`), which answers them with `webhookErrorHandler`. */
  ownErrors?: boolean;
}

const silent: WebhookLogger = { info() {}, warn() {} };

function problem(c: Context<GatewayEnv>, status: ContentfulStatusCode, code: string, message: string) {
  return c.json({ error: { code, message, request_id: c.get('requestId') } }, status);
}

/**
 * `GET /webhooks/meta` answers Meta's subscription handshake; `POST /webhooks/meta` takes WhatsApp
 * and Instagram deliveries (contract §5). A POST is checked against its signature on the raw bytes
 * before anything is parsed or stored, then the delivery's messages are recorded in one transaction:
 * 200 when they are stored (or need not be), 503 while the database is unavailable and 500 when storing failed otherwise, so that Meta delivers again.
 */
export function createWebhookApp(services: GatewayServices, options: WebhookOptions = {}) {
  const appSecret = options.appSecret || null;
  const verifyToken = options.verifyToken || null;
  const logger = options.logger ?? silent;
  const app = new Hono<GatewayEnv>();

  app.use(WEBHOOK_PATH, requestContext({ dialect: 'webhooks' }));

  app.get(WEBHOOK_PATH, (c) => {
    const mode = c.req.query('hub.mode');
    const token = c.req.query('hub.verify_token');
    const challenge = c.req.query('hub.challenge');
    if (verifyToken === null) {
      logger.warn({ request_id: c.get('requestId') }, 'webhook handshake refused: META_VERIFY_TOKEN is not set');
      return problem(c, 403, 'forbidden', 'Verification failed');
    }
    // Evaluate the compare whatever the mode, so the answer's timing says nothing about the token.
    const tokenMatches = token !== undefined && constantTimeEqual(token, verifyToken);
    if (mode !== 'subscribe' || !tokenMatches) {
      logger.warn({ request_id: c.get('requestId'), mode: mode ?? null }, 'webhook handshake refused: wrong mode or verify token');
      return problem(c, 403, 'forbidden', 'Verification failed');
    }
    if (challenge === undefined || challenge === '') {
      return problem(c, 400, 'invalid_request', 'hub.challenge is required');
    }
    logger.info({ request_id: c.get('requestId') }, 'webhook subscription verified');
    return c.text(challenge, 200);
  });

  app.post(
    WEBHOOK_PATH,
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => problem(c as Context<GatewayEnv>, 413, 'payload_too_large', 'Request body must be at most 1 MiB'),
    }),
    async (c) => {
      const requestId = c.get('requestId');
      if (appSecret === null) {
        logger.warn({ request_id: requestId }, 'webhook delivery refused: META_APP_SECRET is not set');
        return problem(c, 401, 'unauthorized', 'Invalid signature');
      }
      const raw = new Uint8Array(await c.req.arrayBuffer());
      const signature = checkMetaSignature(raw, c.req.header('x-hub-signature-256'), appSecret);
      if (signature !== 'valid') {
        logger.warn({ request_id: requestId, signature }, 'webhook delivery refused: signature check failed');
        return problem(c, 401, 'unauthorized', 'Invalid signature');
      }

      let delivery: unknown;
      try {
        delivery = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
      } catch {
        logger.warn({ request_id: requestId }, 'webhook delivery refused: body is not valid JSON');
        return problem(c, 400, 'invalid_json', 'Request body is not valid JSON');
      }

      const parsed = parseMetaDelivery(delivery);
      let outcomes: InboundOutcome[] = [];
      let statusOutcomes: StatusOutcome[] = [];
      if (parsed.messages.length > 0 || parsed.statuses.length > 0) {
        try {
          ({ messages: outcomes, statuses: statusOutcomes } = await services.core.recordDelivery({ uow: services.uow, messages: parsed.messages, statuses: parsed.statuses }));
        } catch (error) {
          // Nothing of the delivery was stored (one transaction): a 5xx makes Meta deliver it again.
          services.reportError(error, requestId);
          if (isTransient(error)) {
            c.header('Retry-After', '1');
            return problem(c, 503, 'service_unavailable', 'The service is temporarily unavailable. Please retry shortly.');
          }
          return problem(c, 500, 'internal_error', 'Internal server error');
        }
      }
      logDelivery(logger, requestId, parsed, outcomes, statusOutcomes);
      if (outcomes.some((o) => o.outcome === 'stored' && o.enqueued)) options.onEnqueued?.();
      return c.json({ status: 'received' }, 200);
    },
  );

  app.on(['PUT', 'PATCH', 'DELETE', 'OPTIONS'], WEBHOOK_PATH, (c) => {
    c.header('Allow', 'GET, HEAD, POST');
    return problem(c, 405, 'method_not_allowed', `Method ${c.req.method} is not allowed on ${WEBHOOK_PATH}`);
  });

  if (options.ownErrors !== false) app.onError(webhookErrorHandler(services));
  return app;
}

/** What the webhook answers for an error nothing else handled: a 500 Meta delivers again after. */
export function webhookErrorHandler(services: GatewayServices): ErrorHandler<GatewayEnv> {
  return (error, c) => {
    services.reportError(error, c.get('requestId'));
    return problem(c, 500, 'internal_error', 'Internal server error');
  };
}

/**
 * One summary line per delivery, plus a warning for each unknown number and for anything malformed.
 * Messages to a number without an active agent are stored (in a conversation without an agent) and
 * counted as `stored_without_agent`. Never message text, customer ids or secrets.
 */
function logDelivery(
  logger: WebhookLogger,
  requestId: string,
  parsed: ParsedDelivery,
  outcomes: readonly InboundOutcome[],
  statusOutcomes: readonly StatusOutcome[],
): void {
  const counts = { stored: 0, stored_without_agent: 0, duplicate: 0, unknown_number: 0 };
  const unknown = new Map<string, { platform: string; meta_phone_number_id: string; messages: number }>();
  outcomes.forEach((outcome, index) => {
    counts[outcome.outcome] += 1;
    if (outcome.outcome === 'stored' && outcome.agentId === null) counts.stored_without_agent += 1;
    const message = parsed.messages[index] as InboundMessage;
    if (outcome.outcome === 'unknown_number') {
      const key = `${message.platform}:${message.metaPhoneNumberId}`;
      const entry = unknown.get(key) ?? { platform: message.platform, meta_phone_number_id: message.metaPhoneNumberId, messages: 0 };
      entry.messages += 1;
      unknown.set(key, entry);
    }
  });
  for (const entry of unknown.values()) {
    logger.warn({ request_id: requestId, ...entry }, 'webhook messages for an unknown number: acknowledged, not stored');
  }
  for (const item of parsed.ignored.filter((i: IgnoredItem) => i.reason === 'malformed')) {
    logger.warn({ request_id: requestId, at: item.at, detail: item.detail }, 'webhook item not understood: acknowledged, ignored');
  }
  const statuses = { applied: 0, unchanged: 0, unknown_message: 0 };
  for (const outcome of statusOutcomes) statuses[outcome] += 1;
  const ignored: Record<string, number> = {};
  for (const item of parsed.ignored) ignored[item.reason] = (ignored[item.reason] ?? 0) + 1;
  logger.info(
    { request_id: requestId, object: parsed.object?.slice(0, 64) ?? null, messages: parsed.messages.length, ...counts, statuses, ignored },
    'webhook delivery received',
  );
}
