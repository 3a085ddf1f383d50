export { openStorage, type Storage, type StorageOptions } from './storage';
export { openSqliteStorage, type SqliteStorageOptions } from './sqlite/open';
