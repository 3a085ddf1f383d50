import { IDEMPOTENCY_KEY_PATTERN } from '@gateway/core';
import type { OrgApp } from './routes/shared';

/**
 * The org document's own parts: the reusable response headers and parameters (contract §2), the
 * 405 answer, and the document itself. The routes' schemas supply everything else.
 */

const ref = (kind: 'headers' | 'parameters' | 'responses', name: string) => ({ $ref: `#/components/${kind}/${name}` });

type Header = {
  required?: boolean;
  description: string;
  schema: { type: 'string' | 'integer'; minimum?: number; maxLength?: number; enum?: string[] };
  example?: string;
};
const header = (h: Header) => h;

const HEADERS = {
  'X-Request-ID': header({
    required: true,
    description:
      "The id of this request: `req_` + 16 hex digits, or the client's own `X-Request-ID` when it is 1-128 characters of `[A-Za-z0-9._:-]`. Bodies repeat it as `meta.request_id` or `error.request_id` (a replay keeps its original `meta.request_id`).",
    schema: { type: 'string', maxLength: 128 },
  }),
  'X-RateLimit-Limit': header({
    description:
      'Requests allowed in the rate-limit window with the fewest requests left (the shorter window on a tie). Sent on every answer to a request with a valid key.',
    schema: { type: 'integer', minimum: 1 },
  }),
  'X-RateLimit-Remaining': header({
    description: 'Requests left in that window, this one already counted.',
    schema: { type: 'integer', minimum: 0 },
  }),
  'X-RateLimit-Reset': header({
    description: 'When that window next frees a request, in seconds since the Unix epoch.',
    schema: { type: 'integer', minimum: 0 },
  }),
  'RateLimit-Policy': header({
    description: 'Both windows of the key, in the IETF RateLimit header fields draft: quota `q` per `w` seconds.',
    schema: { type: 'string' },
    example: '"minute";q=1000;w=60, "hour";q=10000;w=3600',
  }),
  RateLimit: header({
    description: 'The window with the fewest requests left: `r` requests remain, `t` seconds until it frees one.',
    schema: { type: 'string' },
    example: '"minute";r=957;t=23',
  }),
  'Retry-After': header({
    required: true,
    description: 'Seconds to wait before retrying.',
    schema: { type: 'integer', minimum: 1 },
  }),
  'Idempotent-Replayed': header({
    description:
      "Present (`true`) when this answer is the stored answer of an earlier request with the same `Idempotency-Key`; the body is replayed unchanged, `X-Request-ID` is this request's.",
    schema: { type: 'string', enum: ['true'] },
  }),
  'WWW-Authenticate': header({
    required: true,
    description: 'The scheme to authenticate with (RFC 6750).',
    schema: { type: 'string' },
    example: 'Bearer realm="api"',
  }),
  Allow: header({
    required: true,
    description: 'The methods this path takes.',
    schema: { type: 'string' },
    example: 'GET, HEAD, POST',
  }),
};

type HeaderName = keyof typeof HEADERS;
const headers = (...names: HeaderName[]) => Object.fromEntries(names.map((name) => [name, ref('headers', name)]));

const RATE_LIMIT: HeaderName[] = ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'RateLimit-Policy', 'RateLimit'];

/** The headers of a success: rate-limit fields once a key is checked; a POST or PATCH may be a replay. */
export const successHeaders = (options: { keyless?: boolean; replayable?: boolean }) =>
  headers('X-Request-ID', ...(options.keyless ? [] : RATE_LIMIT), ...(options.replayable ? ['Idempotent-Replayed' as const] : []));

/** The headers of an error: no rate-limit fields before the key is known (401); a wait on 429 and 503. */
export const errorHeaders = (status: number) =>
  headers(
    'X-Request-ID',
    ...(status === 401 ? ['WWW-Authenticate' as const] : RATE_LIMIT),
    ...(status === 429 || status === 503 ? ['Retry-After' as const] : []),
  );

/** `Idempotency-Key`, which every POST and PATCH honours. */
export const IDEMPOTENCY_KEY = ref('parameters', 'IdempotencyKey');

/** 405, documented on every operation: the same path under another method. */
export const METHOD_NOT_ALLOWED = ref('responses', 'MethodNotAllowed');

/** OpenAPI 3.1 names a license by SPDX `identifier` (or `url`); the generator's typings know only `url`. */
const LICENSE = { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' };

const DESCRIPTION = [
  'The org dialect of the agents gateway. Every success is `{data, meta: {request_id}}`; every error `{error: {code, message, request_id}}`. Each operation names the scope it needs in `x-required-scope` and in its description.',
  'Request schemas state every rule the server checks (patterns, lengths, counts, which fields go together); a request that breaks one is 422 `validation_failed`, with every problem in `details`.',
  'POST and PATCH honour `Idempotency-Key`: a retry with the same key and the same request replays the first answer (`Idempotent-Replayed: true`) and changes nothing.',
  'Every authenticated answer carries the rate-limit fields `X-RateLimit-*`, `RateLimit-Policy` and `RateLimit`; over the limit is 429 `rate_limited` with `Retry-After`.',
  'A path no route has is 404 `not_found`, a known path under another method 405 `method_not_allowed` (with `Allow`); neither needs a key.',
].join('\n\n');

/** Registers the document's components and serves it at `/api/v1/openapi.json` (no key needed). */
export function registerOpenApi(app: OrgApp, api: { name: string; version: string }): void {
  const registry = app.openAPIRegistry;
  registry.registerComponent('securitySchemes', 'BearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key: `Authorization: Bearer sk_live_…`, the key as `pnpm gateway keys create` printed it. No other transport is accepted.',
  });
  for (const [name, value] of Object.entries(HEADERS)) registry.registerComponent('headers', name, value);
  registry.registerComponent('parameters', 'IdempotencyKey', {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description:
      'Makes a retry safe: kept 24 hours per API key. The same key with the same method, path and body replays the first answer; with another request it is 409 `idempotency_key_reused`, while the first is still running 409 `idempotency_key_in_use`. Only 2xx answers are kept; a malformed key is 422.',
    schema: { type: 'string', minLength: 1, maxLength: 128, pattern: IDEMPOTENCY_KEY_PATTERN.source },
  });
  registry.registerComponent('responses', 'MethodNotAllowed', {
    description: '`method_not_allowed`: this path takes other methods, listed in `Allow`. Answered without a key.',
    headers: headers('X-Request-ID', 'Allow'),
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  });

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: api.name, version: api.version, description: DESCRIPTION, contact: { name: 'Agents Gateway maintainers' }, license: LICENSE },
    // Relative to this document: the gateway that serves it. Paths carry the `/api/v1` prefix.
    servers: [{ url: '/', description: 'This gateway' }],
    security: [{ BearerAuth: [] }],
    tags: [
      { name: 'Meta', description: 'What this API is and where its description lives; no key needed.' },
      { name: 'Agents', description: "The org's agents: one active agent per phone number, unique handles, plan limits." },
      { name: 'Phone numbers', description: "The org's WhatsApp numbers and Instagram accounts, whichever user owns them. Read-only here." },
      { name: 'Conversations', description: 'Read-only: conversations on the org\'s numbers, archived ones included, and their messages.' },
      { name: 'Organization', description: 'The organization of the key: plan, limits and usage.' },
    ],
  });
}
