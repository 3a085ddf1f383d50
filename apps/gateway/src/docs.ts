import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Scalar } from '@scalar/hono-api-reference';
import { Hono, type MiddlewareHandler } from 'hono';

/**
 * `/docs`: the interactive reference of both dialects and of the Meta webhooks (Scalar), read from
 * their own `openapi.json`. Everything it loads comes from this server: the Scalar bundle is the one
 * installed with `@scalar/api-reference`, served from `/docs/assets/`; the default fonts, the
 * request proxy and telemetry are off, and a Content-Security-Policy keeps the page to this origin.
 */

export const DOCS_PATH = '/docs';
/** The gateway's own small document, of `/webhooks/meta`, which Meta calls (contract §5). */
export const WEBHOOKS_DOC_PATH = '/webhooks/openapi.json';
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

/** The secret fields of Scalar's authentication form (masked inputs, or their editor once shown). */
export const HIDE_KEY_PLACEHOLDERS = '.scalar-password-input::placeholder, .scalar-password-input .cm-placeholder { visibility: hidden; }';

const reference = Scalar({
  pageTitle: 'Agents Gateway: API reference',
  cdn: DOCS_BUNDLE_URL,
  withDefaultFonts: false,
  telemetry: false,
  // No proxy: "Test request" calls this origin directly (Scalar's default would route through proxy.scalar.com).
  proxyUrl: '',
  // Scalar's hosted extras (the AI agent, share, deploy) would call scalar.com.
  showDeveloperTools: 'never',
  // Scalar's API-key field shows a made-up key as its placeholder, which reads like a real one. The
  // key fields show no placeholder; the security schemes' descriptions say what to paste.
  customCss: HIDE_KEY_PLACEHOLDERS,
  sources: [
    { title: 'Org dialect: /api/v1', slug: 'org', url: '/api/v1/openapi.json', default: true, agent: { disabled: true } },
    { title: 'Legacy dialect: /v1', slug: 'legacy', url: '/v1/openapi.json', agent: { disabled: true } },
    { title: 'Meta webhooks: /webhooks/meta', slug: 'webhooks', url: WEBHOOKS_DOC_PATH, agent: { disabled: true } },
  ],
});

/** The reference's routes; they need no key and read nothing of the gateway's context. */
export function createDocsApp() {
  const app = new Hono();
  app.get(DOCS_PATH, async (c, next) => {
    c.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    return reference(c, next);
  });
  app.get(WEBHOOKS_DOC_PATH, (c) => c.json(webhooksDocument));
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

// ---- the webhooks document ----------------------------------------------------------------------
// Written out here: the webhook app is plain Hono, not generated from schemas. The OpenAPI test
// checks it against the routes the webhook app mounts and against what they answer.

const TRACE_HEADER = { 'X-Request-ID': { $ref: '#/components/headers/X-Request-ID' } };
const webhookError = (description: string) => ({
  description,
  headers: TRACE_HEADER,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/WebhookError' } } },
});

/** A delivery as the webhook docs show it (`test/webhooks/fixtures/whatsapp-text.json`, shortened). */
const DELIVERY_EXAMPLE = {
  object: 'whatsapp_business_account',
  entry: [
    {
      id: '102290129340398',
      changes: [
        {
          field: 'messages',
          value: {
            messaging_product: 'whatsapp',
            metadata: { display_phone_number: '15550100100', phone_number_id: '106540352242922' },
            contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: '16505551234' }],
            messages: [
              {
                from: '16505551234',
                id: 'wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=',
                timestamp: '1749416383',
                type: 'text',
                text: { body: 'Hi! Does the blue one come in size M?' },
              },
            ],
          },
        },
      ],
    },
  ],
};

export const webhooksDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Agents Gateway: Meta webhooks',
    version: '1.0.0',
    description: [
      'The callback URL to give Meta for WhatsApp and Instagram: `GET` answers the subscription handshake, `POST` takes deliveries. Neither takes an API key: the handshake is checked against `META_VERIFY_TOKEN`, a delivery against its `X-Hub-Signature-256` under `META_APP_SECRET`.',
      'Every answer carries `X-Request-ID`; errors are `{error: {code, message, request_id}}`. Other methods are 405 with `Allow`.',
    ].join('\n\n'),
    contact: { name: 'Agents Gateway maintainers' },
    license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
  },
  servers: [{ url: '/', description: 'This gateway' }],
  // No API key on either operation; see the description of each.
  security: [],
  tags: [{ name: 'Meta webhooks', description: 'Called by Meta, not by API clients: the handshake and the signed deliveries.' }],
  paths: {
    '/webhooks/meta': {
      get: {
        operationId: 'verifyMetaSubscription',
        tags: ['Meta webhooks'],
        summary: 'Subscription handshake',
        description:
          'Meta verifies the callback URL: with `hub.mode=subscribe` and `hub.verify_token` equal to `META_VERIFY_TOKEN` (compared in constant time), the answer is `hub.challenge` as plain text. Without a configured token every handshake is refused.',
        parameters: [
          { name: 'hub.mode', in: 'query', required: true, schema: { type: 'string', enum: ['subscribe'] } },
          {
            name: 'hub.verify_token',
            in: 'query',
            required: true,
            description: 'The `META_VERIFY_TOKEN` this gateway was started with.',
            schema: { type: 'string', minLength: 1 },
          },
          { name: 'hub.challenge', in: 'query', required: true, description: 'Any string; echoed back.', schema: { type: 'string', minLength: 1 }, example: '1158201444' },
        ],
        responses: {
          200: { description: 'Verified: the challenge, echoed', headers: TRACE_HEADER, content: { 'text/plain': { schema: { type: 'string' }, example: '1158201444' } } },
          400: webhookError('`invalid_request`: `hub.challenge` is missing'),
          403: webhookError('`forbidden`: another mode, a wrong or missing verify token, or no `META_VERIFY_TOKEN` configured'),
          405: { $ref: '#/components/responses/MethodNotAllowed' },
          500: webhookError('`internal_error`'),
        },
      },
      post: {
        operationId: 'receiveMetaDelivery',
        tags: ['Meta webhooks'],
        summary: 'Delivery of messages and status callbacks',
        description:
          'A WhatsApp (`object: whatsapp_business_account`) or Instagram (`object: instagram`) delivery, signed by Meta. The signature is checked on the raw body bytes before anything is parsed or stored. Every customer message is stored once, in one transaction per delivery, then 200; deliveries for unknown numbers, status callbacks, echoes and other objects are acknowledged with 200 and not stored.',
        parameters: [
          {
            name: 'X-Hub-Signature-256',
            in: 'header',
            required: true,
            description: '`sha256=` and the hex HMAC-SHA256 of the raw body under `META_APP_SECRET`.',
            schema: { type: 'string', pattern: '^sha256=[0-9a-fA-F]{64}$' },
          },
        ],
        requestBody: {
          required: true,
          description: 'At most 1 MiB of UTF-8 JSON, exactly the bytes that were signed.',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/MetaDelivery' }, example: DELIVERY_EXAMPLE } },
        },
        responses: {
          200: {
            description: 'Received: every message of the delivery is stored (or need not be)',
            headers: TRACE_HEADER,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Received' } } },
          },
          400: webhookError('`invalid_json`: the signed body is not UTF-8 JSON'),
          401: webhookError('`unauthorized`: the signature is missing, malformed or wrong, or no `META_APP_SECRET` is configured; nothing is stored'),
          405: { $ref: '#/components/responses/MethodNotAllowed' },
          413: webhookError('`payload_too_large`: more than 1 MiB'),
          500: webhookError('`internal_error`: storing failed and nothing of the delivery was kept; Meta delivers it again'),
        },
      },
    },
  },
  components: {
    schemas: {
      MetaDelivery: {
        type: 'object',
        description: "Meta's delivery envelope. Any other valid JSON is acknowledged (200) and ignored.",
        additionalProperties: true,
        properties: {
          object: { type: 'string', description: '`whatsapp_business_account` or `instagram`; other objects are ignored.', example: 'whatsapp_business_account' },
          entry: {
            type: 'array',
            items: { type: 'object', additionalProperties: true },
            description: 'One entry per WhatsApp Business Account or Instagram account, as Meta sends it.',
          },
        },
      },
      Received: {
        type: 'object',
        required: ['status'],
        properties: { status: { type: 'string', enum: ['received'] } },
      },
      WebhookError: {
        type: 'object',
        required: ['error'],
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message', 'request_id'],
            properties: {
              code: {
                type: 'string',
                enum: ['invalid_request', 'forbidden', 'invalid_json', 'unauthorized', 'payload_too_large', 'method_not_allowed', 'internal_error'],
              },
              message: { type: 'string' },
              request_id: { type: 'string' },
            },
          },
        },
      },
    },
    headers: {
      'X-Request-ID': {
        required: true,
        description: "The id of this request: `req_` + 16 hex digits, or the caller's own `X-Request-ID` when it is 1-128 characters of `[A-Za-z0-9._:-]`.",
        schema: { type: 'string', maxLength: 128 },
      },
      Allow: { required: true, description: 'The methods this path takes.', schema: { type: 'string' }, example: 'GET, HEAD, POST' },
    },
    responses: {
      MethodNotAllowed: {
        description: '`method_not_allowed`: this path takes GET and POST (and HEAD), listed in `Allow`.',
        headers: { ...TRACE_HEADER, Allow: { $ref: '#/components/headers/Allow' } },
        content: { 'application/json': { schema: { $ref: '#/components/schemas/WebhookError' } } },
      },
    },
  },
};
