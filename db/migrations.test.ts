import { getTableColumns, getTableName, is } from 'drizzle-orm';
import { SQLiteTable } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import { DeviceCore } from '../main/core/device-core.js';
import { isPepperedPinVerifier, makePinVerifier } from '../protocol/pin.js';
import { CLERK, INSPECTOR, openTestDevice } from '../test/support/device.js';
import { expectCoreError } from '../test/support/core-assertions.js';
import { gateEventCreate, noteCreate, submit, tally, yardCountCreate } from '../test/support/actions.js';
import {
  defineUpgradeCase,
  MIGRATION_TAGS,
  type MigrationStage,
  runUpgradeCase,
  seedWithTodaysApp,
  snapshotTables,
} from '../test/storage/migrations.js';
import { type DeviceDatabase, openDeviceDatabase } from './open.js';
import { countJournalEntries, listJournalEntries } from './queries/journal.js';
import { countOutbox } from './queries/outbox.js';
import { listRecords } from './queries/records.js';
import type { RecordType } from '../protocol/records/index.js';
import * as schema from './schema.js';

/** Today's app opening the upgraded database, as after an update: it applies the migrations that follow, if any. */
function openDevice(stage: MigrationStage) {
  return openTestDevice({ path: stage.path, keyStore: stage.keyStore, clock: stage.clock, random: stage.random });
}

function tableNames(database: DeviceDatabase): string[] {
  return (database.sqlite.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).all() as { name: string }[]).map(
    (row) => row.name,
  );
}

const MINUTE = 60_000;

function tablesWithColumns(database: DeviceDatabase): Record<string, string[]> {
  const tables = tableNames(database).filter((name) => name !== '__drizzle_migrations');
  return Object.fromEntries(tables.map((table) => [table, (database.sqlite.pragma(`table_info(${table})`) as { name: string }[]).map((column) => column.name).sort()]));
}

/** Journal, records and outbox; records only of the types whose table the database has at its stage. */
function contents(database: DeviceDatabase) {
  const tables = new Set(tableNames(database));
  const types = (Object.keys(schema.recordTables) as RecordType[]).filter((type) => tables.has(getTableName(schema.recordTables[type])));
  const records = types.flatMap((type) => listRecords(database.db, type, { includeDeleted: true }));
  return { entries: listJournalEntries(database.db), records, outbox: countOutbox(database.db) };
}

/** Every migration gets a case here; the last test fails when one is missing. */
const UPGRADE_CASES = [
  defineUpgradeCase({
    tag: '0000_initial',
    expectation: 'creates every table and column its snapshot records',
    seed: (stage) => {
      // Before the first migration there is nowhere to write a row.
      const bare = openDeviceDatabase(stage);
      expect(tableNames(bare)).toEqual(['__drizzle_migrations']);
      bare.sqlite.close();
      return null;
    },
    check: (upgraded) => {
      expect(tablesWithColumns(upgraded)).toEqual(snapshotTables('0000_initial'));
    },
  }),
  defineUpgradeCase({
    tag: '0001_journal_append_only',
    expectation: 'keeps every journal row, record and outbox mark, then refuses to edit or delete entries outside compaction',
    seed: (stage) => {
      seedWithTodaysApp(stage, ({ core }) => {
        core.signIn(CLERK.badgeId, CLERK.pin);
        const count = core.perform(yardCountCreate('row-9')).record.id;
        for (let i = 1; i <= 4; i++) core.perform(tally(count, i));
        const gate = core.perform(gateEventCreate({ truckPlate: 'AZ-7781', carrier: 'Sonora Lines' })).record.id;
        core.perform(submit('gateEvent', gate));
        core.perform(noteCreate('seal intact, photographed'));
        core.acknowledge([1, 2, 3, 4, 5]);
      });
      // Before this migration nothing in the database stops an edit of the journal.
      const old = openDeviceDatabase(stage);
      expect(old.sqlite.prepare('UPDATE journal SET hlc = hlc WHERE seq = 1').run().changes).toBe(1);
      old.sqlite.close();
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
      seedWithTodaysApp(stage, ({ core }) => {
        core.signIn(CLERK.badgeId, CLERK.pin);
        const count = core.perform(yardCountCreate('row-3')).record.id;
        for (let i = 1; i <= 3; i++) core.perform(tally(count, i));
        core.perform(noteCreate('chassis swapped at door 4'));
        core.acknowledge([1, 2, 3]);
      });
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
  defineUpgradeCase({
    tag: '0003_pin_throttle',
    expectation:
      'moves PIN-attempt state off the operators into per-badge pauses, keeping a lockout in force; the office verifiers left by the older app are peppered when the device opens',
    seed: (stage) => {
      seedWithTodaysApp(stage, ({ core }) => {
        core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
        core.perform(noteCreate('mud flap missing on chassis 4'));
      });
      // What the app before this migration stored: the office's verifiers as they came, and PIN
      // attempts on each operator (the clerk locked out for 3 more minutes, the inspector 2 wrong PINs in).
      const office = { [CLERK.operatorId]: makePinVerifier(CLERK.pin, stage.random.bytes(16)), [INSPECTOR.operatorId]: makePinVerifier(INSPECTOR.pin, stage.random.bytes(16)) };
      const old = openDeviceDatabase(stage);
      const update = old.sqlite.prepare('UPDATE operators SET pin_verifier = ?, failed_attempts = ?, locked_until = ? WHERE operator_id = ?');
      update.run(office[CLERK.operatorId], 0, stage.clock.now() + 3 * MINUTE, CLERK.operatorId);
      update.run(office[INSPECTOR.operatorId], 2, null, INSPECTOR.operatorId);
      old.sqlite.close();
      return office;
    },
    check: (upgraded, stage, office) => {
      const { sqlite } = upgraded;
      const operatorColumns = (sqlite.pragma('table_info(operators)') as { name: string }[]).map((column) => column.name);
      expect(operatorColumns).not.toContain('failed_attempts');
      expect(operatorColumns).not.toContain('locked_until');
      expect(sqlite.prepare('SELECT badge_id AS badgeId, paused_until AS pausedUntil FROM pin_throttle').all()).toEqual([
        { badgeId: CLERK.badgeId, pausedUntil: stage.clock.now() + 3 * MINUTE },
      ]);
      const before = contents(upgraded);
      sqlite.close();

      const core = DeviceCore.open({ path: stage.path, keyStore: stage.keyStore, clock: stage.clock, random: stage.random, migrationsFolder: stage.migrationsFolder });
      try {
        const stored = core.database.sqlite.prepare('SELECT operator_id AS id, pin_verifier AS verifier FROM operators ORDER BY operator_id').all() as { id: string; verifier: string }[];
        expect(stored.map(({ id }) => id)).toEqual([CLERK.operatorId, INSPECTOR.operatorId]);
        for (const { id, verifier } of stored) {
          expect(isPepperedPinVerifier(verifier)).toBe(true);
          expect(verifier).not.toContain((office as Record<string, string>)[id]!.split('$').at(-1));
        }
        expect(contents(core.database)).toEqual(before);
        // The clerk is still paused; the inspector's PIN works with its peppered verifier.
        expectCoreError(() => core.signIn(CLERK.badgeId, CLERK.pin), 'operator-locked-out', /try again in 3 min/);
        expect(core.signIn(INSPECTOR.badgeId, INSPECTOR.pin).operatorId).toBe(INSPECTOR.operatorId);
        stage.clock.advance(3 * MINUTE);
        expect(core.signIn(CLERK.badgeId, CLERK.pin).operatorId).toBe(CLERK.operatorId);
        expect(core.verifyJournal()).toMatchObject({ ok: true });
      } finally {
        core.close();
      }
    },
  }),
  defineUpgradeCase({
    tag: '0004_checkpoint_pruning',
    expectation: 'keeps every checkpoint; compaction may then delete superseded ones (never the newest, never outside compaction) and the chain still verifies',
    seed: (stage) => {
      seedWithTodaysApp(stage, ({ core }) => {
        core.signIn(CLERK.badgeId, CLERK.pin);
        const count = core.perform(yardCountCreate('row-4')).record.id;
        for (let round = 0; round < 4; round++) {
          const seqs = Array.from({ length: 5 }, (_, i) => core.perform(tally(count, i + 1)).seq);
          core.acknowledge(round === 0 ? [1, 2, ...seqs] : seqs);
          core.compact();
        }
      });
      const old = openDeviceDatabase(stage);
      const checkpoints = old.sqlite.prepare('SELECT to_seq FROM checkpoints ORDER BY to_seq').pluck().all() as number[];
      old.sqlite.close();
      return checkpoints;
    },
    check: (upgraded, stage, seeded) => {
      const checkpointSeqs = seeded as number[];
      const { sqlite } = upgraded;
      expect(checkpointSeqs).toHaveLength(4);
      expect(sqlite.prepare('SELECT to_seq FROM checkpoints ORDER BY to_seq').pluck().all()).toEqual(checkpointSeqs);
      const remove = sqlite.prepare('DELETE FROM checkpoints WHERE to_seq = ?');
      expect(() => remove.run(checkpointSeqs[0])).toThrow(/checkpoints cannot be deleted/);
      sqlite.exec('UPDATE device SET compacting = 1');
      expect(() => remove.run(checkpointSeqs.at(-1))).toThrow(/checkpoints cannot be deleted/);
      // What compaction does: superseded checkpoints go, while compacting.
      for (const toSeq of checkpointSeqs.slice(0, 2)) expect(remove.run(toSeq).changes).toBe(1);
      sqlite.exec('UPDATE device SET compacting = 0');
      sqlite.close();

      const { core } = openDevice(stage);
      try {
        expect(core.checkpoints().map((checkpoint) => checkpoint.manifest.toSeq)).toEqual(checkpointSeqs.slice(2));
        expect(core.verifyJournal()).toMatchObject({ ok: true, entriesVerified: 1 });
      } finally {
        core.close();
      }
    },
  }),
  defineUpgradeCase({
    tag: '0005_operator_drafts',
    expectation:
      "gives each conflict-inbox item the operator of its change (none when that entry was compacted away), so each operator sees only their own, and keeps each operator's unsaved forms from the next one",
    seed: (stage) => {
      const seqs = seedWithTodaysApp(stage, ({ core }) => {
        core.signIn(CLERK.badgeId, CLERK.pin);
        const clerk = core.perform(noteCreate('gate 3 camera down')).seq;
        core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
        const inspector = core.perform(noteCreate('brake chamber leaking')).seq;
        return { clerk, inspector };
      });
      // What the older app's push path wrote: items without an operator, one of an entry since compacted.
      const old = openDeviceDatabase(stage);
      const insert = old.sqlite.prepare(`INSERT INTO conflict_inbox (seq, record_type, record_id, outcome, what_happened, created_at) VALUES (?, 'note', 'n-1', 'merged', 'Your change was combined.', 1)`);
      for (const seq of [seqs.clerk, seqs.inspector, 9_999]) insert.run(seq);
      old.sqlite.close();
      return seqs;
    },
    check: (upgraded, stage) => {
      expect(upgraded.sqlite.prepare('SELECT operator_id FROM conflict_inbox ORDER BY id').pluck().all()).toEqual([CLERK.operatorId, INSPECTOR.operatorId, null]);
      upgraded.sqlite.close();

      const { core } = openDevice(stage);
      try {
        const inbox = (operatorId: string) => core.conflicts({ operatorId }).map((row) => row.operatorId);
        expect(inbox(CLERK.operatorId)).toEqual([null, CLERK.operatorId]);
        expect(inbox(INSPECTOR.operatorId)).toEqual([null, INSPECTOR.operatorId]);
        core.signIn(CLERK.badgeId, CLERK.pin);
        core.saveDraft('gate-event.new', '{"truckPlate":"7ABC1"}');
        core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
        expect(core.draft('gate-event.new')).toBeNull();
        core.signIn(CLERK.badgeId, CLERK.pin);
        expect(core.draft('gate-event.new')).toBe('{"truckPlate":"7ABC1"}');
        expect(core.verifyJournal()).toMatchObject({ ok: true });
      } finally {
        core.close();
      }
    },
  }),  defineUpgradeCase({
    tag: '0006_repair_certifications',
    expectation: "adds the table for the office's signed repair certifications, keeping every record, entry and queued change",
    seed: (stage) => {
      seedWithTodaysApp(stage, ({ core }) => {
        core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
        core.perform(noteCreate('left mirror cracked on TRK-1042'));
        core.perform(gateEventCreate({ truckPlate: '7ABC123' }));
        core.acknowledge([1, 2]);
      });
      return null;
    },
    check: (upgraded, stage) => {
      expect(tablesWithColumns(upgraded).rec_repair_certification).toEqual(snapshotTables('0006_repair_certifications').rec_repair_certification);
      expect(upgraded.sqlite.prepare('SELECT count(*) FROM rec_repair_certification').pluck().get()).toBe(0);
      const before = contents(upgraded);
      expect(before.records.map((record) => record.type).sort()).toEqual(['gateEvent', 'note']);
      upgraded.sqlite.close();

      const { core } = openDevice(stage);
      try {
        expect(contents(core.database)).toEqual(before);
        expect(core.verifyJournal()).toMatchObject({ ok: true });
      } finally {
        core.close();
      }
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

describe('a database brought through every migration', () => {
  it('has exactly the tables and columns db/schema.ts declares, and the app records and reads back on it across a restart', () => {
    const device = openTestDevice({ seed: 'all-migrations' });
    const declared = Object.values(schema).filter((value) => is(value, SQLiteTable));
    expect(tablesWithColumns(device.core.database)).toEqual(
      Object.fromEntries(declared.map((table) => [getTableName(table), Object.values(getTableColumns(table)).map((column) => column.name).sort()])),
    );

    device.core.signIn(CLERK.badgeId, CLERK.pin);
    const gate = device.core.perform(gateEventCreate({ truckPlate: 'NM-2210', carrier: 'Mesa Freight' })).record;
    const reopened = device.reopen();
    expect(reopened.core.getRecord('gateEvent', gate.id)).toEqual(gate);
    expect(reopened.core.verifyJournal()).toMatchObject({ ok: true });
    reopened.core.close();
  });
});
