import { defineConfig } from 'drizzle-kit';

/**
 * Office database migrations: `npx drizzle-kit generate --config server/drizzle.config.ts`.
 * drizzle-kit writes foreign keys as REFERENCES "public"."table"; remove the "public". prefix from
 * generated SQL, because every table lives in the connection's search_path schema (tests use one
 * schema per file).
 */
export default defineConfig({
  dialect: 'postgresql',
  schema: './server/db/schema.ts',
  out: './server/db/migrations',
});
