import { getTableColumns, getTableName, is } from 'drizzle-orm';
import { SQLiteTable } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import { CLERK, openTestDevice } from '../test/support/device.js';
import { gateEventCreate, noteCreate, submit, tally, yardCountCreate } from '../test/support/actions.js';
import { defineUpgradeCase, MIGRATION_TAGS, type MigrationStage, runUpgradeCase } from '../test/storage/migrations.js';
import { type DeviceDatabase, openDeviceDatabase } from './open.js';
import { countJournalEntries, listJournalEntries } from './queries/journal.js';
import { countOutbox } from './queries/outbox.js';
import { allRecords } from './queries/records.js';
import * as schema from './schema.js';

function openDevice(stage: MigrationStage) {
  return openTestDevice({ path: stage.path, keyStore: stage.keyStore, clock: stage.clock, random: stage.random, migrationsFolder: stage.migrationsFolder });
}

function tableNames(database: DeviceDatabase): string[] {
  return (database.sqlite.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).all() as { name: string }[]).map(
    (row) => row.name,
  );
}

function contents(database: DeviceDatabase) {
  return { entries: listJournalEntries(database.db), records: allRecords(database.db), outbox: countOutbox(database.db) };
}

/** Every migration gets a case here; the last test fails when one is missing. */
const UPGRADE_CASES = [
  defineUpgradeCase({
    tag: '0000_initial',
    expectation: 'creates every table the schema declares, and the write path runs on them',
    seed: (stage) => {
      // Before the first migration there is nowhere to write a row.
      const bare = openDeviceDatabase(stage);
      expect(tableNames(bare)).toEqual(['__drizzle_migrations']);
      bare.sqlite.close();
      return null;
    },
    check: (upgraded, stage) => {
      const declared = Object.values(schema).filter((value) => is(value, SQLiteTable));
      expect(tableNames(upgraded)).toEqual(['__drizzle_migrations', ...declared.map((table) => getTableName(table))].sort());
      for (const table of declared) {
        const columns = (upgraded.sqlite.pragma(`table_info(${getTableName(table)})`) as { name: string }[]).map((column) => column.name);
        expect(columns.sort(), getTableName(table)).toEqual(Object.values(getTableColumns(table)).map((column) => column.name).sort());
      }
      upgraded.sqlite.close();

      const device = openDevice(stage);
      device.core.signIn(CLERK.badgeId, CLERK.pin);
      const gate = device.core.perform(gateEventCreate({ truckPlate: 'NM-2210', carrier: 'Mesa Freight' })).record;
      const reopened = device.reopen();
      expect(reopened.core.getRecord('gateEvent', gate.id)).toEqual(gate);
      expect(reopened.core.verifyJournal()).toMatchObject({ ok: true });
      reopened.core.close();
    },
  }),
  defineUpgradeCase({
    tag: '0001_journal_append_only',
    expectation: 'keeps every journal row, record and outbox mark, then refuses to edit or delete entries outside compaction',
    seed: (stage) => {
      const { core } = openDevice(stage);
      core.signIn(CLERK.badgeId, CLERK.pin);
      const count = core.perform(yardCountCreate('row-9')).record.id;
      for (let i = 1; i <= 4; i++) core.perform(tally(count, i));
      const gate = core.perform(gateEventCreate({ truckPlate: 'AZ-7781', carrier: 'Sonora Lines' })).record.id;
      core.perform(submit('gateEvent', gate));
      core.perform(noteCreate('seal intact, photographed'));
      core.acknowledge([1, 2, 3, 4, 5]);
      // Before this migration nothing in the database stops an edit of the journal.
      expect(core.database.sqlite.prepare('UPDATE journal SET hlc = hlc WHERE seq = 1').run().changes).toBe(1);
      core.close();
      return null;
    },
    check: (upgraded, stage) => {
      const { sqlite } = upgraded;
      const before = contents(upgraded);
      expect(before.entries).toHaveLength(10);
      expect(before.outbox).toEqual({ pending: 5, acknowledged: 5, failed: 0 });
      expect(() => sqlite.prepare(`UPDATE journal SET body = replace(body, 'AZ-7781', 'AZ-7782') WHERE seq = 7`).run()).toThrow(/append-only/);
      expect(() => sqlite.prepare('DELETE FROM journal WHERE seq = 1').run()).toThrow(/append-only/);
      expect(contents(upgraded)).toEqual(before);
      sqlite.close();

      const { core } = openDevice(stage);
      expect(contents(core.database)).toEqual(before);
      expect(core.verifyJournal()).toMatchObject({ ok: true, entriesVerified: 10 });
      // Compaction is the one way out of the journal, for the acknowledged entries written before the upgrade.
      expect(core.compact()).toHaveLength(1);
      expect(countJournalEntries(core.database.db)).toBe(5);
      expect(core.verifyJournal()).toMatchObject({ ok: true });
      expect(() => core.database.sqlite.prepare('DELETE FROM checkpoints').run()).toThrow(/cannot be deleted/);
      core.close();
    },
  }),
  defineUpgradeCase({
    tag: '0002_drop_write_path_indexes',
    expectation: 'keeps every row, drops the outbox and record sync-state indexes, and sync queries still find pending entries',
    seed: (stage) => {
      const { core } = openDevice(stage);
      core.signIn(CLERK.badgeId, CLERK.pin);
      const count = core.perform(yardCountCreate('row-3')).record.id;
      for (let i = 1; i <= 3; i++) core.perform(tally(count, i));
      core.perform(noteCreate('chassis swapped at door 4'));
      core.acknowledge([1, 2, 3]);
      core.close();
      return null;
    },
    check: (upgraded, stage) => {
      const indexes = (upgraded.sqlite.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'`).all() as { name: string }[]).map(
        (row) => row.name,
      );
      expect(indexes.filter((name) => name === 'outbox_state_idx' || name.endsWith('_sync_idx'))).toEqual([]);
      expect(indexes).toContain('journal_record_idx');
      const before = contents(upgraded);
      expect(before.outbox).toEqual({ pending: 4, acknowledged: 3, failed: 0 });
      upgraded.sqlite.close();

      const { core } = openDevice(stage);
      expect(contents(core.database)).toEqual(before);
      expect(core.status().outbox).toEqual({ pending: 4, acknowledged: 3, failed: 0 });
      expect(core.verifyJournal()).toMatchObject({ ok: true, entriesVerified: 7 });
      core.close();
    },
  }),
];

describe('migrations upgrade databases that hold real rows', () => {
  it.each(UPGRADE_CASES.map((testCase) => [testCase.tag, testCase.expectation, testCase] as const))('%s %s', (_tag, _expectation, testCase) => {
    runUpgradeCase(testCase);
  });

  it('every migration in db/migrations has an upgrade case', () => {
    expect(UPGRADE_CASES.map((testCase) => testCase.tag)).toEqual(MIGRATION_TAGS);
  });
});
