import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * A folder of this package's migrations (drizzle/sqlite, drizzle/pg), found through the package's
 * own entry point rather than this file's place: the same from the sources and from the server's
 * bundle (apps/gateway/dist), and from any working directory.
 */
export function migrationsFolder(dialect: 'sqlite' | 'pg'): string {
  const entry = createRequire(import.meta.url).resolve('@gateway/storage');
  return join(dirname(entry), '..', 'drizzle', dialect);
}
