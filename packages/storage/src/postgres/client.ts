import pg from 'pg';

/**
 * node-postgres, configured so rows come back in the shapes the SQLite repositories already map
 * (../sqlite/rows.ts): bigint (epoch millis, counts) as numbers, booleans as 1/0, jsonb as its JSON
 * text. Millis stay far below 2^53, so the numbers are exact.
 */
const PG_BOOL = 16;
const PG_INT8 = 20;
const PG_JSONB = 3802;
const PG_JSON = 114;

const parsers: Record<number, (value: string) => unknown> = {
  [PG_INT8]: (v) => Number(v),
  [PG_BOOL]: (v) => (v === 't' ? 1 : 0),
  [PG_JSONB]: (v) => v,
  [PG_JSON]: (v) => v,
};

export const rowTypes = {
  getTypeParser: ((oid: number, format?: string) => parsers[oid] ?? pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

export type Params = Record<string, unknown>;

interface Compiled {
  text: string;
  names: string[];
}

const compiled = new Map<string, Compiled>();

/**
 * The repositories write SQL with `@name` parameters, as for SQLite; node-postgres wants `$1…`.
 * Each SQL text is compiled once. `@name` inside a string literal is not used anywhere.
 */
export function compile(sql: string): Compiled {
  let hit = compiled.get(sql);
  if (hit === undefined) {
    const names: string[] = [];
    const text = sql.replace(/@([a-z_][a-z0-9_]*)/gi, (_m, name: string) => {
      let index = names.indexOf(name);
      if (index < 0) index = names.push(name) - 1;
      return `$${index + 1}`;
    });
    hit = { text, names };
    compiled.set(sql, hit);
  }
  return hit;
}

/** One pooled client inside a transaction, or the pool itself: where a repository sends its SQL. */
export interface Queryable {
  query(config: pg.QueryConfig | pg.QueryArrayConfig): Promise<pg.QueryResult>;
}

export class PgConnection {
  constructor(private readonly client: Queryable) {}

  async all<T>(sql: string, params: Params = {}): Promise<T[]> {
    return (await this.run(sql, params)).rows as T[];
  }

  async one<T>(sql: string, params: Params = {}): Promise<T | undefined> {
    return (await this.run(sql, params)).rows[0] as T | undefined;
  }

  /** Rows as arrays in column order. */
  async arrays<T>(sql: string, params: Params = {}): Promise<T[]> {
    const { text, names } = compile(sql);
    const result = await this.client.query({ text, values: names.map((n) => normalize(params[n])), rowMode: 'array' } as pg.QueryArrayConfig);
    return result.rows as T[];
  }

  async run(sql: string, params: Params = {}): Promise<pg.QueryResult> {
    const { text, names } = compile(sql);
    return this.client.query({ text, values: names.map((n) => normalize(params[n])) });
  }
}

/**
 * undefined binds as NULL, as better-sqlite3 does for a missing named parameter. PostgreSQL's text
 * cannot hold U+0000 and refuses a parameter that has one (an error, where SQLite simply finds no
 * row): both dialects and the webhooks refuse NUL in what they store, so a NUL can only arrive in a
 * lookup (an id in a path or a filter, `/agents/agent_%00`). It is bound as U+FFFD, which no id or
 * validated value contains, so such a lookup finds nothing, exactly as on SQLite.
 */
const normalize = (value: unknown): unknown => {
  if (value === undefined) return null;
  if (typeof value === 'string') return value.includes('\u0000') ? value.replaceAll('\u0000', '\uFFFD') : value;
  return Array.isArray(value) ? value.map(normalize) : value;
};
