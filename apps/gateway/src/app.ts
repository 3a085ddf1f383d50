import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { requestContext, type GatewayEnv, type GatewayServices } from '@gateway/http';
import { createLegacyApp } from '@gateway/legacy-api';
import { createOrgApp } from '@gateway/org-api';
import { createDocsApp, docsAssetCaching, DOCS_ASSETS_PATH } from './docs';
import type { Logger } from './logger';
import { createWebhookApp } from './webhooks/app';

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
}

/** One Hono app: health probes, the API reference, both dialects, and the root 404 and 500 for everything else. */
export function createGatewayApp({ services, storage, logger, meta }: GatewayAppOptions) {
  const app = new Hono<GatewayEnv>();
  const unmatched = new WeakSet<Context>();
  // Outermost, so the reference's versioned assets keep their long cache header.
  app.use(`${DOCS_ASSETS_PATH}/*`, docsAssetCaching());
  app.use('*', requestContext({ dialect: 'gateway' }));
  app.use('*', requestLog(logger, (c) => (unmatched.has(c) ? null : routePath(c))));

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const ready = await storage.ready().catch((error: unknown) => {
      logger.warn({ err: error, request_id: c.get('requestId') }, 'readiness check failed');
      return false;
    });
    return ready ? c.json({ status: 'ready' }) : c.json({ status: 'unavailable' }, 503);
  });
  app.on(['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], ['/healthz', '/readyz'], (c) => {
    c.header('Allow', 'GET, HEAD');
    return c.json({ error: { code: 'method_not_allowed', message: 'Method not allowed', request_id: c.get('requestId') } }, 405);
  });

  app.route('/', createDocsApp());
  app.route('/', createLegacyApp(services));
  app.route('/', createOrgApp(services));
  app.route('/', createWebhookApp(services, { ...meta, logger }));

  app.notFound((c) => {
    unmatched.add(c);
    return c.json({ error: { code: 'not_found', message: 'Route not found', request_id: c.get('requestId') } }, 404);
  });
  app.onError((error, c) => {
    logger.error({ err: error, request_id: c.get('requestId') }, 'unhandled error');
    return c.json({ error: { code: 'internal_error', message: 'Internal server error', request_id: c.get('requestId') } }, 500);
  });
  return app;
}

/**
 * One JSON line per request, written when the handler has answered: ids, the pattern of the route
 * that answered (never the raw path; null when no route matched), status and duration. Tokens,
 * headers and bodies are never read here.
 */
export function requestLog(logger: Logger, route: (c: Context) => string | null = (c) => routePath(c)): MiddlewareHandler<GatewayEnv> {
  return async function requestLogMiddleware(c, next) {
    const started = performance.now();
    try {
      await next();
    } finally {
      logger.info(
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
