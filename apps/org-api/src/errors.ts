import type { Context, ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { z } from '@hono/zod-openapi';
import { isDomainError, type DomainError, type DomainErrorCode, type Issue } from '@gateway/core';
import { HttpProblem, isHttpProblem, isTransient, jsonResponse, setResponseHeader, type GatewayEnv, type GatewayServices, type ProblemKind } from '@gateway/http';

/** The org dialect's error registry (contract §4): every code a client can switch on. */
export const ORG_ERROR_CODES = [
  'invalid_json',
  'unauthorized',
  'insufficient_scope',
  'agent_not_found',
  'conversation_not_found',
  'phone_number_not_found',
  'not_found',
  'method_not_allowed',
  'agent_handle_taken',
  'phone_number_in_use',
  'idempotency_key_reused',
  'idempotency_key_in_use',
  'payload_too_large',
  'unsupported_media_type',
  'validation_failed',
  'rate_limited',
  'internal_error',
  'service_unavailable',
] as const;
export type OrgErrorCode = (typeof ORG_ERROR_CODES)[number];

export const ORG_ERROR_STATUS = {
  invalid_json: 400,
  unauthorized: 401,
  insufficient_scope: 403,
  agent_not_found: 404,
  conversation_not_found: 404,
  phone_number_not_found: 404,
  not_found: 404,
  method_not_allowed: 405,
  agent_handle_taken: 409,
  phone_number_in_use: 409,
  idempotency_key_reused: 409,
  idempotency_key_in_use: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  validation_failed: 422,
  rate_limited: 429,
  internal_error: 500,
  service_unavailable: 503,
} as const satisfies Record<OrgErrorCode, number>;

export interface Detail {
  field: string;
  message: string;
}

/** An org error as it goes out; `unexpected` ones are reported and shown only as a generic 500. */
export interface OrgError {
  code: OrgErrorCode;
  message: string;
  details?: Detail[];
  unexpected?: boolean;
}

const INTERNAL: OrgError = { code: 'internal_error', message: 'An internal error occurred. Retry with an Idempotency-Key.', unexpected: true };
const UNAVAILABLE: OrgError = { code: 'service_unavailable', message: 'The service is temporarily unavailable. Retry shortly.', unexpected: true };

const details = (issues: readonly Issue[]): Detail[] => issues.map((i) => ({ field: i.field, message: i.message }));

/** `validation_failed` with every problem; the message is the problem itself when there is one. */
export function validationError(list: Detail[], fallback = 'The request is invalid'): OrgError {
  const message = list.length === 1 ? (list[0] as Detail).message : list.length > 1 ? `${list.length} problems in the request; see details` : fallback;
  return { code: 'validation_failed', message, details: list };
}

/**
 * THE mapping of the org dialect: each domain error code and each HTTP problem kind onto its
 * status, code and message. Codes the org dialect cannot produce (it never names agent ids, adds or
 * deletes numbers) would mean a bug, so they answer as internal errors and are reported. Anything
 * else thrown is unexpected: reported, and a generic 500 (503 when storage is momentarily busy).
 */
const fromDomain: { [C in DomainErrorCode]: (e: DomainError) => OrgError } = {
  validation_failed: (e) => validationError(details(e.issues), e.message),
  reference_not_found: (e) => validationError(details(e.issues), e.message),
  plan_limit_reached: (e) => validationError(details(e.issues), e.message),
  not_found: (e) => ({
    code: e.entity === 'agent' ? 'agent_not_found' : e.entity === 'phone_number' ? 'phone_number_not_found' : e.entity === 'conversation' ? 'conversation_not_found' : 'not_found',
    message: e.message,
  }),
  forbidden: (e) => ({ code: 'insufficient_scope', message: e.message }),
  phone_number_in_use: () => ({ code: 'phone_number_in_use', message: 'Phone number already has an active agent' }),
  agent_handle_taken: (e) => ({ code: 'agent_handle_taken', message: e.message }),
  agent_id_taken: () => INTERNAL,
  phone_number_exists: () => INTERNAL,
  phone_number_has_active_agent: () => INTERNAL,
};

const fromProblem: { [K in ProblemKind]: (p: HttpProblem) => OrgError } = {
  unauthorized: () => ({ code: 'unauthorized', message: 'Missing or invalid API key. Send it as Authorization: Bearer <key>.' }),
  rate_limited: (p) => ({ code: 'rate_limited', message: p.message }),
  payload_too_large: (p) => ({ code: 'payload_too_large', message: p.message }),
  unsupported_media_type: (p) => ({ code: 'unsupported_media_type', message: p.message }),
  invalid_json: (p) => ({ code: 'invalid_json', message: p.message }),
  invalid_request: (p) => validationError(details(p.issues), p.message),
  route_not_found: (p) => ({ code: 'not_found', message: p.message }),
  method_not_allowed: (p) => ({ code: 'method_not_allowed', message: p.message }),
  idempotency_key_invalid: (p) => validationError(details(p.issues), p.message),
  idempotency_key_reused: () => ({ code: 'idempotency_key_reused', message: 'Idempotency-Key was already used with a different request' }),
  idempotency_key_in_use: () => ({ code: 'idempotency_key_in_use', message: 'A request with this Idempotency-Key is still being processed' }),
};

/** Hono's own exceptions (raised by the validators' media-type gate and JSON reader). */
function fromHttpException(e: HTTPException): OrgError {
  if (e.status === 400) return { code: 'invalid_json', message: 'Request body is not valid JSON' };
  if (e.status === 413) return { code: 'payload_too_large', message: 'Request body must be at most 1 MiB' };
  if (e.status === 415) return { code: 'unsupported_media_type', message: 'Content-Type must be application/json' };
  return INTERNAL;
}

export function toOrgError(error: unknown): OrgError {
  if (isDomainError(error)) return fromDomain[error.code](error);
  if (isHttpProblem(error)) return fromProblem[error.kind](error);
  if (error instanceof HTTPException) return fromHttpException(error);
  return isTransient(error) ? UNAVAILABLE : INTERNAL;
}

/** The single exit of the org dialect: every failure becomes `{error: {code, message, request_id}}`. */
export function orgErrorHandler(services: GatewayServices): ErrorHandler<GatewayEnv> {
  return (error, c) => {
    const requestId = c.get('requestId');
    const mapped = toOrgError(error);
    if (mapped.unexpected) services.reportError(error, requestId);
    if (mapped.code === 'unauthorized') setResponseHeader(c, 'WWW-Authenticate', 'Bearer realm="api"');
    if (mapped.code === 'service_unavailable') setResponseHeader(c, 'Retry-After', '1');
    return jsonResponse(c, ORG_ERROR_STATUS[mapped.code], JSON.stringify(errorBody(mapped, requestId)));
  };
}

export function errorBody(error: OrgError, requestId: string) {
  return {
    error: {
      code: error.code,
      message: error.message,
      request_id: requestId,
      ...(error.details ? { details: error.details } : {}),
    },
  };
}

// ---- zod validation → `validation_failed` -------------------------------------------------------

type ZodIssue = z.core.$ZodIssue;

const TARGET_ROOT: Record<string, string> = { json: 'body', query: 'query', param: 'path', header: 'headers' };

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

const article = (word: string) => (/^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`);

/** Zod's default texts start like this; schema-provided ones are predicates ("must be …"). */
const ZOD_DEFAULT = /^(Invalid|Too|Unrecognized|Expected)\b/;

function messageFor(issue: ZodIssue, field: string, input: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      if (valueAt(input, issue.path) === undefined) return `${field} is required`;
      return `${field} must be ${article(issue.expected)}`;
    case 'too_big':
      if (issue.origin === 'string') return `${field} must be at most ${issue.maximum} characters`;
      if (issue.origin === 'array') return `${field} must have at most ${issue.maximum} items`;
      return `${field} must be at most ${issue.maximum}`;
    case 'too_small':
      if (issue.origin === 'string') return issue.minimum === 1 ? `${field} must not be empty` : `${field} must be at least ${issue.minimum} characters`;
      if (issue.origin === 'array') return `${field} must have at least ${issue.minimum} items`;
      return `${field} must be at least ${issue.minimum}`;
    case 'invalid_value':
      return `${field} must be one of ${issue.values.map(String).join(', ')}`;
    default:
      return ZOD_DEFAULT.test(issue.message) ? `${field} is invalid` : `${field} ${issue.message}`;
  }
}

/**
 * Every zod problem as a detail naming its field; an unknown key is one detail per key. A field
 * that fails several checks (empty and not matching its pattern) is named once, by its first.
 */
export function zodDetails(issues: readonly ZodIssue[], target: string, input: unknown): Detail[] {
  const root = TARGET_ROOT[target] ?? target;
  const join = (path: readonly PropertyKey[]) => (path.length === 0 ? root : path.map(String).join('.'));
  const out: Detail[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const field = join([...issue.path, key]);
        out.push({ field, message: `${field} is not a known field` });
      }
      continue;
    }
    const field = join(issue.path);
    if (out.some((d) => d.field === field)) continue;
    out.push({ field, message: messageFor(issue, field, input) });
  }
  return out;
}

/**
 * The OpenAPIHono `defaultHook`: a failed request schema is 422 `validation_failed`. The validator
 * hands the raw input over as `data` (it tells a missing field from a mistyped one).
 */
export function validationHook(
  result: { target: string } & ({ success: false; error: { issues: readonly ZodIssue[] } } | { success: true; data: unknown }),
  _c: Context<GatewayEnv>,
): undefined {
  if (result.success) return undefined;
  const input = (result as { data?: unknown }).data;
  const list = zodDetails(result.error.issues, result.target, input);
  throw new HttpProblem('invalid_request', validationError(list).message, {
    issues: list.map((d) => ({ field: d.field, rule: 'invalid', message: d.message })),
  });
}
