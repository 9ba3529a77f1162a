import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { DEFAULT_MIGRATIONS, type DeviceDatabase, openDeviceDatabase } from '../../db/open.js';
import { MemoryKeyStore } from '../../main/core/keystore-dev.js';
import { ManualClock, SeededRandomness, tempDir } from '../support/device.js';

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
