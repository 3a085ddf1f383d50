import { DomainError, StorageError, validationFailed } from '@gateway/core';

/**
 * Maps a violated database constraint onto the domain error the core expects. SQLite names the
 * columns of a column index (`UNIQUE constraint failed: agents.id`) and the name of an expression
 * index (`UNIQUE constraint failed: index 'agents_org_handle_live_uq'`); both appear below.
 */

function isSqliteError(error: unknown): error is Error & { code: string } {
  return error instanceof Error && error.name === 'SqliteError' && typeof (error as { code?: unknown }).code === 'string';
}

/** The columns or index a UNIQUE or PRIMARY KEY failure names, or null for any other error. */
export function uniqueTarget(error: unknown): string | null {
  if (!isSqliteError(error)) return null;
  if (error.code !== 'SQLITE_CONSTRAINT_UNIQUE' && error.code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') return null;
  const target = /constraint failed: (.*)$/.exec(error.message)?.[1] ?? '';
  return /^index '(.*)'$/.exec(target)?.[1] ?? target;
}

/** SQLite's "try again shortly": the file is locked by another connection or process past busy_timeout. */
const BUSY_CODES = new Set(['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_BUSY_TIMEOUT', 'SQLITE_LOCKED']);

/**
 * Any SQLite error that no repository translated: never handed out raw (its message names tables
 * and columns), but kept as `cause` for the logs. A busy or locked database is a `StorageError`
 * (`unavailable`), which the dialects answer 503 with `Retry-After`.
 */
export function storageFailure(error: unknown): unknown {
  if (!isSqliteError(error)) return error;
  if (BUSY_CODES.has(error.code)) return new StorageError('unavailable', `Storage is busy (${error.code})`, { cause: error });
  const kind = error.code.startsWith('SQLITE_CONSTRAINT') ? 'rejected by a database constraint' : 'failed';
  return new Error(`Storage operation ${kind} (${error.code})`, { cause: error });
}

export const agentIdTaken = (id: string) =>
  new DomainError('agent_id_taken', `Agent with ID ${id} already exists`, { entity: 'agent', id });

export const phoneNumberInUse = (phoneNumberId: string | null) =>
  new DomainError('phone_number_in_use', 'Phone number already has an active agent', {
    entity: 'phone_number',
    ...(phoneNumberId === null ? {} : { id: phoneNumberId }),
  });

export const agentHandleTaken = (handle: string) =>
  new DomainError('agent_handle_taken', `Agent with handle @${handle} already exists`, { field: 'handle' });

export const phoneNumberExists = () => new DomainError('phone_number_exists', 'Phone number already exists', { entity: 'phone_number' });

export const emailTaken = () => validationFailed([{ field: 'email', rule: 'taken', message: 'email is already in use' }]);

/** Runs a write and translates the constraint failures `translate` knows; wraps the rest. */
export function guarded<T>(write: () => T, translate: (target: string) => Error | undefined): T {
  try {
    return write();
  } catch (error) {
    const target = uniqueTarget(error);
    const mapped = target === null ? undefined : translate(target);
    throw mapped ?? storageFailure(error);
  }
}
