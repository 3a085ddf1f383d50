import type { Issue } from '@gateway/core';

/**
 * Failures the HTTP layer itself finds, before or around the core. Middlewares throw them; each
 * dialect's error handler renders them in its own shape.
 */
export type ProblemKind =
  | 'unauthorized'
  | 'rate_limited'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'invalid_json'
  | 'invalid_request'
  | 'route_not_found'
  | 'method_not_allowed'
  | 'idempotency_key_invalid'
  | 'idempotency_key_reused'
  | 'idempotency_key_in_use';

const BRAND = Symbol.for('agents-gateway.http-problem');

export class HttpProblem extends Error {
  readonly [BRAND] = true;
  readonly kind: ProblemKind;
  /** Field-level problems of the request's shape (`invalid_request`). */
  readonly issues: readonly Issue[];
  /** Seconds until a rate-limited client may retry. */
  readonly retryAfter: number | undefined;
  /** Methods the path does answer (`method_not_allowed`). */
  readonly allow: readonly string[];

  constructor(kind: ProblemKind, message: string, details: { issues?: Issue[]; retryAfter?: number; allow?: string[] } = {}) {
    super(message);
    this.name = 'HttpProblem';
    this.kind = kind;
    this.issues = details.issues ?? [];
    this.retryAfter = details.retryAfter;
    this.allow = details.allow ?? [];
  }
}

export function isHttpProblem(value: unknown): value is HttpProblem {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}
