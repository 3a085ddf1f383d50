import type { Context, ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ZodError } from 'zod';
import { isDomainError, type DomainError, type DomainErrorCode, type Entity, type Issue } from '@gateway/core';
import { HttpProblem, isHttpProblem, isTransient, jsonResponse, setResponseHeader, type GatewayEnv, type GatewayServices, type ProblemKind } from '@gateway/http';
import { legacyTimestamp } from './presenters';

/** The legacy error titles, one per status (contract §3). */
export const TITLES = {
  400: 'Validation error',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
} as const;

export type LegacyStatus = keyof typeof TITLES;

export interface LegacyError {
  status: LegacyStatus;
  title: string;
  message: string;
}

const NOT_FOUND: Record<Entity, string> = {
  agent: 'Agent not found',
  phone_number: 'Phone number not found',
  conversation: 'Conversation not found',
  user: 'User not found',
  org: 'Not found',
  api_key: 'Not found',
};

const firstIssue = (issues: readonly Issue[], fallback: string) => issues[0]?.message ?? fallback;

type Entry<E> = { status: LegacyStatus; message: string | ((error: E) => string) };

/**
 * THE legacy error table: every domain error of the core and every problem the HTTP layer finds,
 * with the status and message a legacy client gets. The title follows from the status.
 */
const TABLE: { [C in DomainErrorCode]: Entry<DomainError> } & { [K in ProblemKind]: Entry<HttpProblem> } = {
  // Domain errors (packages/core/src/errors.ts)
  validation_failed: { status: 400, message: (e) => firstIssue(e.issues, e.message) },
  plan_limit_reached: { status: 400, message: (e) => e.message },
  not_found: { status: 404, message: (e) => (e.entity ? NOT_FOUND[e.entity] : 'Not found') },
  reference_not_found: { status: 404, message: (e) => (e.entity ? NOT_FOUND[e.entity] : 'Not found') },
  forbidden: { status: 403, message: (e) => e.message },
  phone_number_in_use: { status: 409, message: 'Phone number already has an active agent' },
  agent_id_taken: { status: 409, message: (e) => e.message },
  agent_handle_taken: { status: 409, message: 'An agent with this handle already exists' },
  phone_number_exists: { status: 409, message: 'Phone number already exists' },
  phone_number_has_active_agent: { status: 409, message: 'Cannot delete phone number with an active agent' },
  // HTTP problems (packages/http/src/problems.ts)
  unauthorized: { status: 401, message: 'Invalid API key' },
  rate_limited: { status: 429, message: (p) => p.message },
  payload_too_large: { status: 413, message: 'Request body must be at most 1 MiB' },
  unsupported_media_type: { status: 415, message: 'Content-Type must be application/json' },
  invalid_json: { status: 400, message: 'Request body is not valid JSON' },
  invalid_request: { status: 400, message: (p) => firstIssue(p.issues, p.message) },
  route_not_found: { status: 404, message: (p) => p.message },
  method_not_allowed: { status: 405, message: (p) => p.message },
  idempotency_key_invalid: { status: 400, message: 'Idempotency-Key must be 1-128 printable ASCII characters' },
  idempotency_key_reused: { status: 409, message: 'Idempotency-Key was already used with a different request' },
  idempotency_key_in_use: { status: 409, message: 'A request with this Idempotency-Key is still being processed' },
};

const INTERNAL: LegacyError = { status: 500, title: TITLES[500], message: 'An unexpected error occurred. Please try again later.' };
const UNAVAILABLE: LegacyError = { status: 503, title: TITLES[503], message: 'The service is temporarily unavailable. Please retry shortly.' };

function entry<E>(e: Entry<E>, error: E): LegacyError {
  return { status: e.status, title: TITLES[e.status], message: typeof e.message === 'string' ? e.message : e.message(error) };
}

/** The legacy status, title and message of a known failure, or null for an unexpected one. */
export function legacyErrorOf(error: unknown): LegacyError | null {
  if (isDomainError(error)) return entry(TABLE[error.code] as Entry<DomainError>, error);
  if (isHttpProblem(error)) return entry(TABLE[error.kind] as Entry<HttpProblem>, error);
  if (error instanceof HTTPException && error.status in TITLES && error.status < 500) {
    // Hono's own guards (a media type or JSON its validator refuses) speak the same table.
    if (error.status === 415) return entry(TABLE.unsupported_media_type, new HttpProblem('unsupported_media_type', ''));
    if (error.status === 400) return entry(TABLE.invalid_json, new HttpProblem('invalid_json', ''));
    const status = error.status as LegacyStatus;
    return { status, title: TITLES[status], message: error.message || TITLES[status] };
  }
  return null;
}

export function errorBody(c: Context<GatewayEnv>, services: GatewayServices, error: LegacyError) {
  return {
    error: error.title,
    message: error.message,
    correlation_id: c.get('requestId'),
    timestamp: legacyTimestamp(services.core.deps.clock.now()),
  };
}

/**
 * The single exit of the legacy app: every failure, expected or not, leaves here in the legacy
 * shape. Unexpected errors are reported with the request id and never shown.
 */
export function legacyErrorHandler(services: GatewayServices): ErrorHandler<GatewayEnv> {
  return (error, c) => {
    let rendered = legacyErrorOf(error);
    if (rendered === null) {
      services.reportError(error, c.get('requestId'));
      rendered = isTransient(error) ? UNAVAILABLE : INTERNAL;
      if (rendered.status === 503) setResponseHeader(c, 'Retry-After', '1');
    }
    if (isHttpProblem(error)) {
      if (error.retryAfter !== undefined) setResponseHeader(c, 'Retry-After', String(error.retryAfter));
      if (error.allow.length > 0) setResponseHeader(c, 'Allow', error.allow.join(', '));
    }
    return jsonResponse(c, rendered.status, JSON.stringify(errorBody(c, services, rendered)));
  };
}

/** zod issue path → the field name clients know: `tools.2.name`, or `body` for the whole body. */
function fieldOf(path: readonly PropertyKey[]): string {
  return path.length === 0 ? 'body' : path.map(String).join('.');
}

/**
 * The `defaultHook` of the legacy app: a request that does not fit its route's schema is a 400
 * naming the first field at fault. The schemas word their own messages (see schemas.ts).
 */
export function legacyValidationHook(result: { success: true } | { success: false; error: ZodError }): void {
  if (result.success) return;
  const issues: Issue[] = result.error.issues.map((issue) => {
    const field = fieldOf(issue.path);
    // Every schema words its messages; should one slip through unworded, still name the field.
    const message = issue.path.length === 0 || issue.message.includes(field) ? issue.message : `${field} is invalid`;
    return { field, rule: issue.code, message };
  });
  throw new HttpProblem('invalid_request', issues[0]?.message ?? 'Invalid request', { issues });
}
