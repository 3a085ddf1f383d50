import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { aesGcmCipher, generateKeyHex } from '@gateway/platform';
import pg from 'pg';
import { openPostgresStorage, POSTGRES_MIGRATIONS_FOLDER } from '../src/postgres/open';

/** The server every machine of this project runs (CI included); `TEST_POSTGRES_URL` names another. */
export const DEFAULT_TEST_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

/**
 * A database of its own for one test file on the server `TEST_POSTGRES_URL` names, dropped at the
 * end, so test files run in parallel. Without TEST_POSTGRES_URL the local server is used; a machine
 * without one fails loudly on connecting: the PostgreSQL suites are never left out.
 */
export function postgresServerUrl(): string {
  return process.env.TEST_POSTGRES_URL ?? DEFAULT_TEST_POSTGRES_URL;
}

/** A client on the test server, or an error that says what to do when there is none. */
async function connectTo(serverUrl: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: serverUrl });
  try {
    await client.connect();
  } catch (error) {
    const shown = new URL(serverUrl);
    if (shown.password !== '') shown.password = '***';
    throw new Error(
      `The PostgreSQL test server ${shown.href} is unreachable (${(error as Error).message}). Start it, or name another with ` +
        'TEST_POSTGRES_URL=postgres://…',
      { cause: error },
    );
  }
  return client;
}

const withDatabase = (serverUrl: string, name: string) => {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.href;
};

/**
 * A database with every migration applied, kept on the server as a template and named by the
 * migrations' content, so each test's database is a cheap copy of it (CREATE DATABASE … TEMPLATE)
 * instead of a migration run. Made once per server and set of migrations, under an advisory lock.
 */
let template: Promise<string> | undefined;
async function migratedTemplate(serverUrl: string): Promise<string> {
  const hash = createHash('sha256');
  for (const file of readdirSync(POSTGRES_MIGRATIONS_FOLDER, { recursive: true }).map(String).sort()) {
    const path = join(POSTGRES_MIGRATIONS_FOLDER, file);
    if (statSync(path).isFile()) hash.update(file).update(readFileSync(path));
  }
  const name = `gw_template_${hash.digest('hex').slice(0, 12)}`;
  const admin = await connectTo(serverUrl);
  try {
    await admin.query('SELECT pg_advisory_lock(7416202602)');
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount === 0) {
      const building = `${name}_building_${randomBytes(3).toString('hex')}`;
      await admin.query(`CREATE DATABASE "${building}"`);
      const storage = await openPostgresStorage({ url: withDatabase(serverUrl, building), cipher: aesGcmCipher(generateKeyHex()), poolSize: 1 });
      await storage.close();
      await admin.query(`ALTER DATABASE "${building}" RENAME TO "${name}"`);
    }
  } finally {
    await admin.query('SELECT pg_advisory_unlock(7416202602)').catch(() => {});
    await admin.end();
  }
  return name;
}

/** A database of its own; with `migrated`, a copy of the migrated template (every migration applied). */
export async function createDatabase(
  serverUrl: string,
  label: string,
  { migrated = false }: { migrated?: boolean } = {},
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `gw_${process.env.GATEWAY_TEST_RUN ?? 'adhoc'}_${label}_${randomBytes(5).toString('hex')}`;
  const source = migrated ? await (template ??= migratedTemplate(serverUrl)) : null;
  const admin = await connectTo(serverUrl);
  for (let attempt = 1; ; attempt++) {
    try {
      await admin.query(source === null ? `CREATE DATABASE "${name}"` : `CREATE DATABASE "${name}" TEMPLATE "${source}"`);
      break;
    } catch (error) {
      // Another file copying the template at this very moment: it takes a few milliseconds.
      if (attempt >= 20 || !/being accessed by other users/.test((error as Error).message)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25 * attempt));
    }
  }
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

/**
 * Empties every table of the gateway's schema (a fresh store for the next test, without migrating
 * again). One DELETE statement over all tables: foreign keys (NO ACTION) are checked at its end, so
 * the order does not matter, and on a test's few rows it takes a third of TRUNCATE's time.
 */
export async function truncateAll(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
    if (rows.length > 0) await client.query(`WITH ${rows.map((r, i) => `d${i} AS (DELETE FROM "${r.tablename}")`).join(', ')} SELECT 1`);
  } finally {
    await client.end();
  }
}
