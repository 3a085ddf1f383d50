import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * A database of its own for one test file on the server `TEST_POSTGRES_URL` names, dropped at the
 * end, so test files run in parallel. An unset TEST_POSTGRES_URL fails the file loudly; `skip`
 * leaves PostgreSQL out on purpose (a machine without a server), and says so.
 */
export function postgresServerUrl(): string | null {
  const url = process.env.TEST_POSTGRES_URL;
  if (url === 'skip') return null;
  if (url === undefined || url === '') {
    throw new Error('TEST_POSTGRES_URL is not set: point it at a PostgreSQL server, or set it to "skip" to leave the PostgreSQL suites out on purpose');
  }
  return url;
}

export async function createDatabase(serverUrl: string, label: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `gw_${label}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    async drop() {
      const cleanup = new pg.Client({ connectionString: serverUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await cleanup.end();
    },
  };
}

/** Empties every table of the gateway's schema (a fresh store for the next test, without migrating again). */
export async function truncateAll(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
    if (rows.length > 0) await client.query(`TRUNCATE ${rows.map((r) => `"${r.tablename}"`).join(', ')} CASCADE`);
  } finally {
    await client.end();
  }
}
