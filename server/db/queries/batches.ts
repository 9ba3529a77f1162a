import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { OfficeDb } from '../connect.js';

/**
 * Bulk writes for the ingest path. Rows travel as one JSON parameter, each row an array of its
 * column values in a fixed order, which Postgres takes apart (jsonb_array_elements, then each
 * element by position). That costs a fraction of binding every value as its own parameter, which
 * the embedded PGlite also takes in large statements, and sends no column names: rows as objects
 * spent more on repeating their keys, building and serialising them than on their values. A slice
 * holds a whole push batch (MAX_PUSH_ENTRIES) per table, so a push writes each table in one
 * statement; fewer, larger statements cost the server less than many round trips.
 */
export const ROWS_PER_STATEMENT = 2_000;

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
  // Custom columns (field states) store their own encoding; every other value is stored as it is.
  const encoders = columns.map(([key, column]) => [key, column.columnType === 'PgCustomColumn' ? (value: unknown) => column.mapToDriverValue(value) : null] as const);
  const names = sql.join(
    columns.map(([, column]) => sql.identifier(column.name)),
    sql`, `,
  );
  const values = sql.raw(columns.map(([, column], position) => columnFromElement(column, position)).join(', '));
  await inSlices(rows, async (slice) => {
    const json = JSON.stringify(
      slice.map((row) =>
        encoders.map(([key, encode]) => {
          const value = (row as Record<string, unknown>)[key] ?? null;
          return encode && value !== null ? encode(value) : value;
        }),
      ),
    );
    await db.execute(
      sql`INSERT INTO ${table} (${names}) SELECT ${values} FROM jsonb_array_elements(${json}::jsonb) AS element${onConflict ? sql` ${onConflict}` : sql``}`,
    );
  });
}

/** SQL reading one column's value from its position in a row's array; JSON null is SQL NULL. */
function columnFromElement(column: PgColumn, position: number): string {
  const type = column.getSQLType();
  if (type === 'jsonb' || type === 'json') return `NULLIF(element -> ${position}, 'null'::jsonb)::${type}`;
  if (type.endsWith('[]')) {
    return `CASE WHEN jsonb_typeof(element -> ${position}) = 'array' THEN ARRAY(SELECT jsonb_array_elements_text(element -> ${position}))::${type} END`;
  }
  return `(element ->> ${position})::${SERIAL_TYPES[type] ?? type}`;
}

/** Serial columns are their integer type once the default is out of the way. */
const SERIAL_TYPES: Record<string, string> = { smallserial: 'smallint', serial: 'integer', bigserial: 'bigint' };
