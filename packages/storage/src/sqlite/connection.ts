import Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';

/**
 * One better-sqlite3 connection and its prepared statements. Every query goes through `stmt`,
 * which prepares a SQL text once per connection and reuses it afterwards.
 */
export class Connection {
  readonly db: Database.Database;
  readonly #statements = new Map<string, Statement>();
  readonly #rawStatements = new Map<string, Statement>();
  readonly #guard: (() => void) | undefined;
  readonly #inSnapshot: Database.Transaction<(work: () => unknown) => unknown>;

  /** `guard` runs before every statement (the writer uses it to refuse work outside a transaction). */
  constructor(db: Database.Database, guard?: () => void) {
    this.db = db;
    this.#guard = guard;
    this.#inSnapshot = db.transaction((work: () => unknown) => work());
  }

  stmt(sql: string): Statement {
    this.#guard?.();
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * Like `stmt`, but its rows come back as arrays in column order: half the cost of building an
   * object per row, which matters on list pages.
   */
  rawStmt(sql: string): Statement {
    this.#guard?.();
    let statement = this.#rawStatements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql).raw(true);
      this.#rawStatements.set(sql, statement);
    }
    return statement;
  }

  /**
   * Runs several reads as one consistent snapshot. Inside a write the transaction already is one;
   * on the reader it is a short deferred transaction (no await can happen inside `work`).
   */
  snapshot<T>(work: () => T): T {
    if (this.db.inTransaction) return work();
    return this.#inSnapshot.deferred(work) as T;
  }
}

/**
 * Puts the file in WAL mode (it stays so). On a new file another process may be doing the same at
 * that moment, and SQLite answers the mode switch SQLITE_BUSY at once instead of waiting on
 * busy_timeout: try again for up to five seconds. Start-up only, so blocking the thread is fine.
 */
function enterWalMode(db: Database.Database): void {
  const deadline = Date.now() + 5000;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw error;
      Atomics.wait(pause, 0, 0, 5 + Math.floor(Math.random() * 20));
    }
  }
}

/**
 * The writer connection, its migrations applied. Foreign keys are off while migrating (SQLite
 * ignores `PRAGMA foreign_keys` inside the migration's transaction, so a table rebuild would
 * otherwise trip them), checked once afterwards, then on for good.
 */
export function openMigratedWriter(file: string, migrate: (db: Database.Database) => void): Database.Database {
  const db = new Database(file);
  try {
    // First: switching a new file to WAL, and migrating, wait for another process doing the same.
    db.pragma('busy_timeout = 5000');
    enterWalMode(db);
    // WAL + NORMAL: no fsync per commit; still crash-safe, only a power cut may lose the last commits.
    db.pragma('synchronous = NORMAL');
    db.pragma(`cache_size = -${CACHE_KIB}`);
    db.pragma('foreign_keys = OFF');
    migrate(db);
    const violations = db.pragma('foreign_key_check') as unknown[];
    if (violations.length > 0) throw new Error(`Migrations left ${violations.length} foreign key violations`);
    db.pragma('foreign_keys = ON');
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Page cache per connection, in KiB. SQLite's default (2 MiB) makes every read of a large table a
 * system call into the OS cache; 16 MiB keeps the hot index and row pages in process while two
 * connections stay well inside the gateway's memory budget.
 */
const CACHE_KIB = 16 * 1024;

/** A read-only connection to a file the writer already opened (and so already put in WAL mode). */
export function openReader(file: string): Database.Database {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  db.pragma(`cache_size = -${CACHE_KIB}`);
  return db;
}
