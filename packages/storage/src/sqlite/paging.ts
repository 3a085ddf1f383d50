import type { PageRequest, PageResult, SortKey } from '@gateway/core';
import type { Connection } from './connection';

/** A list query: rows of `from` matching every `where` condition, in (at, id) order. */
export interface ListQuery<Row, T> {
  /** The columns to select. */
  columns: string;
  /** The FROM clause, aliases included. */
  from: string;
  /** Conditions joined by AND; their named parameters are in `params`. */
  where: string[];
  params: Record<string, unknown>;
  /** The sort expressions: a time (or a sequence number) and the id that breaks ties. */
  at: string;
  id: string;
  direction: 'ASC' | 'DESC';
  map: (row: Row) => T;
  /** Read rows as arrays in `columns` order (`Connection.rawStmt`); `map` then takes an array. */
  raw?: boolean;
  keyOf: (item: T) => SortKey;
}

/**
 * One page of a list. Offset pages count the total in the same snapshot; keyset pages fetch one row
 * more than asked, strictly after `after` in the list order, to know whether a next page exists.
 * The SQL differs only by which filters are present, so each variant is prepared once.
 */
export function listPage<Row, T>(conn: Connection, query: ListQuery<Row, T>, page: PageRequest): PageResult<T> {
  const order = `ORDER BY ${query.at} ${query.direction}, ${query.id} ${query.direction}`;
  if (page.kind === 'offset') {
    const where = whereClause(query.where);
    return conn.snapshot(() => {
      const rows = statement(conn, query.raw)(`SELECT ${query.columns} FROM ${query.from} ${where} ${order} LIMIT @limit OFFSET @offset`)
        .all({ ...query.params, limit: page.limit, offset: page.offset }) as Row[];
      const { n } = conn.stmt(`SELECT count(*) AS n FROM ${query.from} ${where}`).get(query.params) as { n: number };
      return { items: rows.map(query.map), total: n, next: null };
    });
  }

  const conditions = [...query.where];
  const params: Record<string, unknown> = { ...query.params, limit: page.limit + 1 };
  if (page.after !== null) {
    conditions.push(`(${query.at}, ${query.id}) ${query.direction === 'DESC' ? '<' : '>'} (@after_at, @after_id)`);
    params.after_at = page.after.at;
    params.after_id = page.after.id;
  }
  const rows = statement(conn, query.raw)(`SELECT ${query.columns} FROM ${query.from} ${whereClause(conditions)} ${order} LIMIT @limit`).all(params) as Row[];
  const items = rows.slice(0, page.limit).map(query.map);
  const last = items[items.length - 1];
  return { items, next: rows.length > page.limit && last !== undefined ? query.keyOf(last) : null };
}

const whereClause = (conditions: readonly string[]) => (conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`);

const statement = (conn: Connection, raw: boolean | undefined) => (sql: string) => (raw ? conn.rawStmt(sql) : conn.stmt(sql));
