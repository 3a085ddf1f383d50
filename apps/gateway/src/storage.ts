import { pathToFileURL } from 'node:url';
import { aesGcmCipher } from '@gateway/platform';
import { openStorage, type Storage } from '@gateway/storage';
import type { DatabaseConfig, GatewayConfig } from './config';

/** The URL storage is opened with: the PostgreSQL URL as given, or a `file:` URL of the SQLite file. */
export function storageUrl(database: DatabaseConfig): string {
  return database.kind === 'postgres' ? database.url : pathToFileURL(database.file).href;
}

/** Opens the configured database; migrations run there. */
export function openGatewayStorage(config: Pick<GatewayConfig, 'database' | 'encryptionKey'> & Partial<Pick<GatewayConfig, 'databasePool'>>): Promise<Storage> {
  return openStorage({
    url: storageUrl(config.database),
    cipher: aesGcmCipher(config.encryptionKey),
    ...(config.databasePool ? { poolSize: config.databasePool.size, statementTimeoutMs: config.databasePool.statementTimeoutMs } : {}),
  });
}
