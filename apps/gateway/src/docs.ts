import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Scalar } from '@scalar/hono-api-reference';
import { Hono, type MiddlewareHandler } from 'hono';

/**
 * `/docs`: the interactive reference of both dialects (Scalar), read from their own
 * `openapi.json`. Everything it loads comes from this server: the Scalar bundle is the one
 * installed with `@scalar/api-reference`, served from `/docs/assets/`; the default fonts, the
 * request proxy and telemetry are off, and a Content-Security-Policy keeps the page to this origin.
 */

export const DOCS_PATH = '/docs';
export const DOCS_ASSETS_PATH = '/docs/assets';
const BUNDLE_PATH = `${DOCS_ASSETS_PATH}/scalar.js`;

const bundleFile = createRequire(import.meta.url).resolve('@scalar/api-reference/browser/standalone.js');
/** The installed Scalar version: part of the bundle's URL, so an upgrade is never served from a stale cache. */
const bundleVersion = (JSON.parse(readFileSync(join(dirname(bundleFile), '../../package.json'), 'utf8')) as { version: string }).version;
export const DOCS_BUNDLE_URL = `${BUNDLE_PATH}?v=${bundleVersion}`;

/** The page may load and fetch from this origin only; Scalar's inline start-up script and styles are allowed. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-inline'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** 3.5 MB of JavaScript, read (and gzipped) on the first request for it, then kept. */
let bundle: { raw: Uint8Array<ArrayBuffer>; gzip: Uint8Array<ArrayBuffer> } | undefined;
function loadBundle() {
  if (bundle === undefined) {
    const raw = new Uint8Array(readFileSync(bundleFile));
    bundle = { raw, gzip: new Uint8Array(gzipSync(raw)) };
  }
  return bundle;
}

const reference = Scalar({
  pageTitle: 'Agents Gateway: API reference',
  cdn: DOCS_BUNDLE_URL,
  withDefaultFonts: false,
  telemetry: false,
  // No proxy: "Test request" calls this origin directly (Scalar's default would route through proxy.scalar.com).
  proxyUrl: '',
  // Scalar's hosted extras (the AI agent, share, deploy) would call scalar.com.
  showDeveloperTools: 'never',
  sources: [
    { title: 'Org dialect: /api/v1', slug: 'org', url: '/api/v1/openapi.json', default: true, agent: { disabled: true } },
    { title: 'Legacy dialect: /v1', slug: 'legacy', url: '/v1/openapi.json', agent: { disabled: true } },
  ],
});

/** The reference's routes; they need no key and read nothing of the gateway's context. */
export function createDocsApp() {
  const app = new Hono();
  app.get(DOCS_PATH, async (c, next) => {
    c.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    return reference(c, next);
  });
  app.get(BUNDLE_PATH, (c) => {
    const { raw, gzip } = loadBundle();
    const gzipped = /\bgzip\b/i.test(c.req.header('accept-encoding') ?? '');
    c.header('Content-Type', 'text/javascript; charset=utf-8');
    c.header('Vary', 'Accept-Encoding');
    if (gzipped) c.header('Content-Encoding', 'gzip');
    return c.body(gzipped ? gzip : raw);
  });
  return app;
}

/**
 * The bundle's URL carries the version, so it may be cached for a year. Registered outside the
 * request context middleware, which gives every other response `Cache-Control: no-store`.
 */
export function docsAssetCaching(): MiddlewareHandler {
  return async function docsAssetCachingMiddleware(c, next) {
    await next();
    if (c.res.status === 200) c.header('Cache-Control', 'public, max-age=31536000, immutable');
  };
}
