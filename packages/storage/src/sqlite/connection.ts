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

  readonly #cache: ReadCache | undefined;

  /**
   * `guard` runs before every statement (the writer uses it to refuse work outside a transaction).
   * `cacheEntries` above 0 gives the connection a read cache of that many results (see `cached`):
   * only for a connection that never writes, since it is emptied by other connections' commits.
   */
  constructor(db: Database.Database, options: { guard?: () => void; cacheEntries?: number } = {}) {
    this.db = db;
    this.#guard = options.guard;
    this.#inSnapshot = db.transaction((work: () => unknown) => work());
    this.#cache = (options.cacheEntries ?? 0) > 0 ? new ReadCache(db, options.cacheEntries as number) : undefined;
  }

  /**
   * The result of `read` for `key`, kept while the database stays as it was when it was read.
   * `key` must name the query and every one of its parameters. A result is frozen, as it may be
   * handed to many callers. Without a cache this is just `read()`.
   */
  cached<T>(key: string, read: () => T): T {
    return this.#cache === undefined ? read() : this.#cache.get(key, read);
  }

  /** Tells the cache that this process's writer has committed (see `ReadCache.committed`). */
  committed(): void {
    this.#cache?.committed();
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
 * Results of reads by key, valid for one version of the database. SQLite's `PRAGMA data_version`
 * changes on this connection whenever any other connection, in this process or another, has
 * committed; a change empties the cache, so a result is served only while the data it was read
 * from was still the latest when the version was last read. The version is read before the query,
 * outside its transaction: a commit between the two makes the entry newer than its version, and
 * the next check, seeing the new version, drops it. Bounded: past `maxEntries` the oldest entry goes.
 *
 * The version is read once per turn of the event loop (ADR 0010): at the first lookup, then again
 * only after the microtasks of that turn have all run (a `nextTick` queued from them runs then), or
 * after this process's writer has committed (`committed`). Every request a turn serves had arrived
 * by the time the turn began (a turn starts from the bytes read from a socket, and no more are read
 * until it is over), so the version read during the turn is a moment between each such request's
 * arrival and its answer, and each of its reads one that could have happened at that moment. A
 * legacy request, which reads its path's user and then its agent, pays for one check, not two.
 */
class ReadCache {
  readonly #version: Statement;
  readonly #maxEntries: number;
  readonly #entries = new Map<string, unknown>();
  #at: unknown = undefined;
  /** Whether `#at` was read in this turn and nothing of this process has committed since. */
  #checked = false;
  readonly #turnOver = () => {
    this.#checked = false;
  };

  constructor(db: Database.Database, maxEntries: number) {
    this.#version = db.prepare('PRAGMA data_version').pluck();
    this.#maxEntries = maxEntries;
  }

  /** This process's writer has committed: the next lookup reads the version again. */
  committed(): void {
    this.#checked = false;
  }

  get<T>(key: string, read: () => T): T {
    if (!this.#checked) {
      const version = this.#version.get();
      if (version !== this.#at) {
        this.#entries.clear();
        this.#at = version;
      }
      this.#checked = true;
      process.nextTick(this.#turnOver);
    }
    if (this.#entries.has(key)) return this.#entries.get(key) as T;
    const value = deepFreeze(read());
    if (this.#entries.size >= this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value as string);
    this.#entries.set(key, value);
    return value;
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
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
