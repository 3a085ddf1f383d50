import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server every machine of this project runs (CI included); `TEST_POSTGRES_URL` names another. */
export const DEFAULT_TEST_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

/**
 * A PostgreSQL database of its own for one test file, created on the server `TEST_POSTGRES_URL`
 * names and dropped afterwards, so files run in parallel. Without TEST_POSTGRES_URL the local server
 * is used; a machine without one fails loudly: the suites are never left out.
 */
export function postgresServerUrl(): string {
  return process.env.TEST_POSTGRES_URL ?? DEFAULT_TEST_POSTGRES_URL;
}

export interface TestDatabase {
  url: string;
  /** A pool on the test database, for checking what is really stored. */
  pool: pg.Pool;
  query<T extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

export async function createTestDatabase(serverUrl: string, label: string): Promise<TestDatabase> {
  const name = `gw_${label}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.href, max: 4 });
  // `pool.end()` resolves before its clients' connections have closed, so the DROP … WITH (FORCE)
  // in `drop` can terminate one of them first: the pool then re-emits that client's 57P01 as its
  // own 'error', which without a listener is an uncaught exception in the test file (seen in CI).
  // Only idle clients' errors reach it; a test's own query still rejects with its error.
  pool.on('error', () => {});
  return {
    url: url.href,
    pool,
    query: async <T extends pg.QueryResultRow>(text: string, values: unknown[] = []) => (await pool.query<T>(text, values)).rows,
    async drop() {
      await pool.end();
      const cleanup = new pg.Client({ connectionString: serverUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await cleanup.end();
    },
  };
}
