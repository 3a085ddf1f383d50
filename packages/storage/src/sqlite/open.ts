import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Repositories, UnitOfWork } from '@gateway/core';
import type { SecretCipher } from '@gateway/platform';
import type Database from 'better-sqlite3';
import { readMigrationFiles, type MigrationMeta } from 'drizzle-orm/migrator';
import { migrationsFolder } from '../migrations-folder';
import { Mutex } from '../mutex';
import type { Storage } from '../storage';
import { Connection, openMigratedWriter, openReader } from './connection';
import { storageFailure } from './constraints';
import { sqliteRepositories } from './repositories';

export const SQLITE_MIGRATIONS_FOLDER = migrationsFolder('sqlite');

export interface SqliteStorageOptions {
  /** Path of the database file; its directory is created when missing. */
  file: string;
  /** Seals phone numbers' access tokens before they are stored. */
  cipher: SecretCipher;
}

/**
 * Opens (creating when needed) a SQLite database, applies pending migrations, and returns its unit
 * of work: a writer connection for `write` and a read-only connection for `read`. Synchronous, as
 * better-sqlite3 is; open one per database file per process (two would contend for the write lock
 * on one thread, and SQLite's busy wait would block it).
 */
export function openSqliteStorage({ file, cipher }: SqliteStorageOptions): Storage {
  if (file.trim() === '' || file === ':memory:' || file.startsWith('file::memory:')) {
    throw new Error('SQLite storage needs a database file: an in-memory database cannot be shared by its reader and writer');
  }
  mkdirSync(dirname(resolve(file)), { recursive: true });

  const migrations = readMigrationFiles({ migrationsFolder: SQLITE_MIGRATIONS_FOLDER });
  const latestMigration = Math.max(0, ...migrations.map((m) => m.folderMillis));

  const writer = openMigratedWriter(file, (db) => migrateOnce(db, migrations));
  let reader: Database.Database;
  let latestApplied: Database.Statement;
  try {
    reader = openReader(file);
    latestApplied = reader.prepare('SELECT max(created_at) AS latest FROM __drizzle_migrations');
  } catch (error) {
    writer.close();
    throw error;
  }

  const uow = sqliteUnitOfWork(writer, reader, cipher);
  return {
    kind: 'sqlite',
    uow,
    async ready() {
      if (uow.closed) return false;
      try {
        const row = latestApplied.get() as { latest: number | null };
        return row.latest !== null && Number(row.latest) >= latestMigration;
      } catch {
        return false;
      }
    },
    close: () => uow.close(),
  };
}

/**
 * Applies the pending migrations exactly once, even when several processes open the same (new)
 * file at the same moment. drizzle's SQLite migrator reads the migration history before it opens
 * its transaction, so two processes can both decide to migrate, and the second fails on
 * `CREATE TABLE`. Here the history is read inside `BEGIN IMMEDIATE`: the write lock is taken first
 * (a second process waits on busy_timeout), so whoever comes second sees the migrations applied and
 * has nothing to do. drizzle's own migration files and history table (`__drizzle_migrations`, the
 * same columns and rule: apply what is newer than the latest `created_at`) are kept, so a database
 * migrated by either stays compatible.
 */
export function migrateOnce(db: Database.Database, migrations: readonly MigrationMeta[]): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec('CREATE TABLE IF NOT EXISTS "__drizzle_migrations" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)');
    const latest = db.prepare('SELECT created_at FROM "__drizzle_migrations" ORDER BY created_at DESC LIMIT 1').get() as
      | { created_at: number | string }
      | undefined;
    const record = db.prepare('INSERT INTO "__drizzle_migrations" ("hash", "created_at") VALUES (?, ?)');
    for (const migration of migrations) {
      if (latest !== undefined && Number(latest.created_at) >= migration.folderMillis) continue;
      for (const statement of migration.sql) if (statement.trim() !== '') db.exec(statement);
      record.run(migration.hash, migration.folderMillis);
    }
    db.exec('COMMIT');
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

interface SqliteUnitOfWork extends UnitOfWork {
  readonly closed: boolean;
  close(): Promise<void>;
}

/** Most writes one commit carries; more wait for the next. */
const GROUP_MAX = 64;

/**
 * Results the reader keeps while the database is unchanged (agents read by id, and their list
 * pages): a few MB at most, emptied by any commit (see `Connection.cached`).
 */
const READ_CACHE_ENTRIES = 500;

interface PendingWrite {
  work: (repos: Repositories) => Promise<unknown>;
  resolve(result: unknown): void;
  reject(error: unknown): void;
  /** In a transaction of its own: its group failed as a whole, so it is run again alone. */
  alone: boolean;
}

/**
 * better-sqlite3 is synchronous and its `transaction()` cannot span an `await`, so a write is:
 * under the FIFO mutex, `BEGIN IMMEDIATE`, await the callback, then `COMMIT` (or `ROLLBACK` and
 * rethrow). Repository methods run synchronously, so while the mutex is held nothing else touches
 * the writer connection, and the callback's awaits cannot interleave another transaction. `read`
 * needs no mutex: it runs on a separate read-only connection, which in WAL mode sees committed data
 * only. A write must not call `write` again from inside its callback (it would wait for itself).
 *
 * Group commit: the writes that queued up while a transaction ran go into the next one together,
 * one after the other, each inside a savepoint, and share one `COMMIT` (ADR 0009). A write that
 * fails is rolled back to its savepoint and rejected alone; the others are resolved only once the
 * commit has succeeded, so nothing is acknowledged that is not on disk and no write ever sees
 * another's uncommitted work except an earlier one of its own group, which commits with it. Should
 * SQLite abandon the whole transaction (a full disk, say) or the commit fail, the group's other
 * writes are run again, each in a transaction of its own, exactly as if they had queued behind it;
 * a write's work is re-runnable on PostgreSQL too, which retries serialization failures.
 */
function sqliteUnitOfWork(writer: Database.Database, reader: Database.Database, cipher: SecretCipher): SqliteUnitOfWork {
  const mutex = new Mutex();
  let closed = false;
  let closing: Promise<void> | undefined;

  const writeConnection = new Connection(writer, {
    guard: () => {
      if (!writer.inTransaction) throw new Error('A repository of a finished write() was used outside its transaction');
    },
  });
  const writeRepos: Repositories = sqliteRepositories(writeConnection, cipher);
  const readConnection = new Connection(reader, { cacheEntries: READ_CACHE_ENTRIES });
  const readRepos: Repositories = sqliteRepositories(readConnection, cipher);
  const begin = writer.prepare('BEGIN IMMEDIATE');
  const commit = writer.prepare('COMMIT');
  const rollback = writer.prepare('ROLLBACK');
  const savepoint = writer.prepare('SAVEPOINT grouped_write');
  const release = writer.prepare('RELEASE grouped_write');
  const rollbackTo = writer.prepare('ROLLBACK TO grouped_write');

  const queue: PendingWrite[] = [];
  let draining = false;

  const assertOpen = () => {
    if (closed) throw new Error('The storage is closed');
  };

  /** The next group: the writes waiting, up to `GROUP_MAX`; a write to be run alone goes alone. */
  const nextGroup = (): PendingWrite[] => {
    if ((queue[0] as PendingWrite).alone) return queue.splice(0, 1);
    let size = 1;
    while (size < queue.length && size < GROUP_MAX && !(queue[size] as PendingWrite).alone) size++;
    return queue.splice(0, size);
  };

  /** Runs one group in one transaction; what must run again goes back to the front of the queue. */
  const runGroup = async (group: PendingWrite[]) => {
    try {
      begin.run();
    } catch (error) {
      for (const pending of group) pending.reject(storageFailure(error));
      return;
    }
    const grouped = group.length > 1;
    const done: { pending: PendingWrite; result: unknown }[] = [];
    for (let i = 0; i < group.length; i++) {
      const pending = group[i] as PendingWrite;
      try {
        if (grouped) savepoint.run();
        const result = await pending.work(writeRepos);
        if (grouped) release.run();
        done.push({ pending, result });
      } catch (error) {
        pending.reject(storageFailure(error));
        if (grouped && writer.inTransaction) {
          try {
            rollbackTo.run();
            release.run();
            continue;
          } catch {
            // The savepoint is gone with the transaction: as below.
          }
        }
        // The transaction is over (SQLite rolled it back, or it was this write's alone): the
        // writes before this one are undone too, and run again; those after it have not run yet.
        if (writer.inTransaction) rollback.run();
        queue.unshift(...done.map(({ pending: earlier }) => ({ ...earlier, alone: true })), ...group.slice(i + 1));
        return;
      }
    }
    // The reader reads the version again at its next lookup, in this turn too: whatever the commit
    // does, it happens before anyone learns of it (nothing else runs until the writes are settled).
    readConnection.committed();
    try {
      commit.run();
    } catch (error) {
      if (writer.inTransaction) rollback.run();
      if (!grouped) {
        (group[0] as PendingWrite).reject(storageFailure(error));
        return;
      }
      queue.unshift(...done.map(({ pending }) => ({ ...pending, alone: true })));
      return;
    }
    for (const { pending, result } of done) pending.resolve(result);
  };

  const drain = async () => {
    try {
      while (queue.length > 0) {
        if (closed) {
          for (const pending of queue.splice(0)) pending.reject(new Error('The storage is closed'));
          return;
        }
        const group = nextGroup();
        try {
          await runGroup(group);
        } catch (error) {
          // Only a failing ROLLBACK gets here; settling a promise twice changes nothing.
          for (const pending of group) pending.reject(storageFailure(error));
        }
      }
    } finally {
      draining = false;
    }
  };

  return {
    get closed() {
      return closed;
    },
    async read(work) {
      assertOpen();
      try {
        return await work(readRepos);
      } catch (error) {
        throw storageFailure(error);
      }
    },
    write<T>(work: (repos: Repositories) => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ work, resolve: resolve as (result: unknown) => void, reject, alone: false });
        if (!draining) {
          draining = true;
          void mutex.run(async () => {
            // After the requests that arrived with this one have queued their writes too: they
            // are handled in the same turn of the event loop, and join this one's group.
            await new Promise((next) => setImmediate(next));
            await drain();
          });
        }
      });
    },
    close() {
      closing ??= mutex.run(async () => {
        closed = true;
        reader.close();
        writer.close();
      });
      return closing;
    },
  };
}
