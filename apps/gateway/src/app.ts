import { Hono, type Context, type ErrorHandler, type MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { routePath } from 'hono/route';
import { answerJson, requestContext, type Dialect, type GatewayEnv, type GatewayServices } from '@gateway/http';
import { createLegacyApp, legacyErrorHandler } from '@gateway/legacy-api';
import { createOrgApp, orgErrorHandler } from '@gateway/org-api';
import { createDocsApp, docsAssetCaching, DOCS_ASSETS_PATH } from './docs';
import type { Logger } from './logger';
import { createWebhookApp, webhookErrorHandler } from './webhooks/app';

/** What the readiness probe asks: is the database reachable, with its migrations applied. */
export interface Readiness {
  ready(): Promise<boolean>;
}

export interface GatewayAppOptions {
  services: GatewayServices;
  storage: Readiness;
  logger: Logger;
  /** `META_APP_SECRET` and `META_VERIFY_TOKEN` for `/webhooks/meta`; unset, deliveries and handshakes are refused. */
  meta?: { appSecret: string | null; verifyToken: string | null };
  /** `CORS_ORIGINS`: browser origins allowed to call both dialects; none (the default), no CORS at all. */
  corsOrigins?: readonly string[];
  /** Served at `GET /metrics` in Prometheus's text format. */
  metrics?: { contentType: string; metrics(): Promise<string> };
  /** Told when a webhook delivery queued a reply (the reply worker's wake-up). */
  onRepliesQueued?: () => void;
}

/** One Hono app: health probes, the API reference, both dialects, and the root 404 and 500 for everything else. */
export function createGatewayApp({ services, storage, logger, meta, corsOrigins = [], metrics, onRepliesQueued }: GatewayAppOptions) {
  const app = new Hono<GatewayEnv>();
  const unmatched = new WeakSet<Context>();
  // Outermost, so the reference's versioned assets keep their long cache header.
  app.use(`${DOCS_ASSETS_PATH}/*`, docsAssetCaching());
  app.use('*', requestContext({ dialect: 'gateway' }));
  app.use('*', requestLog(logger, (c) => (unmatched.has(c) ? null : routePath(c))));
  if (corsOrigins.length > 0) {
    // Before both dialects, so a preflight is answered before any key is asked for.
    for (const prefix of DIALECT_PREFIXES) app.use(prefix, crossOrigin(corsOrigins));
  }

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const ready = await storage.ready().catch((error: unknown) => {
      logger.warn({ err: error, request_id: c.get('requestId') }, 'readiness check failed');
      return false;
    });
    return ready ? c.json({ status: 'ready' }) : c.json({ status: 'unavailable' }, 503);
  });
  if (metrics) {
    app.get('/metrics', async (c) => c.body(await metrics.metrics(), 200, { 'Content-Type': metrics.contentType, 'Cache-Control': 'no-store' }));
  }
  app.on(['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], ['/healthz', '/readyz', ...(metrics ? ['/metrics'] : [])], (c) => {
    c.header('Allow', 'GET, HEAD');
    return c.json({ error: { code: 'method_not_allowed', message: 'Method not allowed', request_id: c.get('requestId') } }, 405);
  });

  // Each dialect's errors are answered by its own handler, chosen here by the dialect the request
  // is in, rather than by an error handler of each app (see createOrgApp's `ownErrors`).
  const dialectErrors: Partial<Record<Dialect, ErrorHandler<GatewayEnv>>> = {
    legacy: legacyErrorHandler(services),
    org: orgErrorHandler(services),
    webhooks: webhookErrorHandler(services),
  };
  app.route('/', createDocsApp());
  app.route('/', createLegacyApp(services, { ownErrors: false }));
  app.route('/', createOrgApp(services, { ownErrors: false }));
  app.route('/', createWebhookApp(services, { ...meta, logger, onEnqueued: onRepliesQueued, ownErrors: false }));

  app.notFound((c) => {
    unmatched.add(c);
    return answerJson(c, { error: { code: 'not_found', message: 'Route not found', request_id: c.get('requestId') } }, 404);
  });
  app.onError((error, c) => {
    const dialect = dialectErrors[c.get('dialect')];
    if (dialect !== undefined) return dialect(error, c);
    logger.error({ err: error, request_id: c.get('requestId') }, 'unhandled error');
    return answerJson(c, { error: { code: 'internal_error', message: 'Internal server error', request_id: c.get('requestId') } }, 500);
  });
  return app;
}

/** Where the two dialects live: CORS applies there, not to the probes, /docs or the webhooks. */
const DIALECT_PREFIXES = ['/v1/*', '/api/v1/*'] as const;

/** The request headers a browser page may send: both dialects' credentials, bodies, idempotency and tracing. */
export const CORS_REQUEST_HEADERS = ['Authorization', 'x-api-key', 'Content-Type', 'Idempotency-Key', 'X-Request-ID'];

/** The response headers a page may read beyond the CORS-safelisted ones. */
export const CORS_EXPOSED_HEADERS = [
  'X-Request-ID',
  'X-Correlation-ID',
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
  'RateLimit',
  'RateLimit-Policy',
  'Retry-After',
  'Idempotent-Replayed',
];

/**
 * Hono's CORS middleware for the allowed origins only: a preflight from one of them is answered 204
 * here, before authentication; a request from any other origin, or without one, is served exactly as
 * without CORS (an OPTIONS that is not such a preflight still gets the dialect's 405). `Vary: Origin`
 * marks every response of the dialects, since the CORS headers depend on it.
 */
export function crossOrigin(origins: readonly string[]): MiddlewareHandler<GatewayEnv> {
  const allowed = new Set(origins);
  const handler = cors({
    origin: [...origins],
    allowMethods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
    allowHeaders: CORS_REQUEST_HEADERS,
    exposeHeaders: CORS_EXPOSED_HEADERS,
    maxAge: 600,
  });
  return async function crossOriginMiddleware(c, next) {
    const origin = c.req.header('origin');
    const preflight = c.req.method === 'OPTIONS' && c.req.header('access-control-request-method') !== undefined;
    if (origin !== undefined && allowed.has(origin) && (c.req.method !== 'OPTIONS' || preflight)) return handler(c, next);
    await next();
    c.header('Vary', 'Origin', { append: true });
  };
}

/**
 * One JSON line per request, written when the handler has answered: ids, the pattern of the route
 * that answered (never the raw path; null when no route matched), status and duration. Tokens,
 * headers and bodies are never read here.
 */
export function requestLog(logger: Logger, route: (c: Context) => string | null = (c) => routePath(c)): MiddlewareHandler<GatewayEnv> {
  // The line's fields are fixed here and none can hold a secret, so the redaction paths, half the
  // cost of every line, are left out of this one.
  const lines = logger.child({}, { redact: [] });
  return async function requestLogMiddleware(c, next) {
    const started = performance.now();
    try {
      await next();
    } finally {
      lines.info(
        {
          request_id: c.get('requestId'),
          dialect: c.get('dialect'),
          method: c.req.method,
          route: route(c),
          status: c.res.status,
          duration_ms: Math.round((performance.now() - started) * 100) / 100,
          org_id: c.get('orgId') ?? null,
          key_id: c.get('keyId') ?? null,
        },
        'request',
      );
    }
  };
}
