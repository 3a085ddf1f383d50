import { IDEMPOTENCY_KEY_PATTERN, type Scope } from '@gateway/core';
import type { LegacyApp } from './types';

/**
 * The legacy document's own parts: the reusable response headers and parameters (contract §2), the
 * 405 answer, the operation fields that name a scope, and the document itself. The routes' schemas
 * supply everything else.
 */

export const LEGACY_API_VERSION = '1.0.0';

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
      'The id of this request: `req_` + 16 hex digits, or the client\'s own `X-Request-ID` when it is 1-128 characters of `[A-Za-z0-9._:-]`. Error bodies repeat it as `correlation_id`.',
    schema: { type: 'string', maxLength: 128 },
  }),
  'X-Correlation-ID': header({
    required: true,
    description: 'The same value as `X-Request-ID`, for clients of this dialect that read it under this name.',
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
    example: '"minute";q=100;w=60, "hour";q=1000;w=3600',
  }),
  RateLimit: header({
    description: 'The window with the fewest requests left: `r` requests remain, `t` seconds until it frees one.',
    schema: { type: 'string' },
    example: '"minute";r=57;t=23',
  }),
  'Retry-After': header({
    required: true,
    description: 'Seconds to wait before retrying.',
    schema: { type: 'integer', minimum: 1 },
  }),
  'Idempotent-Replayed': header({
    description:
      'Present (`true`) when this answer is the stored answer of an earlier request with the same `Idempotency-Key`; the body is replayed unchanged, `X-Request-ID` is this request\'s.',
    schema: { type: 'string', enum: ['true'] },
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

const TRACE: HeaderName[] = ['X-Request-ID', 'X-Correlation-ID'];
const RATE_LIMIT: HeaderName[] = ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'RateLimit-Policy', 'RateLimit'];

/** The headers of a success; a POST or PATCH may be a replay. */
export const successHeaders = (replayable: boolean) => headers(...TRACE, ...RATE_LIMIT, ...(replayable ? ['Idempotent-Replayed' as const] : []));

/** The headers of an error: no rate-limit fields before the key is known (401); a wait on 429 and 503. */
export const errorHeaders = (status: number) =>
  headers(...TRACE, ...(status === 401 ? [] : RATE_LIMIT), ...(status === 429 || status === 503 ? ['Retry-After' as const] : []));

/** `Idempotency-Key`, which every POST and PATCH honours. */
export const IDEMPOTENCY_KEY = ref('parameters', 'IdempotencyKey');

/** 405, documented on every operation: the same path under another method. */
export const METHOD_NOT_ALLOWED = ref('responses', 'MethodNotAllowed');

/**
 * The OpenAPI fields of an operation that needs a key with `scope`: the scheme, the scope as
 * `x-required-scope` (which also picks the route's guard), and a description that says so.
 */
export function keyed<S extends Scope>(scope: S, description?: string) {
  const needs = `Requires an API key with the \`${scope}\` scope, of the user's organization, bound to that user or to no user.`;
  return {
    security: [{ ApiKeyAuth: [] }],
    'x-required-scope': scope,
    description: description === undefined ? needs : `${description}\n\n${needs}`,
  };
}

/** OpenAPI 3.1 names a license by SPDX `identifier` (or `url`); the generator's typings know only `url`. */
const LICENSE = { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' };

const DESCRIPTION = [
  'The legacy dialect of the agents gateway: user-scoped routes under `/v1/users/{user_id}/…`, authenticated with `x-api-key`. Every error is `{error, message, correlation_id, timestamp}`.',
  "Request schemas state every rule the server checks (patterns, lengths, counts); the server's message for a broken rule is the one in the error body, naming the field.",
  'POST and PATCH honour `Idempotency-Key`: a retry with the same key and the same request replays the first answer (`Idempotent-Replayed: true`) and changes nothing.',
  'Every authenticated answer carries the rate-limit fields `X-RateLimit-*`, `RateLimit-Policy` and `RateLimit`; over the limit is 429 with `Retry-After`.',
  'A path no route has is 404 (`Not Found`), a known path under another method 405 (`Method Not Allowed`, with `Allow`); neither needs a key.',
].join('\n\n');

/** Registers the document's components and serves it at `/v1/openapi.json` (no key needed). */
export function registerOpenApi(app: LegacyApp): void {
  const registry = app.openAPIRegistry;
  registry.registerComponent('securitySchemes', 'ApiKeyAuth', {
    type: 'apiKey',
    in: 'header',
    name: 'x-api-key',
    description: 'An API key, `sk_live_` followed by 32 letters and digits, as `pnpm gateway keys create` printed it.',
  });
  for (const [name, header] of Object.entries(HEADERS)) registry.registerComponent('headers', name, header);
  registry.registerComponent('parameters', 'IdempotencyKey', {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description:
      'Makes a retry safe: kept 24 hours per API key. The same key with the same method, path and body replays the first answer; with another request it is 409, and while the first is still running 409 too. Only 2xx answers are kept.',
    schema: { type: 'string', minLength: 1, maxLength: 128, pattern: IDEMPOTENCY_KEY_PATTERN.source },
  });
  registry.registerComponent('responses', 'MethodNotAllowed', {
    description: 'Method Not Allowed: this path takes other methods, listed in `Allow`. Answered without a key.',
    headers: headers(...TRACE, 'Allow'),
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  });

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Agents Gateway: legacy dialect',
      version: LEGACY_API_VERSION,
      description: DESCRIPTION,
      contact: { name: 'Agents Gateway maintainers' },
      license: LICENSE,
    },
    // Relative to this document: the gateway that serves it. Paths carry the `/v1` prefix.
    servers: [{ url: '/', description: 'This gateway' }],
    security: [{ ApiKeyAuth: [] }],
    tags: [
      { name: 'Agents', description: "Agents on the user's phone numbers: one active agent per number." },
      { name: 'Phone numbers', description: "The user's WhatsApp numbers and Instagram accounts; access tokens are write-only." },
      { name: 'Conversations', description: "Read-only: conversations on the user's numbers, archived ones included, and their messages." },
    ],
  });
}
