export { openStorage, sqliteFileOf, type Storage, type StorageOptions } from './storage';
export { openSqliteStorage, type SqliteStorageOptions } from './sqlite/open';
