import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DEFAULT_TEST_POSTGRES_URL } from './postgres-database';

/**
 * vitest globalSetup for packages whose tests make PostgreSQL databases: names this run (every test
 * database is `gw_<run>_…`) and, when the run ends, drops whatever databases of the run are left,
 * so test files may keep a database between their tests and none outlives the run.
 */
export default function setup(): () => Promise<void> {
  const run = randomBytes(4).toString('hex');
  process.env.GATEWAY_TEST_RUN = run;
  return async () => {
    const server = process.env.TEST_POSTGRES_URL ?? DEFAULT_TEST_POSTGRES_URL;
    const admin = new pg.Client({ connectionString: server });
    try {
      await admin.connect();
    } catch {
      return;
    }
    try {
      const { rows } = await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [`gw\\_${run}\\_%`]);
      for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  };
}
