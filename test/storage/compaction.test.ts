import { describe, expect, it } from 'vitest';
import { listCheckpoints } from '../../db/queries/journal.js';
import { allRecords } from '../../db/queries/records.js';
import { CLERK, openTestDevice, type TestDevice } from '../support/device.js';
import { noteCreate, tally, yardCountCreate } from '../support/actions.js';

/** A signed-in device with `actions` journaled actions after its session-open entry. */
function deviceWithActions(actions: number): TestDevice {
  const device = openTestDevice();
  device.core.signIn(CLERK.badgeId, CLERK.pin);
  const count = device.core.perform(yardCountCreate('row-1')).record.id;
  for (let i = 1; i < actions; i++) device.core.perform(i % 3 === 0 ? noteCreate(`note ${i}`) : tally(count, 1));
  return device;
}

function seqs(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function everything(device: TestDevice) {
  const { core } = device;
  return {
    entries: core.journal(),
    checkpoints: core.checkpoints(),
    outbox: core.status().outbox,
    records: allRecords(core.database.db),
    compacting: core.database.sqlite.prepare('SELECT compacting FROM device').get(),
  };
}

describe('compaction', () => {
  it.each([
    { step: 'removing the outbox marks', trigger: 'BEFORE DELETE ON main.outbox' },
    { step: 'lowering the compacting flag (its last statement)', trigger: 'BEFORE UPDATE OF compacting ON main.device WHEN NEW.compacting = 0' },
  ])('is all or nothing: a failure while $step leaves no checkpoint and every entry in place', ({ trigger }) => {
    // Tried: a temporary trigger makes one statement inside the compaction transaction fail.
    const device = deviceWithActions(60);
    const { core } = device;
    core.acknowledge(seqs(1, 40));
    const before = everything(device);
    core.database.sqlite.exec(`CREATE TEMP TRIGGER fail_compaction ${trigger} BEGIN SELECT RAISE(ABORT, 'simulated failure during compaction'); END`);

    expect(() => core.compact()).toThrow(/simulated failure during compaction/);
    expect(everything(device)).toEqual(before);
    expect(core.verifyJournal()).toMatchObject({ ok: true, entriesVerified: 61 });

    // Control: without the failure the same compaction goes through.
    core.database.sqlite.exec('DROP TRIGGER temp.fail_compaction');
    expect(core.compact().map((checkpoint) => [checkpoint.manifest.fromSeq, checkpoint.manifest.toSeq])).toEqual([[1, 40]]);
    expect(core.journal()[0]?.body.seq).toBe(41);
    expect(core.verifyJournal()).toMatchObject({ ok: true });
    core.close();
  });

  it('never folds an entry the office has not acknowledged, nor anything after it', () => {
    const device = deviceWithActions(60);
    const { core } = device;
    core.acknowledge([...seqs(1, 20), ...seqs(31, 50)]);

    const made = core.compact();

    expect(made.map((checkpoint) => [checkpoint.manifest.fromSeq, checkpoint.manifest.toSeq])).toEqual([[1, 20]]);
    expect(core.journal().map((entry) => entry.body.seq)).toEqual(seqs(21, 61));
    expect(core.status().outbox).toEqual({ pending: 21, acknowledged: 20, failed: 0 });
    // Once the gap is acknowledged, the rest follows.
    core.acknowledge(seqs(21, 30));
    expect(core.compact().map((checkpoint) => [checkpoint.manifest.fromSeq, checkpoint.manifest.toSeq])).toEqual([[21, 50]]);
    expect(core.verifyJournal()).toMatchObject({ ok: true });
    core.close();
  });

  it('the database itself refuses to delete an unacknowledged or uncheckpointed entry, even while compacting', () => {
    // Tried: raw SQL that raises the compacting flag and claims a checkpoint covering seq 1..15.
    const device = deviceWithActions(30);
    const { core } = device;
    const { sqlite } = core.database;
    core.acknowledge([...seqs(1, 10), ...seqs(20, 25)]);
    sqlite.prepare(`INSERT INTO checkpoints (to_seq, from_seq, head, signed, created_at) VALUES (15, 1, ?, '{}', 0)`).run('0'.repeat(64));
    sqlite.exec('UPDATE device SET compacting = 1');

    expect(() => sqlite.prepare('DELETE FROM journal WHERE seq = 12').run()).toThrow(/append-only/); // covered, not acknowledged
    expect(() => sqlite.prepare('DELETE FROM journal WHERE seq = 22').run()).toThrow(/append-only/); // acknowledged, not covered
    expect(() => sqlite.prepare('DELETE FROM journal WHERE seq BETWEEN 1 AND 30').run()).toThrow(/append-only/);
    expect(core.journal()).toHaveLength(31);
    // Control: acknowledged and covered, while compacting, is exactly what compaction may remove.
    expect(sqlite.prepare('DELETE FROM journal WHERE seq = 5').run().changes).toBe(1);
    sqlite.exec('UPDATE device SET compacting = 0');
    expect(() => sqlite.prepare('DELETE FROM journal WHERE seq = 6').run()).toThrow(/append-only/);
    expect(listCheckpoints(core.database.db)).toHaveLength(1);
    core.close();
  });
});
