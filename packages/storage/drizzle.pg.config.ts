import { defineConfig } from 'drizzle-kit';

/** `pnpm --filter @gateway/storage db:generate:pg` writes a new PostgreSQL migration after a schema change. */
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/postgres/schema.ts',
  out: './drizzle/pg',
});
