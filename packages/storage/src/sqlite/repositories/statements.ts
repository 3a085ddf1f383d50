import type { Statements } from '../../shared/replies';
import type { Connection } from '../connection';

/** The shared statements (../../shared) over the SQLite connection: synchronous underneath, settled promises on top. */
export function sqliteStatements(conn: Connection): Statements {
  return {
    dialect: 'sqlite',
    all: async <T>(sql: string, params: Record<string, unknown>) => conn.stmt(sql).all(params) as T[],
    one: async <T>(sql: string, params: Record<string, unknown>) => conn.stmt(sql).get(params) as T | undefined,
    run: async (sql: string, params: Record<string, unknown>) => {
      const statement = conn.stmt(sql);
      // A statement with RETURNING is read for its rows; the count is what changed.
      return statement.reader ? statement.all(params).length : statement.run(params).changes;
    },
  };
}
