import { isDomainError, isStorageError, type Repositories, type StorageError } from '@gateway/core';
import { aesGcmCipher, generateKeyHex } from '@gateway/platform';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStorage, type PostgresStorage } from '../src';
import { MIGRATION_LOCK, POSTGRES_MIGRATIONS_FOLDER } from '../src/postgres/open';
import { aConversation, anAgent, anOrg, gate, insertAgents, rejectsWithCode, seedWorld, T0, W } from './contract/fixtures';
import { createDatabase, postgresServerUrl, truncateAll } from './postgres-database';

/**
 * What only PostgreSQL has (the shared behaviour is test/postgres.contract.test.ts): migrations under
 * an advisory lock, `ready()`, the isolation of `read` and `write`, the named locks, retries of
 * deadlocks and serialization failures, timeouts and lost connections as `StorageError`, and rules
 * that must not depend on the database's collation.
 */
const serverUrl = postgresServerUrl();
const cipher = aesGcmCipher(generateKeyHex());
const MIGRATIONS = readMigrationFiles({ migrationsFolder: POSTGRES_MIGRATIONS_FOLDER }).length;

interface Database {
  url: string;
  drop(): Promise<void>;
}
const databases: Database[] = [];
const storages: PostgresStorage[] = [];

async function newDatabase(label: string, migrated = false): Promise<Database> {
  const database = await createDatabase(serverUrl, label, { migrated });
  databases.push(database);
  return database;
}

async function open(url: string, options: { statementTimeoutMs?: number; poolSize?: number; counterPoolSize?: number } = {}): Promise<PostgresStorage> {
  const storage = await openPostgresStorage({ url, cipher, poolSize: 8, ...options });
  storages.push(storage);
  return storage;
}

async function query<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** A database whose default collation is an ICU locale: the case folding and order many servers run with. */
async function databaseWithLocale(icuLocale: string): Promise<Database> {
  const name = `gw_${process.env.GATEWAY_TEST_RUN ?? 'adhoc'}_locale_${icuLocale.replace(/\W/g, '').toLowerCase()}_${Math.random().toString(16).slice(2, 10)}`;
  await query(serverUrl, `CREATE DATABASE "${name}" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '${icuLocale}'`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = { url: url.href, drop: () => query(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).then(() => {}) };
  databases.push(database);
  return database;
}

const storageErrorOf = async (promise: Promise<unknown>): Promise<StorageError> => {
  const error = await promise.then(
    () => {
      throw new Error('expected a StorageError, the promise resolved');
    },
    (e: unknown) => e,
  );
  if (!isStorageError(error)) throw new Error(`expected a StorageError, got ${String(error)}`);
  return error;
};

const causeCode = (error: unknown) => ((error as { cause?: { code?: string } }).cause ?? {}).code;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Databases are made inside these tests, which takes seconds on a busy machine. */
const SLOW = { timeout: 30_000 };

{
  afterAll(async () => {
    await Promise.all(storages.map((storage) => storage.close().catch(() => {})));
    // Dropping a database takes a checkpoint: seconds each on a busy machine, so all at once.
    await Promise.all(databases.map((database) => database.drop()));
  }, 60_000);

  describe('PostgreSQL storage: migrations and readiness', SLOW, () => {
    it('instances opening one new database at the same moment migrate it once, and all of them are ready', async () => {
      const { url } = await newDatabase('migrate');
      const opened = await Promise.all(Array.from({ length: 4 }, () => open(url)));
      expect(await Promise.all(opened.map((s) => s.ready()))).toEqual([true, true, true, true]);
      const counted = await query<{ n: string }>(url, 'SELECT count(*) AS n FROM drizzle.__drizzle_migrations');
      expect(counted).toEqual([{ n: String(MIGRATIONS) }]);
      await opened[0]!.uow.write((repos) => repos.orgs.insert(anOrg('org_x')));
      expect(await opened[3]!.uow.read((repos) => repos.orgs.count())).toBe(1);
    });

    it('an instance that finds another migrating waits for it, however much longer than its statement timeout that takes', async () => {
      const { url } = await newDatabase('wait');
      const holder = new pg.Client({ connectionString: url });
      await holder.connect();
      try {
        await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
        let settled = false;
        const opening = open(url, { statementTimeoutMs: 200 }).finally(() => {
          settled = true;
        });
        opening.catch(() => {});
        await sleep(1000);
        expect(settled).toBe(false);
        expect(await query(url, "SELECT 1 FROM pg_tables WHERE schemaname = 'public'")).toEqual([]);
        await holder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
        const storage = await opening;
        expect(await storage.ready()).toBe(true);
      } finally {
        await holder.end();
      }
    });

    it('a migration that fails applies nothing, names no SQL, and leaves the lock free for the next attempt', async () => {
      const { url } = await newDatabase('failing');
      await query(url, 'CREATE TABLE agents (squatter int)');
      const error = (await openPostgresStorage({ url, cipher }).then(
        () => new Error('expected the migration to fail'),
        (e: unknown) => e,
      )) as Error;
      expect(error.message).toBe('Storage operation failed (42P07)');
      expect(causeCode(error)).toBe('42P07');
      expect(await query(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).toEqual([{ tablename: 'agents' }]);
      await query(url, 'DROP TABLE agents');
      expect(await (await open(url)).ready()).toBe(true);
    });

    it('ready() is false when the latest migration is missing, when the database is gone, and after close', async () => {
      const { url } = await newDatabase('ready');
      const storage = await open(url);
      expect(await storage.ready()).toBe(true);

      await query(url, 'DELETE FROM drizzle.__drizzle_migrations WHERE created_at = (SELECT max(created_at) FROM drizzle.__drizzle_migrations)');
      expect(await storage.ready()).toBe(false);

      const other = await newDatabase('gone');
      const doomed = await open(other.url);
      expect(await doomed.ready()).toBe(true);
      await other.drop();
      const started = Date.now();
      expect(await doomed.ready()).toBe(false);
      expect(Date.now() - started).toBeLessThan(2000);

      const closing = await open((await newDatabase('closed')).url);
      await closing.close();
      expect(await closing.ready()).toBe(false);
    });

    it('an unreachable server is a StorageError (unavailable) that names no password, with the driver error as cause', async () => {
      const error = await storageErrorOf(openPostgresStorage({ url: 'postgres://gateway:s3cret-password@127.0.0.1:1/gateway', cipher, statementTimeoutMs: 1000 }));
      expect(error.kind).toBe('unavailable');
      expect(error.message).not.toContain('s3cret-password');
      expect(error.cause).toBeInstanceOf(Error);
    });
  });

  describe('PostgreSQL storage: connections set apart for rate-limit counters (ADR 0011)', SLOW, () => {
    type Setting = { synchronous_commit: string };
    const setting = async (on: pg.Pool | pg.PoolClient) => (await on.query<Setting>('SHOW synchronous_commit')).rows[0]!.synchronous_commit;

    it('counterPoolSize takes that many of poolSize for counters that commit without waiting for the WAL flush; the unit of work commits as the server says', async () => {
      const { url } = await newDatabase('counters', true);
      const serverDefault = (await query<Setting>(url, 'SHOW synchronous_commit'))[0]!.synchronous_commit;
      expect(serverDefault).not.toBe('off');
      const storage = await open(url, { poolSize: 5, counterPoolSize: 2 });
      expect([storage.pool.options.max, storage.counterPool.options.max]).toEqual([3, 2]);

      // Every connection of the unit of work's pool held at once: the counters still have theirs,
      // and each of them (the held one and the next) was set up on connecting.
      const held = await Promise.all([1, 2, 3].map(() => storage.pool.connect()));
      const counter = await storage.counterPool.connect();
      try {
        expect(await Promise.all(held.map(setting))).toEqual([serverDefault, serverDefault, serverDefault]);
        expect(await setting(counter)).toBe('off');
        expect(await setting(storage.counterPool)).toBe('off');
      } finally {
        counter.release();
        for (const client of held) client.release();
      }

      await storage.uow.write((repos) => repos.orgs.insert(anOrg('org_counters')));
      expect(await storage.uow.read((repos) => repos.orgs.count())).toBe(1);
      await storage.close();
      expect([storage.pool.ended, storage.counterPool.ended]).toEqual([true, true]);
    });

    it('without counterPoolSize the counters share the pool; a share that leaves the unit of work nothing is refused', async () => {
      const { url } = await newDatabase('counters_shared', true);
      const storage = await open(url, { poolSize: 4 });
      expect(storage.counterPool).toBe(storage.pool);
      expect(storage.pool.options.max).toBe(4);
      await expect(openPostgresStorage({ url, cipher, poolSize: 4, counterPoolSize: 4 })).rejects.toThrow(RangeError);
      await expect(openPostgresStorage({ url, cipher, poolSize: 4, counterPoolSize: -1 })).rejects.toThrow(RangeError);
    });
  });

  describe('PostgreSQL storage: unit of work', SLOW, () => {
    let url: string;
    let storage: PostgresStorage | undefined;
    beforeAll(async () => {
      url = (await newDatabase('uow', true)).url;
    }, SLOW.timeout);
    afterEach(async () => {
      await storage?.close();
      storage = undefined;
    });
    const fresh = async (options: { statementTimeoutMs?: number } = {}) => {
      await truncateAll(url);
      storage = await open(url, options);
      await seedWorld(storage.uow);
      return storage.uow;
    };

    it('a read callback sees one snapshot: a write committed between its statements does not show', async () => {
      const uow = await fresh();
      const between = gate();
      const written = gate();
      const reading = uow.read(async (repos) => {
        const before = await repos.agents.countLive(W.orgA);
        between.open();
        await written.opened;
        return [before, await repos.agents.countLive(W.orgA)];
      });
      await between.opened;
      await insertAgents(uow, anAgent('agent_1', W.orgA));
      written.open();
      expect(await reading).toEqual([0, 0]);
      expect(await uow.read((repos) => repos.agents.countLive(W.orgA))).toBe(1);
    });

    it('a read callback cannot write', async () => {
      const uow = await fresh();
      await expect(uow.read((repos) => repos.orgs.insert(anOrg('org_c')))).rejects.toThrow(/Storage operation failed \(25006\)/);
      expect(await uow.read((repos) => repos.orgs.get('org_c'))).toBeNull();
    });

    it('R10-style decisions under the org lock: 12 racing count-then-insert writes with a limit of 5 leave exactly 5', async () => {
      const uow = await fresh();
      const attempt = (i: number) =>
        uow.write(async (repos) => {
          await repos.locks.org(W.orgA);
          const live = await repos.agents.countLive(W.orgA);
          await sleep(5);
          if (live >= 5) return false;
          await repos.agents.insert(anAgent(`agent_${i}`, W.orgA));
          return true;
        });
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => attempt(i)));
      expect(results.filter(Boolean)).toHaveLength(5);
      expect(await uow.read((repos) => repos.agents.countLive(W.orgA))).toBe(5);
    });

    it('the phone number lock: 10 racing find-or-create writes of one customer conversation all find the same one', async () => {
      const uow = await fresh();
      await insertAgents(uow, anAgent('agent_1', W.orgA, { phoneNumberId: W.pnA1 }));
      const attempt = (i: number) =>
        uow.write(async (repos) => {
          await repos.locks.phoneNumber(W.pnA1);
          const found = await repos.conversations.findActive(W.pnA1, 'cust-1');
          await sleep(5);
          if (found) return found.id;
          await repos.conversations.insert(aConversation(`conv_${i}`, { orgId: W.orgA, phoneNumberId: W.pnA1, agentId: 'agent_1' }, { customerId: 'cust-1' }));
          return `conv_${i}`;
        });
      const ids = await Promise.all(Array.from({ length: 10 }, (_, i) => attempt(i)));
      expect(new Set(ids).size).toBe(1);
    });

    it('a deadlock runs the losing callback again, and both writes commit', async () => {
      const uow = await fresh();
      const bothLocked = [gate(), gate()] as const;
      let runs = 0;
      const crossing = (first: string, second: string, mine: 0 | 1) =>
        uow.write(async (repos) => {
          runs++;
          await repos.locks.org(first);
          bothLocked[mine].open();
          await bothLocked[1 - mine]!.opened;
          await repos.locks.org(second);
          await repos.orgs.insert(anOrg(`org_from_${first}`));
        });
      await Promise.all([crossing(W.orgA, W.orgB, 0), crossing(W.orgB, W.orgA, 1)]);
      expect(runs).toBe(3);
      expect(await uow.read((repos) => repos.orgs.count())).toBe(4);
    });

    it('a serialization failure that keeps coming back is retried a bounded number of times, then is a StorageError (conflict)', async () => {
      const uow = await fresh();
      let runs = 0;
      const failure = Object.assign(new Error('could not serialize access due to concurrent update'), { code: '40001' });
      const error = await storageErrorOf(
        uow.write(async (repos) => {
          runs++;
          await repos.orgs.insert(anOrg(`org_run_${runs}`));
          throw failure;
        }),
      );
      expect(error.kind).toBe('conflict');
      expect(error.cause).toBe(failure);
      expect(runs).toBe(4);
      expect(await uow.read((repos) => repos.orgs.count())).toBe(2);
    });

    it('a statement that waits past DATABASE_STATEMENT_TIMEOUT_MS is a StorageError (unavailable) and leaves nothing written', async () => {
      const uow = await fresh({ statementTimeoutMs: 300 });
      const held = gate();
      const release = gate();
      const holding = uow.write(async (repos) => {
        await repos.locks.org(W.orgA);
        held.open();
        await release.opened;
      });
      await held.opened;
      const started = Date.now();
      const waited = storageErrorOf(
        uow.write(async (repos) => {
          await repos.agents.insert(anAgent('agent_waiting', W.orgB));
          await repos.locks.org(W.orgA);
        }),
      );
      // The lock is let go whatever the outcome, so a failure here cannot hold up the next test.
      const error = await waited.finally(() => release.open());
      await holding;
      expect(Date.now() - started).toBeLessThan(2000);
      expect(error.kind).toBe('unavailable');
      expect(causeCode(error)).toBe('57014');
      expect(await uow.read((repos) => repos.agents.idExists('agent_waiting'))).toBe(false);
    });

    it('a connection lost in the middle of a write is a StorageError (unavailable), nothing of it remains, and the next write reconnects', async () => {
      const uow = await fresh();
      const inserted = gate();
      const terminated = gate();
      const writing = uow.write(async (repos: Repositories) => {
        await repos.agents.insert(anAgent('agent_lost', W.orgA));
        inserted.open();
        await terminated.opened;
        await repos.agents.countLive(W.orgA);
      });
      await inserted.opened;
      await query(url, 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
      terminated.open();
      const error = await storageErrorOf(writing);
      expect(error.kind).toBe('unavailable');
      expect(error.message).not.toMatch(/agents|terminat/i);
      await insertAgents(uow, anAgent('agent_after', W.orgA));
      expect(await uow.read(async (repos) => [await repos.agents.idExists('agent_lost'), await repos.agents.idExists('agent_after')])).toEqual([false, true]);
    });

    it('a failure no repository translates is wrapped: no table in the message, the driver error as cause, the write rolled back', async () => {
      const uow = await fresh();
      const error = (await uow
        .write(async (repos) => {
          await repos.orgs.insert(anOrg('org_c'));
          await repos.agents.insert(anAgent('agent_orphan', 'org_missing'));
        })
        .then(
          () => new Error('expected the write to fail'),
          (e: unknown) => e,
        )) as Error;
      expect(isDomainError(error) || isStorageError(error)).toBe(false);
      expect(error.message).toBe('Storage operation rejected by a database constraint (23503)');
      expect(causeCode(error)).toBe('23503');
      expect(await uow.read((repos) => repos.orgs.get('org_c'))).toBeNull();
    });

    it('times are exact epoch milliseconds, up to the largest Date', async () => {
      const uow = await fresh();
      const far = 8_640_000_000_000_000;
      await uow.write((repos) => repos.orgs.insert(anOrg('org_far', { createdAt: far, updatedAt: T0 + 1 })));
      expect(await uow.read((repos) => repos.orgs.get('org_far'))).toEqual(anOrg('org_far', { createdAt: far, updatedAt: T0 + 1 }));
    });
  });

  describe('PostgreSQL storage: rules that do not depend on the database collation', SLOW, () => {
    it('R4 on a database with a Turkish collation: Ida and ida are one handle, and prefixes find it', async () => {
      const storage = await open((await databaseWithLocale('tr-TR')).url);
      await seedWorld(storage.uow);
      await insertAgents(storage.uow, anAgent('agent_1', W.orgA, { handle: 'Ida' }));
      await rejectsWithCode(insertAgents(storage.uow, anAgent('agent_2', W.orgA, { handle: 'ida' })), 'agent_handle_taken');
      expect(await storage.uow.read((repos) => repos.agents.handlesWithPrefix(W.orgA, 'IDA'))).toEqual(['ida']);
    });

    it('handle prefixes on a database with a Czech collation, where "ch" sorts after "h"', async () => {
      const storage = await open((await databaseWithLocale('cs-CZ')).url);
      await seedWorld(storage.uow);
      await insertAgents(storage.uow, anAgent('agent_1', W.orgA, { handle: 'Abc' }), anAgent('agent_2', W.orgA, { handle: 'Abch' }), anAgent('agent_3', W.orgA, { handle: 'Abd' }));
      expect((await storage.uow.read((repos) => repos.agents.handlesWithPrefix(W.orgA, 'abc'))).sort()).toEqual(['abc', 'abch']);
    });
  });
}
