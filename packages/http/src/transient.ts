/** Storage codes that mean "try again shortly": a locked SQLite file, a PostgreSQL going away. */
const TRANSIENT_CODES = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', 'ECONNREFUSED', 'ECONNRESET', '57P01', '57P03', '53300']);

/**
 * Whether an unexpected error is one a client should retry (both dialects answer it 503 with
 * `Retry-After`). Storage wraps driver errors, keeping the original as `cause`, so causes count too.
 */
export function isTransient(error: unknown): boolean {
  for (let current = error, depth = 0; typeof current === 'object' && current !== null && depth < 5; depth++) {
    const { code, cause } = current as { code?: unknown; cause?: unknown };
    if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
    current = cause;
  }
  return false;
}
