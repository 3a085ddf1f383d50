/**
 * The closed set of domain errors. The core never speaks HTTP: each dialect owns one table that maps
 * these codes onto its own status, title and message.
 */
export type Entity = 'org' | 'user' | 'api_key' | 'agent' | 'phone_number' | 'conversation';

export interface Issue {
  /** The input field, dotted for nested values: `tools.2.name`. */
  field: string;
  /** A stable machine word for the problem: `required`, `invalid`, `too_long`, `limit_reached`, … */
  rule: string;
  /** A sentence that names the field. */
  message: string;
}

export type DomainErrorCode =
  | 'validation_failed'
  | 'not_found'
  | 'reference_not_found'
  | 'forbidden'
  | 'phone_number_in_use'
  | 'agent_handle_taken'
  | 'agent_id_taken'
  | 'phone_number_exists'
  | 'phone_number_has_active_agent'
  | 'plan_limit_reached';

interface ErrorDetails {
  entity?: Entity;
  field?: string;
  id?: string;
  issues?: Issue[];
  scope?: string;
}

const BRAND = Symbol.for('agents-gateway.domain-error');

export class DomainError extends Error {
  readonly [BRAND] = true;
  readonly code: DomainErrorCode;
  readonly entity: Entity | undefined;
  readonly field: string | undefined;
  readonly id: string | undefined;
  readonly issues: readonly Issue[];
  readonly scope: string | undefined;

  constructor(code: DomainErrorCode, message: string, details: ErrorDetails = {}) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
    this.entity = details.entity;
    this.field = details.field;
    this.id = details.id;
    this.issues = details.issues ?? [];
    this.scope = details.scope;
  }
}

/** Works across duplicated module copies, unlike `instanceof`. */
export function isDomainError(value: unknown): value is DomainError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

export const notFound = (entity: Entity, id?: string) =>
  new DomainError('not_found', `${entityLabel(entity)} not found`, { entity, ...(id ? { id } : {}) });

/** R12 and R7: an id inside a body that does not resolve in the caller's scope. */
export const referenceNotFound = (entity: Entity, field: string, id: string) =>
  new DomainError('reference_not_found', `${entityLabel(entity)} not found`, {
    entity,
    field,
    id,
    issues: [{ field, rule: 'not_found', message: `${field} references unknown ${entity.replace('_', ' ')} ${id}` }],
  });

export const validationFailed = (issues: Issue[]) =>
  new DomainError('validation_failed', issues[0]?.message ?? 'Validation failed', { issues });

export function entityLabel(entity: Entity): string {
  const label = entity.replace('_', ' ');
  return label.charAt(0).toUpperCase() + label.slice(1);
}

const STORAGE_BRAND = Symbol.for('agents-gateway.storage-error');

/**
 * A storage failure that says nothing about the request: `unavailable` (the database cannot be
 * reached, is busy, or timed out) and `conflict` (a concurrent transaction won, and retrying the
 * whole request may succeed). Both are worth a retry by the client; transports answer them 503
 * with `Retry-After`. Storage adapters wrap driver errors in it, keeping the original as `cause`,
 * so nothing above storage knows a driver's codes.
 */
export class StorageError extends Error {
  readonly [STORAGE_BRAND] = true;
  readonly kind: 'unavailable' | 'conflict';

  constructor(kind: 'unavailable' | 'conflict', message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageError';
    this.kind = kind;
  }
}

/** Works across duplicated module copies, unlike `instanceof`. */
export function isStorageError(value: unknown): value is StorageError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[STORAGE_BRAND] === true;
}
