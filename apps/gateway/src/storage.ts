import { pathToFileURL } from 'node:url';
import { aesGcmCipher } from '@gateway/platform';
import { openStorage, type Storage } from '@gateway/storage';
import type { DatabaseConfig, GatewayConfig } from './config';

/** The URL storage is opened with: the PostgreSQL URL as given, or a `file:` URL of the SQLite file. */
export function storageUrl(database: DatabaseConfig): string {
  return database.kind === 'postgres' ? database.url : pathToFileURL(database.file).href;
}

/**
 * How many of an instance's `DATABASE_POOL_SIZE` connections keep the rate-limit counters when
 * PostgreSQL keeps them (ADR 0011): two fifths, rounded, at least one; none with a pool of one, whose
 * only connection serves both. A request updates its two counters in parallel, one statement each,
 * and holds a data connection for its transactions.
 */
export function counterConnections(poolSize: number): number {
  return poolSize < 2 ? 0 : Math.max(1, Math.round((poolSize * 2) / 5));
}

/**
 * Opens the configured database; migrations run there. `rateLimitCounters`: the server keeps its
 * rate-limit counters in this PostgreSQL database (no `REDIS_URL`), on connections of their own.
 */
export function openGatewayStorage(
  config: Pick<GatewayConfig, 'database' | 'encryptionKey'> & Partial<Pick<GatewayConfig, 'databasePool'>>,
  { rateLimitCounters = false }: { rateLimitCounters?: boolean } = {},
): Promise<Storage> {
  const pool = config.databasePool;
  return openStorage({
    url: storageUrl(config.database),
    cipher: aesGcmCipher(config.encryptionKey),
    ...(pool ? { poolSize: pool.size, statementTimeoutMs: pool.statementTimeoutMs } : {}),
    // Like the pool size, given to PostgreSQL only (`openStorage`).
    ...(pool && rateLimitCounters ? { counterPoolSize: counterConnections(pool.size) } : {}),
  });
}
