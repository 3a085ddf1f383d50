import type { Repositories, UnitOfWork } from '@gateway/core';
import type { SecretCipher } from '@gateway/platform';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import pg from 'pg';
import { migrationsFolder } from '../migrations-folder';
import type { Storage } from '../storage';
import { PgConnection, rowTypes } from './client';
import { isUnavailable, RETRYABLE_CODES, storageFailure } from './constraints';
import { postgresRepositories } from './repositories';

/** A lost connection or a read that timed out on the client: errors with no SQLSTATE of the server, or class 08. */
function connectionGone(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code.startsWith('08');
  return isUnavailable(error);
}

export const POSTGRES_MIGRATIONS_FOLDER = migrationsFolder('pg');

/** Any constant: every instance of the gateway takes this advisory lock while it migrates. */
export const MIGRATION_LOCK = 7_416_202_601;
/** A write that meets a serialization failure or deadlock runs again, this many times in all. */
const WRITE_ATTEMPTS = 4;
/** How long `ready()` waits for the database before it says no. */
const READY_TIMEOUT_MS = 1500;
const CLIENT_TIMEOUT_GRACE_MS = 500;

export interface PostgresStorageOptions {
  url: string;
  cipher: SecretCipher;
  /** `DATABASE_POOL_SIZE`: connections this instance may hold (10). */
  poolSize?: number;
  /** `DATABASE_STATEMENT_TIMEOUT_MS`: one statement's limit, and how long a request waits for a connection (5000). */
  statementTimeoutMs?: number;
  /**
   * Connections of `poolSize` set apart for rate-limit counters (`counterPool`), on which commits do
   * not wait for the WAL to reach the disk (ADR 0011). 0, the default: the counters share the pool.
   */
  counterPoolSize?: number;
}

export interface PostgresStorage extends Storage {
  kind: 'postgres';
  /** The pool of the unit of work. */
  pool: pg.Pool;
  /**
   * Where rate-limit counters are kept: connections with `synchronous_commit = off` when
   * `counterPoolSize` set some apart, else the pool itself.
   */
  counterPool: pg.Pool;
}

/**
 * Opens a PostgreSQL database: a connection pool, the pending migrations applied once (under an
 * advisory lock, so instances starting together migrate one after the other and the later ones
 * find nothing to do), and the unit of work.
 *
 * - `write`: a pooled client, BEGIN (READ COMMITTED), the callback, COMMIT; ROLLBACK on failure. A
 *   serialization failure or deadlock runs the whole callback again (up to 4 times, with a short
 *   random pause); the named locks of ADR 0006 make them rare.
 * - `read`: one REPEATABLE READ READ ONLY transaction, so several statements (a page and its total)
 *   see one snapshot.
 * - Every statement is bounded by `statement_timeout`, and waiting for a connection by the same
 *   time, so an unreachable database answers `StorageError` (`unavailable`) instead of hanging. The
 *   pool reconnects by itself when the database is back.
 */
export async function openPostgresStorage(options: PostgresStorageOptions): Promise<PostgresStorage> {
  const statementTimeoutMs = options.statementTimeoutMs ?? 5000;
  const poolSize = options.poolSize ?? 10;
  const counterPoolSize = options.counterPoolSize ?? 0;
  if (!Number.isInteger(counterPoolSize) || counterPoolSize < 0 || counterPoolSize >= poolSize) {
    throw new RangeError(`counterPoolSize must be a whole number from 0 to poolSize - 1 (${poolSize - 1}), not ${counterPoolSize}`);
  }
  const newPool = (max: number, onConnect?: (client: pg.ClientBase) => Promise<void>) => {
    const created = new pg.Pool({
      connectionString: options.url,
      max,
      types: rowTypes,
      statement_timeout: statementTimeoutMs,
      // The client's own limit too, so a server that stops answering costs one timeout, not a hang.
      // It trails the server's by a grace, so a live server's own cancel (57014) arrives first.
      query_timeout: statementTimeoutMs + CLIENT_TIMEOUT_GRACE_MS,
      connectionTimeoutMillis: statementTimeoutMs,
      idleTimeoutMillis: 30_000,
      // Awaited by the pool before it hands a new connection out; a failure fails that connect.
      ...(onConnect ? { onConnect } : {}),
    });
    // An idle client whose server went away: the pool drops it and makes a new one when asked.
    created.on('error', () => {});
    return created;
  };
  const pool = newPool(poolSize - counterPoolSize);
  // A plain statement rather than a startup parameter, which PgBouncer would refuse.
  const asyncCommits = async (client: pg.ClientBase) => {
    await client.query('SET synchronous_commit = off');
  };
  const counterPool = counterPoolSize > 0 ? newPool(counterPoolSize, asyncCommits) : pool;
  const endPools = () => Promise.all([pool.end(), ...(counterPool === pool ? [] : [counterPool.end()])]);

  const migrations = readMigrationFiles({ migrationsFolder: POSTGRES_MIGRATIONS_FOLDER });
  const latestMigration = Math.max(0, ...migrations.map((m) => m.folderMillis));
  try {
    await migrateOnce(options.url, statementTimeoutMs);
  } catch (error) {
    await endPools().catch(() => {});
    throw storageFailure(error);
  }

  let closed = false;
  const assertOpen = () => {
    if (closed) throw new Error('The storage is closed');
  };

  async function transaction<T>(begin: string, work: (repos: Repositories) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      throw storageFailure(error);
    }
    let broken = false;
    // The pool listens for errors of idle clients only: a connection lost while this one is checked
    // out (the server restarting between two statements) would be an uncaught 'error' event and end
    // the process. The next statement fails and is reported; the client is discarded.
    const lost = () => {
      broken = true;
    };
    client.on('error', lost);
    try {
      await client.query(begin);
      const result = await work(postgresRepositories(new PgConnection(client), options.cipher));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // A connection that is gone or stopped answering is discarded without a ROLLBACK (which would
      // wait the read timeout once more): the server rolls back what it had when the connection ends.
      if (!broken && !connectionGone(error)) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
      } else {
        broken = true;
      }
      throw storageFailure(error);
    } finally {
      client.off('error', lost);
      client.release(broken);
    }
  }

  const uow: UnitOfWork = {
    async read(work) {
      assertOpen();
      return transaction('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', work);
    },
    async write(work) {
      assertOpen();
      for (let attempt = 1; ; attempt++) {
        try {
          return await transaction('BEGIN', work);
        } catch (error) {
          const code = ((error as { cause?: { code?: string } }).cause ?? (error as { code?: string }))?.code;
          if (attempt >= WRITE_ATTEMPTS || code === undefined || !RETRYABLE_CODES.has(code)) throw error;
          await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * attempt));
        }
      }
    },
  };

  return {
    kind: 'postgres',
    uow,
    pool,
    counterPool,
    async ready() {
      if (closed) return false;
      // Within a second or two, whatever the database does (contract §9): a hung server is not ready.
      const timeout = new Promise<false>((resolve) => setTimeout(() => resolve(false), READY_TIMEOUT_MS).unref());
      const check = pool
        .query<{ latest: number | null }>({ text: 'SELECT max(created_at) AS latest FROM drizzle.__drizzle_migrations', query_timeout: READY_TIMEOUT_MS } as pg.QueryConfig)
        .then(({ rows }) => rows[0]?.latest != null && Number(rows[0].latest) >= latestMigration)
        .catch(() => false);
      return Promise.race([check, timeout]);
    },
    async close() {
      if (closed) return;
      closed = true;
      await endPools();
    },
  };
}

/**
 * drizzle's migrator on a connection of its own, outside the pool, holding a session-level advisory
 * lock: a second instance waits for the first, then finds every migration applied. The pool's
 * `statement_timeout` does not apply here: waiting for another instance's migration, or a migration
 * that takes long, is not a stuck request. Only connecting is bounded. Ending the session releases
 * the lock, whatever happened.
 */
async function migrateOnce(url: string, connectTimeoutMs: number): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await migrate(drizzle(client), { migrationsFolder: POSTGRES_MIGRATIONS_FOLDER });
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
  } finally {
    await client.end().catch(() => {});
  }
}
