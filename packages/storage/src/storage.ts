import { fileURLToPath } from 'node:url';
import type { UnitOfWork } from '@gateway/core';
import type { SecretCipher } from '@gateway/platform';
import { openPostgresStorage } from './postgres/open';
import { openSqliteStorage } from './sqlite/open';

/** An open database behind the core's unit of work. */
export interface Storage {
  kind: 'sqlite' | 'postgres';
  uow: UnitOfWork;
  /** The database is reachable and every migration is applied. */
  ready(): Promise<boolean>;
  /** Waits for running writes, then closes the connections. */
  close(): Promise<void>;
}

export interface StorageOptions {
  /** `DATABASE_URL`: `postgres://…` names PostgreSQL; a `file:` URL or a plain path names a SQLite file. */
  url: string;
  cipher: SecretCipher;
  /** PostgreSQL only: `DATABASE_POOL_SIZE` and `DATABASE_STATEMENT_TIMEOUT_MS`. */
  poolSize?: number;
  statementTimeoutMs?: number;
  /** PostgreSQL only: connections of `poolSize` set apart for rate-limit counters (ADR 0011). */
  counterPoolSize?: number;
}

/** Opens the storage a `DATABASE_URL` names, its migrations applied. */
export async function openStorage({ url, cipher, poolSize, statementTimeoutMs, counterPoolSize }: StorageOptions): Promise<Storage> {
  const file = sqliteFileOf(url);
  if (file === null) {
    return openPostgresStorage({
      url,
      cipher,
      ...(poolSize !== undefined ? { poolSize } : {}),
      ...(statementTimeoutMs !== undefined ? { statementTimeoutMs } : {}),
      ...(counterPoolSize !== undefined ? { counterPoolSize } : {}),
    });
  }
  return openSqliteStorage({ file, cipher });
}

/**
 * The SQLite file a `DATABASE_URL` names (`file:///abs/db.sqlite`, `file:relative/db.sqlite` or a
 * plain path), or null when it names PostgreSQL. Throws for any other scheme.
 */
export function sqliteFileOf(url: string): string | null {
  if (/^postgres(ql)?:\/\//i.test(url)) return null;
  if (url.startsWith('file:')) {
    if (url.includes('?')) throw new Error('DATABASE_URL file: URLs take no query parameters');
    return url.startsWith('file://') ? fileURLToPath(url) : url.slice('file:'.length);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    throw new Error(`DATABASE_URL scheme ${url.slice(0, url.indexOf(':'))} is not supported; use a SQLite file path or file: URL`);
  }
  return url;
}
