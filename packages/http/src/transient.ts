import { isStorageError } from '@gateway/core';

/**
 * Whether an unexpected error is one a client should retry (both dialects answer it 503 with
 * `Retry-After`): a `StorageError`, which storage adapters raise for a database that is busy,
 * unreachable or timed out, or for a transaction that lost a race and may succeed when retried.
 * Storage owns the drivers' codes; nothing here knows them.
 */
export function isTransient(error: unknown): boolean {
  return isStorageError(error);
}
