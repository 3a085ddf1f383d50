/**
 * node-postgres (`pg`) against porsager's `postgres`, on the queries the storage adapter sends: single-row
 * primary-key reads and one-insert transactions (BEGIN, INSERT, COMMIT), one at a time and 16 at once,
 * on a pool of 16 connections. `pg` runs twice: with unnamed statements (parsed by the server on every
 * call, what the adapter does) and with named prepared statements; `postgres` with its default
 * (prepared statements) and with `prepare: false`.
 *
 *   TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/drivers.ts [rounds]
 *
 * Each round runs every driver once, in a rotating order; the median of the rounds is printed, as
 * operations per second and the process's CPU time per 1000 operations (the driver's own cost, which
 * matters on a small shared machine). A database of its own is created and dropped.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import postgres from 'postgres';

const serverUrl = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ROUNDS = Number(process.argv[2] ?? 3);
const READS = 20_000;
const INSERTS = 5_000;
const POOL = 16;
const ROWS = 1_000;

interface Driver {
  name: string;
  read(id: string): Promise<unknown>;
  insertTx(id: string, n: number): Promise<void>;
  end(): Promise<void>;
}

function pgDriver(url: string, named: boolean): Driver {
  const pool = new pg.Pool({ connectionString: url, max: POOL });
  const q = (name: string, text: string) => (values: unknown[]) => (named ? { name, text, values } : { text, values });
  const select = q('bench_read', 'SELECT id, org_id, n, body FROM bench_rows WHERE id = $1');
  const insert = q('bench_insert', 'INSERT INTO bench_writes (id, n, body) VALUES ($1, $2, $3)');
  return {
    name: named ? 'pg (named statements)' : 'pg',
    async read(id) {
      return (await pool.query(select([id]))).rows[0];
    },
    async insertTx(id, n) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(insert([id, n, 'x'.repeat(64)]));
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    },
    end: () => pool.end(),
  };
}

function postgresDriver(url: string, prepare: boolean): Driver {
  const sql = postgres(url, { max: POOL, prepare, onnotice: () => {} });
  return {
    name: prepare ? 'postgres (prepared, its default)' : 'postgres (prepare: false)',
    async read(id) {
      return (await sql`SELECT id, org_id, n, body FROM bench_rows WHERE id = ${id}`)[0];
    },
    async insertTx(id, n) {
      await sql.begin(async (tx) => {
        await tx`INSERT INTO bench_writes (id, n, body) VALUES (${id}, ${n}, ${'x'.repeat(64)})`;
      });
    },
    end: () => sql.end(),
  };
}

async function timed(count: number, concurrency: number, op: (i: number) => Promise<unknown>) {
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await op(next++);
    }),
  );
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { opsPerSecond: (count / ms) * 1000, cpuMsPer1000: ((used.user + used.system) / 1000 / count) * 1000 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  const name = `gw_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  try {
    const setup = new pg.Client({ connectionString: url.href });
    await setup.connect();
    await setup.query('CREATE TABLE bench_rows (id text PRIMARY KEY, org_id text NOT NULL, n bigint NOT NULL, body text NOT NULL)');
    await setup.query('CREATE TABLE bench_writes (id text PRIMARY KEY, n bigint NOT NULL, body text NOT NULL)');
    await setup.query(`INSERT INTO bench_rows SELECT 'row_' || i, 'org_' || (i % 10), i * 1000, repeat('x', 200) FROM generate_series(1, ${ROWS}) i`);
    await setup.end();

    const makers = [
      () => pgDriver(url.href, false),
      () => pgDriver(url.href, true),
      () => postgresDriver(url.href, true),
      () => postgresDriver(url.href, false),
    ];
    const results = new Map<string, Record<string, { ops: number[]; cpu: number[] }>>();
    let written = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < makers.length; k++) {
        const driver = makers[(k + round) % makers.length]!();
        await driver.read('row_1'); // connect and warm up
        const cases: Record<string, () => ReturnType<typeof timed>> = {
          [`${READS / 1000}k reads, sequential`]: () => timed(READS, 1, (i) => driver.read(`row_${(i % ROWS) + 1}`)),
          [`${READS / 1000}k reads, ${POOL}-way`]: () => timed(READS, POOL, (i) => driver.read(`row_${(i % ROWS) + 1}`)),
          [`${INSERTS / 1000}k insert tx, sequential`]: () => timed(INSERTS, 1, () => driver.insertTx(`w_${++written}`, written)),
          [`${INSERTS / 1000}k insert tx, ${POOL}-way`]: () => timed(INSERTS, POOL, () => driver.insertTx(`w_${++written}`, written)),
        };
        const byCase = results.get(driver.name) ?? {};
        for (const [label, run] of Object.entries(cases)) {
          const { opsPerSecond, cpuMsPer1000 } = await run();
          const entry = (byCase[label] ??= { ops: [], cpu: [] });
          entry.ops.push(opsPerSecond);
          entry.cpu.push(cpuMsPer1000);
        }
        results.set(driver.name, byCase);
        await driver.end();
      }
    }
    console.log(`PostgreSQL ${(await admin.query('SHOW server_version')).rows[0].server_version}, Node ${process.version}, ${ROUNDS} rounds, medians`);
    console.log('| workload | driver | ops/s | CPU ms per 1000 ops |');
    console.log('|---|---|---:|---:|');
    const labels = Object.keys([...results.values()][0]!);
    for (const label of labels) {
      for (const [driver, byCase] of results) {
        const { ops, cpu } = byCase[label]!;
        console.log(`| ${label} | ${driver} | ${median(ops).toFixed(0)} | ${median(cpu).toFixed(0)} |`);
      }
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
}

await main();
