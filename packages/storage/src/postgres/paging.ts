import type { PageRequest, PageResult, SortKey } from '@gateway/core';
import type { Params, PgConnection } from './client';

/** A list query: rows of `from` matching every `where` condition, in (at, id) order. */
export interface ListQuery<Row, T> {
  columns: string;
  from: string;
  where: string[];
  params: Params;
  at: string;
  id: string;
  direction: 'ASC' | 'DESC';
  map: (row: Row) => T;
  /** Rows as arrays in `columns` order; `map` then takes an array. */
  arrays?: boolean;
  keyOf: (item: T) => SortKey;
}

/**
 * One page of a list, as on SQLite (../sqlite/paging.ts). Offset pages count the total in the same
 * snapshot (reads run in one REPEATABLE READ transaction); keyset pages fetch one row more than
 * asked, strictly after `after` in the list order, to know whether a next page exists.
 */
export async function listPage<Row, T>(conn: PgConnection, query: ListQuery<Row, T>, page: PageRequest): Promise<PageResult<T>> {
  // The list indexes are (…, at DESC NULLS LAST, id DESC NULLS LAST), as drizzle-kit writes `.desc()`;
  // PostgreSQL's plain DESC means NULLS FIRST, which those indexes cannot give in order, so every page
  // would sort the whole org. The columns are NOT NULL: saying NULLS LAST changes no result.
  const direction = query.direction === 'DESC' ? 'DESC NULLS LAST' : 'ASC';
  const order = `ORDER BY ${query.at} ${direction}, ${query.id} ${direction}`;
  const select = (sql: string, params: Params) => (query.arrays ? conn.arrays<Row>(sql, params) : conn.all<Row>(sql, params));
  if (page.kind === 'offset') {
    const where = whereClause(query.where);
    const rows = await select(`SELECT ${query.columns} FROM ${query.from} ${where} ${order} LIMIT @limit OFFSET @offset`, {
      ...query.params,
      limit: page.limit,
      offset: page.offset,
    });
    const counted = await conn.one<{ n: number }>(`SELECT count(*) AS n FROM ${query.from} ${where}`, query.params);
    return { items: rows.map(query.map), total: counted?.n ?? 0, next: null };
  }
  const conditions = [...query.where];
  const params: Params = { ...query.params, limit: page.limit + 1 };
  if (page.after !== null) {
    conditions.push(`(${query.at}, ${query.id}) ${query.direction === 'DESC' ? '<' : '>'} (@after_at, @after_id)`);
    params.after_at = page.after.at;
    params.after_id = page.after.id;
  }
  const rows = await select(`SELECT ${query.columns} FROM ${query.from} ${whereClause(conditions)} ${order} LIMIT @limit`, params);
  const items = rows.slice(0, page.limit).map(query.map);
  const last = items[items.length - 1];
  return { items, next: rows.length > page.limit && last !== undefined ? query.keyOf(last) : null };
}

const whereClause = (conditions: readonly string[]) => (conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`);
