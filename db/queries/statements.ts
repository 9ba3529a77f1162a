import { type Column, type SQL, sql } from 'drizzle-orm';
import type { DeviceDb, Sqlite } from '../open.js';

/**
 * Statements prepared once per connection. Building a drizzle query and asking SQLite to compile
 * it costs more than running it, and the write path runs the same few queries for every action
 * (measured with `npm run bench -- action`).
 */
const preparedByConnection = new WeakMap<DeviceDb, Map<string, unknown>>();

export function prepareOnce<T>(db: DeviceDb, key: string, prepare: () => T): T {
  let prepared = preparedByConnection.get(db);
  if (!prepared) preparedByConnection.set(db, (prepared = new Map()));
  let statement = prepared.get(key) as T | undefined;
  if (statement === undefined) prepared.set(key, (statement = prepare()));
  return statement;
}

/**
 * A placeholder whose value the caller passes already encoded with `toDriverValue`. Drizzle's
 * column-bound placeholders encode without its null check, which would store a JSON null as the
 * text 'null' and a null boolean as 0.
 */
export function encodedPlaceholder(name: string): SQL {
  return sql`${sql.placeholder(name)}`;
}

/** What drizzle binds for a value written inline: NULL stays NULL, the column's mode maps the rest. */
export function toDriverValue(column: Column, value: unknown): unknown {
  return value === null ? null : column.mapToDriverValue(value);
}

type TransactionRunner = <T>(work: () => T) => T;
const transactionRunners = new WeakMap<Sqlite, TransactionRunner>();

/**
 * Runs `work` in one transaction (a savepoint when already inside one), rolling back if it throws.
 * better-sqlite3 builds four wrapper functions on every transaction() call, which costs about as
 * much as the action's SQL, so each connection gets one runner.
 */
export function inTransaction<T>(sqlite: Sqlite, work: () => T): T {
  let run = transactionRunners.get(sqlite);
  if (!run) transactionRunners.set(sqlite, (run = sqlite.transaction((inner: () => unknown) => inner()) as TransactionRunner));
  return run(work);
}
