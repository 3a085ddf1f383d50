import { defineConfig } from 'drizzle-kit';

/** `pnpm --filter @gateway/storage db:generate` writes a new SQL migration after a schema change. */
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/sqlite/schema.ts',
  out: './drizzle/sqlite',
});
