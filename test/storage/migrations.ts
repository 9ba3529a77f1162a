import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { DEFAULT_MIGRATIONS, type DeviceDatabase, openDeviceDatabase } from '../../db/open.js';
import { MemoryKeyStore } from '../../main/core/keystore-dev.js';
import { ManualClock, openTestDevice, SeededRandomness, tempDir, type TestDevice } from '../support/device.js';

/**
 * Upgrading a database that already holds rows, one migration at a time: the database is brought
 * to the migration just before the one under test with a copy of db/migrations whose journal stops
 * there, filled with realistic rows, then opened with the migration under test added.
 */
interface MigrationJournal {
  entries: { idx: number; tag: string; when: number }[];
}

function readJournal(folder: string): MigrationJournal {
  return JSON.parse(readFileSync(join(folder, 'meta', '_journal.json'), 'utf8')) as MigrationJournal;
}

export const MIGRATION_TAGS = readJournal(DEFAULT_MIGRATIONS).entries.map((entry) => entry.tag);

/** The tables, each with its column names, that drizzle-kit recorded the schema as having after `tag`. */
export function snapshotTables(tag: string): Record<string, string[]> {
  const snapshot = JSON.parse(readFileSync(join(DEFAULT_MIGRATIONS, 'meta', `${tag.slice(0, 4)}_snapshot.json`), 'utf8')) as {
    tables: Record<string, { columns: Record<string, unknown> }>;
  };
  return Object.fromEntries(Object.entries(snapshot.tables).map(([name, table]) => [name, Object.keys(table.columns).sort()]));
}

/** A copy of db/migrations that knows the migrations up to and including `lastTag` (none when null). */
export function migrationsThrough(lastTag: string | null): string {
  const count = lastTag === null ? 0 : MIGRATION_TAGS.indexOf(lastTag) + 1;
  if (lastTag !== null && count === 0) throw new Error(`no migration named ${lastTag}`);
  const folder = join(tempDir('waypost-migrations-'), 'migrations');
  cpSync(DEFAULT_MIGRATIONS, folder, { recursive: true });
  const journal = readJournal(folder);
  writeFileSync(join(folder, 'meta', '_journal.json'), JSON.stringify({ ...journal, entries: journal.entries.slice(0, count) }, null, 2));
  return folder;
}

/** One database file at one migration level, with what it takes to open it either way. */
export interface MigrationStage {
  path: string;
  key: Uint8Array;
  keyStore: MemoryKeyStore;
  clock: ManualClock;
  random: SeededRandomness;
  migrationsFolder: string;
}

export interface MigrationUpgradeCase<Seeded> {
  tag: string;
  /** What the upgrade must keep and what it must add, in words. */
  expectation: string;
  /** Writes realistic rows into the database at the migration before `tag` (open it with `stage.migrationsFolder`). */
  seed(stage: MigrationStage): Seeded;
  /** Runs on the database just upgraded through `tag`; `stage.migrationsFolder` now includes it. */
  check(upgraded: DeviceDatabase, stage: MigrationStage, seeded: Seeded): void;
}

/**
 * Rows today's app writes, in a database at an older migration. The app's queries need today's
 * schema, so `write` runs on a device of its own brought through every migration (with `stage`'s key
 * store, clock and randomness, so it is the same device), whose rows are then copied into `stage`'s
 * database, each column the older schema has.
 */
export function seedWithTodaysApp<T>(stage: MigrationStage, write: (device: TestDevice) => T): T {
  const scratch = openTestDevice({ path: join(tempDir(), 'device.db'), keyStore: stage.keyStore, clock: stage.clock, random: stage.random });
  let written: T;
  try {
    written = write(scratch);
  } finally {
    scratch.core.close();
  }
  const source = openDeviceDatabase({ path: scratch.path, key: stage.key, readonly: true });
  const target = openDeviceDatabase(stage);
  try {
    target.sqlite.transaction(() => {
      for (const table of userTables(target)) {
        const present = new Set(columnsOf(source, table));
        const columns = columnsOf(target, table)
          .filter((column) => present.has(column))
          .map((column) => `"${column}"`);
        const insert = target.sqlite.prepare(`INSERT INTO "${table}" (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
        for (const row of source.sqlite.prepare(`SELECT ${columns.join(', ')} FROM "${table}"`).raw().iterate()) insert.run(row as unknown[]);
      }
    })();
  } finally {
    source.sqlite.close();
    target.sqlite.close();
  }
  return written;
}

function userTables(database: DeviceDatabase): string[] {
  return database.sqlite
    .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '__drizzle_migrations'`)
    .pluck()
    .all() as string[];
}

function columnsOf(database: DeviceDatabase, table: string): string[] {
  return (database.sqlite.pragma(`table_info("${table}")`) as { name: string }[]).map((column) => column.name);
}

export function defineUpgradeCase<Seeded>(testCase: MigrationUpgradeCase<Seeded>): MigrationUpgradeCase<unknown> {
  return testCase as MigrationUpgradeCase<unknown>;
}

function appliedMigrations(database: DeviceDatabase): number {
  return (database.sqlite.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get() as { n: number }).n;
}

export function runUpgradeCase(testCase: MigrationUpgradeCase<unknown>): void {
  const position = MIGRATION_TAGS.indexOf(testCase.tag);
  const random = new SeededRandomness(`migration-${testCase.tag}`);
  const keyStore = new MemoryKeyStore(random);
  const before: MigrationStage = {
    path: join(tempDir(), 'device.db'),
    key: keyStore.databaseKey(),
    keyStore,
    clock: new ManualClock(),
    random,
    migrationsFolder: migrationsThrough(MIGRATION_TAGS[position - 1] ?? null),
  };
  const old = openDeviceDatabase(before);
  expect(appliedMigrations(old)).toBe(position);
  old.sqlite.close();

  const seeded = testCase.seed(before);

  const after: MigrationStage = { ...before, migrationsFolder: migrationsThrough(testCase.tag) };
  const upgraded = openDeviceDatabase(after);
  try {
    expect(appliedMigrations(upgraded)).toBe(position + 1);
    testCase.check(upgraded, after, seeded);
  } finally {
    if (upgraded.sqlite.open) upgraded.sqlite.close();
  }
}
