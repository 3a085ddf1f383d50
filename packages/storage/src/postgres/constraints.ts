import { isDomainError, isStorageError, StorageError, validationFailed } from '@gateway/core';

/**
 * Maps PostgreSQL errors onto what the core expects. A unique violation (23505) names its
 * constraint, the index names of ./schema.ts; connection loss, timeouts and an overloaded server
 * become `StorageError` (`unavailable`); a serialization failure or deadlock that outlived the
 * unit of work's retries becomes `StorageError` (`conflict`). Anything else is wrapped, never
 * handed out raw (its message names tables and columns), and kept as `cause` for the logs.
 */
interface PgError extends Error {
  code?: string;
  constraint?: string;
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '57014', // query_canceled: statement_timeout
  '55P03', // lock_not_available
]);
export const RETRYABLE_CODES = new Set(['40001', '40P01']);

export function isUnavailable(error: unknown): boolean {
  const e = error as PgError | undefined;
  if (typeof e?.code === 'string' && (UNAVAILABLE_CODES.has(e.code) || e.code.startsWith('08'))) return true;
  const message = e instanceof Error ? e.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|connection is closed/i.test(message);
}

/**
 * drizzle wraps a query that failed (DrizzleQueryError: its message is the whole SQL and its
 * parameters, a migration's included); the driver's error is its cause.
 */
function driverError(error: unknown): unknown {
  const wrapped = error instanceof Error && typeof (error as { query?: unknown }).query === 'string' && error.cause instanceof Error;
  return wrapped ? error.cause : error;
}

export function storageFailure(failure: unknown): unknown {
  if (isDomainError(failure) || isStorageError(failure)) return failure;
  const error = driverError(failure);
  const code = (error as PgError | undefined)?.code;
  if (isUnavailable(error)) return new StorageError('unavailable', `Storage is unavailable (${code ?? 'connection'})`, { cause: error });
  if (code !== undefined && RETRYABLE_CODES.has(code)) return new StorageError('conflict', `Storage conflict (${code})`, { cause: error });
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    const kind = code.startsWith('23') ? 'rejected by a database constraint' : 'failed';
    return new Error(`Storage operation ${kind} (${code})`, { cause: error });
  }
  return failure;
}

/** The constraint a unique violation names, or null for any other error. */
export function uniqueConstraint(error: unknown): string | null {
  const e = error as PgError | undefined;
  return e?.code === '23505' && typeof e.constraint === 'string' ? e.constraint : null;
}

/** Runs a write and translates the unique violations `translate` knows; wraps the rest. */
export async function guarded<T>(write: () => Promise<T>, translate: (constraint: string) => Error | undefined): Promise<T> {
  try {
    return await write();
  } catch (error) {
    const constraint = uniqueConstraint(error);
    const mapped = constraint === null ? undefined : translate(constraint);
    throw mapped ?? storageFailure(error);
  }
}

export const emailTaken = () => validationFailed([{ field: 'email', rule: 'taken', message: 'email is already in use' }]);
export { agentHandleTaken, agentIdTaken, phoneNumberExists, phoneNumberInUse } from '../sqlite/constraints';
