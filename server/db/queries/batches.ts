import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { OfficeDb } from '../connect.js';

/**
 * Bulk writes for the ingest path. Rows travel as one JSON parameter expanded by Postgres
 * (jsonb_populate_recordset over the table's own row type), which costs a fraction of binding
 * every value as its own parameter and keeps statements small enough for the embedded PGlite.
 */
export const ROWS_PER_STATEMENT = 200;

export async function inSlices<T>(rows: readonly T[], write: (slice: T[]) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
    await write(rows.slice(start, start + ROWS_PER_STATEMENT));
  }
}

/**
 * Inserts rows (all with the same keys: the table's property names) in slices; `onConflict` is
 * appended to each statement as is. Columns the rows leave out take their defaults.
 */
export async function insertRows<T extends PgTable>(
  db: OfficeDb,
  table: T,
  rows: readonly T['$inferInsert'][],
  onConflict?: SQL,
): Promise<void> {
  const first = rows[0];
  if (!first) return;
  const columns = Object.entries(getTableColumns(table)).filter(([key]) => key in first);
  const names = sql.join(
    columns.map(([, column]) => sql.identifier(column.name)),
    sql`, `,
  );
  await inSlices(rows, async (slice) => {
    const json = JSON.stringify(
      slice.map((row) => Object.fromEntries(columns.map(([key, column]) => [column.name, (row as Record<string, unknown>)[key] ?? null]))),
    );
    await db.execute(
      sql`INSERT INTO ${table} (${names}) SELECT ${names} FROM jsonb_populate_recordset(NULL::${table}, ${json}::jsonb)${onConflict ? sql` ${onConflict}` : sql``}`,
    );
  });
}
