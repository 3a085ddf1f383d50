import Database from 'better-sqlite3';
import pg from 'pg';
import type { TestDatabase } from '@gateway/http/testing';

/**
 * The stored state of a test gateway, read from the database itself: every table that holds what
 * businesses and their customers own, rows sorted by primary key. Two snapshots are equal when a
 * request changed nothing. Left out: when a key was last used (any authenticated request moves it),
 * rate-limit counters, and idempotency records (a refused request may keep its answer for replay).
 */
export const DOMAIN_TABLES = ['orgs', 'users', 'api_keys', 'phone_numbers', 'agents', 'conversations', 'messages', 'archival_records', 'reply_jobs'] as const;
export type DomainTable = (typeof DOMAIN_TABLES)[number];
export type Snapshot = Record<DomainTable, Record<string, unknown>[]>;

const IGNORED_COLUMNS: Partial<Record<DomainTable, string[]>> = { api_keys: ['last_used_at'] };

function normalise(table: DomainTable, rows: Record<string, unknown>[]): Record<string, unknown>[] {
  const ignored = IGNORED_COLUMNS[table] ?? [];
  return rows.map((row) => {
    const out: Record<string, unknown> = {};
    for (const [column, value] of Object.entries(row)) {
      if (ignored.includes(column)) continue;
      // PostgreSQL's BIGINT comes back as a string, JSON columns as objects: compare one shape.
      out[column] = typeof value === 'bigint' ? Number(value) : value instanceof Buffer ? value.toString('hex') : value;
    }
    return out;
  });
}

const orderBy = (table: DomainTable) => (table === 'reply_jobs' ? 'conversation_id' : 'id');

/** Reads every domain table; for an in-memory gateway there is nothing to read. */
export async function snapshot(database: TestDatabase): Promise<Snapshot> {
  const result = {} as Snapshot;
  if (database.kind === 'sqlite') {
    const db = new Database(database.file, { readonly: true, fileMustExist: true });
    try {
      for (const table of DOMAIN_TABLES) result[table] = normalise(table, db.prepare(`SELECT * FROM ${table} ORDER BY ${orderBy(table)}`).all() as Record<string, unknown>[]);
    } finally {
      db.close();
    }
    return result;
  }
  if (database.kind === 'postgres') {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      for (const table of DOMAIN_TABLES) result[table] = normalise(table, (await client.query(`SELECT * FROM ${table} ORDER BY ${orderBy(table)}`)).rows);
    } finally {
      await client.end();
    }
    return result;
  }
  throw new Error('an in-memory test gateway has no database to read');
}

/** `PRAGMA integrity_check` on SQLite, `ok` when the file is sound. */
export function sqliteIntegrity(file: string): string {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.pragma('integrity_check', { simple: true }) as string) ?? 'no answer';
  } finally {
    db.close();
  }
}

/**
 * Moves every unfinished idempotency claim `ms` into the past: what waiting that long looks like to
 * the gateway, for a test that cannot wait for a claim a killed process left to count as abandoned.
 */
export async function ageIdempotencyClaims(database: TestDatabase, ms: number): Promise<number> {
  const sql = `UPDATE idempotency_records SET locked_at = locked_at - ${Math.trunc(ms)} WHERE status IS NULL`;
  if (database.kind === 'sqlite') {
    const db = new Database(database.file, { fileMustExist: true });
    try {
      return db.prepare(sql).run().changes;
    } finally {
      db.close();
    }
  }
  if (database.kind === 'postgres') {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      return (await client.query(sql)).rowCount ?? 0;
    } finally {
      await client.end();
    }
  }
  throw new Error('an in-memory test gateway has no database to change');
}
