export { openStorage, sqliteFileOf, type Storage, type StorageOptions } from './storage';
export { openSqliteStorage, type SqliteStorageOptions } from './sqlite/open';
export { openPostgresStorage, type PostgresStorage, type PostgresStorageOptions } from './postgres/open';
