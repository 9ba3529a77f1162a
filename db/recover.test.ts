import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DeviceCore } from '../main/core/device-core.js';
import { CLERK, tempDir, type TestDevice } from '../test/support/device.js';
import { noteCreate, tally } from '../test/support/actions.js';
import { databaseFilesSha256, fileSha256, leafPages, overwriteBytes, pageOffset } from '../test/storage/files.js';
import { populatedDevice } from '../test/storage/populated.js';
import { DatabaseUnreadableError, openDeviceDatabase } from './open.js';
import { allRecords, type StoredRecord } from './queries/records.js';
import { NothingToRecoverError, recoverDeviceDatabase } from './recover.js';

const RECOVERED_AT = Date.UTC(2026, 10, 23, 6, 0, 0);

interface Snapshot {
  deviceId: string;
  records: StoredRecord[];
  entries: ReturnType<DeviceCore['journal']>;
  outbox: ReturnType<DeviceCore['status']>['outbox'];
}

function snapshot(core: DeviceCore): Snapshot {
  return { deviceId: core.deviceId, records: allRecords(core.database.db), entries: core.journal(), outbox: core.status().outbox };
}

/** Closes the device and damages the start of the middle leaf page of each table or index named. */
function closeAndDamageLeaf(device: TestDevice, ...names: string[]): void {
  const { sqlite } = device.core.database;
  const offsets = names.map((name) => {
    const leaves = leafPages(sqlite, name);
    return pageOffset(sqlite, leaves[Math.floor(leaves.length / 2)]!);
  });
  device.core.close();
  for (const offset of offsets) overwriteBytes(device.path, offset, Buffer.alloc(512, 0xa5));
}

function expectUnreadable(device: TestDevice): void {
  expect(() => DeviceCore.open({ path: device.path, keyStore: device.keyStore })).toThrow(DatabaseUnreadableError);
}

function reopen(device: TestDevice): DeviceCore {
  return DeviceCore.open({ path: device.path, keyStore: device.keyStore, clock: device.clock, random: device.random });
}

/** The records as the user sees them, without the sync bookkeeping recovery cannot know. */
function userView(records: StoredRecord[]) {
  return records.map(({ type, id, fields, deleted, lastSeq, createdAt, createdBy, updatedAt, updatedBy }) => ({
    type,
    id,
    fields,
    deleted,
    lastSeq,
    createdAt,
    createdBy,
    updatedAt,
    updatedBy,
  }));
}

describe('recovering a damaged device database', () => {
  it('damage to a record table and its index: every entry is salvaged, the records are rebuilt, the chain verifies and work goes on', () => {
    const device = populatedDevice();
    const ackedUpTo = 40;
    device.core.acknowledge(Array.from({ length: ackedUpTo }, (_, i) => i + 1));
    const before = snapshot(device.core);
    closeAndDamageLeaf(device, 'rec_note', 'sqlite_autoindex_rec_note_1');
    expectUnreadable(device);
    const damaged = fileSha256(device.path);

    const report = recoverDeviceDatabase({ path: device.path, key: device.keyStore.databaseKey(), now: RECOVERED_AT });

    const lastSeq = before.entries.length + 1; // closing journaled the session-close entry
    expect(report).toMatchObject({
      deviceId: before.deviceId,
      checkpoints: 0,
      salvagedEntries: lastSeq,
      lastSalvagedSeq: lastSeq,
      lostFromSeq: null,
      rebuiltRecords: before.records.length,
      toRefetch: [],
    });
    // The damaged index hid some note ids, but no journal entry was lost.
    expect(report.problems).toEqual([expect.stringMatching(/^note records: /)]);
    expect(fileSha256(report.quarantinedTo)).toBe(damaged);

    const core = reopen(device);
    expect(core.deviceId).toBe(before.deviceId);
    expect(core.verifyJournal()).toMatchObject({ ok: true, entriesVerified: lastSeq });
    expect(core.journal().slice(0, before.entries.length)).toEqual(before.entries);
    const rebuilt = allRecords(core.database.db);
    expect(userView(rebuilt)).toEqual(userView(before.records));
    // The office's version is unknown until the next pull; what it has acknowledged is not shown as unsynced.
    expect(rebuilt.map((record) => [record.id, record.syncState, record.serverVersion])).toEqual(
      rebuilt.map((record) => [record.id, record.lastSeq <= ackedUpTo ? 'synced' : 'local', null]),
    );
    expect(core.status().outbox).toEqual({ pending: lastSeq - ackedUpTo, acknowledged: ackedUpTo, failed: 0 });

    core.signIn(CLERK.badgeId, CLERK.pin);
    const next = core.perform(noteCreate('first note after recovery'));
    expect(next.seq).toBe(lastSeq + 2);
    expect(core.verifyJournal()).toMatchObject({ ok: true });
    core.close();
  });

  it('records whose history was folded into checkpoints are listed for re-fetching; sessions survive so compaction and verification go on', () => {
    const device = populatedDevice();
    const { core } = device;
    const countIds = core.listRecords('yardCount').map((record) => record.id);
    // The clerk's session (yard counts, gate event) came first: fold it into a checkpoint.
    const clerkSessionEnd = core.journal().find((entry) => entry.body.kind === 'session.close')!.body.seq;
    core.acknowledge(Array.from({ length: clerkSessionEnd }, (_, i) => i + 1));
    expect(core.compact()).toHaveLength(1);
    core.perform(tally(countIds[0]!, 5)); // a pending edit on a record created before the checkpoint
    const before = snapshot(core);
    closeAndDamageLeaf(device, 'rec_note');

    const report = recoverDeviceDatabase({ path: device.path, key: device.keyStore.databaseKey(), now: RECOVERED_AT });

    const gateEvents = before.records.filter((record) => record.type === 'gateEvent').map((record) => ({ type: 'gateEvent', id: record.id }));
    expect(report).toMatchObject({ checkpoints: 1, salvagedEntries: before.entries.length + 1, lostFromSeq: null });
    expect(report.toRefetch).toEqual(expect.arrayContaining([...countIds.map((id) => ({ type: 'yardCount', id })), ...gateEvents]));
    expect(report.toRefetch).toHaveLength(countIds.length + gateEvents.length);
    const notes = before.records.filter((record) => record.type === 'note');
    expect(report.rebuiltRecords).toBe(notes.length);

    const recovered = reopen(device);
    expect(recovered.verifyJournal()).toMatchObject({ ok: true });
    expect(userView(recovered.listRecords('note'))).toEqual(userView(notes));
    // The pending tally is still journaled and goes to the office, which holds the count it applies to.
    expect(recovered.journal().at(-2)?.body).toMatchObject({ kind: 'record', recordId: countIds[0], action: 'update' });

    recovered.acknowledge(recovered.journal().slice(0, 100).map((entry) => entry.body.seq));
    expect(recovered.compact()).toHaveLength(1);
    recovered.signIn(CLERK.badgeId, CLERK.pin);
    recovered.perform(noteCreate('after compaction of salvaged entries'));
    expect(recovered.verifyJournal()).toMatchObject({ ok: true });
    recovered.close();
  });

  it('damage inside the journal: the verified prefix is kept, the loss is reported, the damaged file is kept byte-identical', () => {
    const device = populatedDevice();
    const before = snapshot(device.core);
    closeAndDamageLeaf(device, 'journal');
    expectUnreadable(device);
    const damaged = databaseFilesSha256(device.path);

    const report = recoverDeviceDatabase({ path: device.path, key: device.keyStore.databaseKey(), now: RECOVERED_AT });

    expect(report.salvagedEntries).toBeGreaterThan(0);
    expect(report.salvagedEntries).toBeLessThan(before.entries.length);
    expect(report).toMatchObject({ lastSalvagedSeq: report.salvagedEntries, lostFromSeq: report.salvagedEntries + 1 });
    expect(report.problems.join('\n')).toMatch(/journal/);
    expect(databaseFilesSha256(report.quarantinedTo)).toMatchObject(damaged);

    const recovered = reopen(device);
    expect(recovered.journal()).toEqual(before.entries.slice(0, report.salvagedEntries));
    expect(recovered.verifyJournal()).toMatchObject({ ok: true });
    // Every record the prefix touches is rebuilt as of the prefix; every other one is listed to re-fetch.
    const kept = new Set(recovered.journal().flatMap((entry) => (entry.body.kind === 'record' ? [`${entry.body.recordType}:${entry.body.recordId}`] : [])));
    const rebuilt = allRecords(recovered.database.db);
    expect(rebuilt.map((record) => `${record.type}:${record.id}`).sort()).toEqual([...kept].sort());
    expect(rebuilt.every((record) => record.lastSeq <= report.lastSalvagedSeq)).toBe(true);
    expect(report.toRefetch.map((ref) => `${ref.type}:${ref.id}`).sort()).toEqual(
      before.records.map((record) => `${record.type}:${record.id}`).filter((key) => !kept.has(key)).sort(),
    );
    recovered.close();
  });

  it('an entry that reads back but does not verify ends the salvaged prefix', () => {
    // Tried: a journal row altered on disk (as bit rot in a readable page would), plus damage elsewhere.
    const device = populatedDevice({ notes: 20 });
    const tamperedSeq = 45;
    const before = snapshot(device.core);
    const { sqlite } = device.core.database;
    sqlite.exec('DROP TRIGGER journal_no_update');
    sqlite.prepare(`UPDATE journal SET body = replace(body, 'brake lines', 'brake 1ines') WHERE seq = ?`).run(tamperedSeq);
    expect(device.core.verifyJournal()).toMatchObject({ ok: false, failure: { code: 'hash-mismatch', seq: tamperedSeq } });
    closeAndDamageLeaf(device, 'rec_note');

    const report = recoverDeviceDatabase({ path: device.path, key: device.keyStore.databaseKey(), now: RECOVERED_AT });

    expect(report).toMatchObject({ salvagedEntries: tamperedSeq - 1, lastSalvagedSeq: tamperedSeq - 1, lostFromSeq: tamperedSeq });
    expect(report.problems.join('\n')).toMatch(/hash-mismatch at seq 45/);
    const recovered = reopen(device);
    expect(recovered.journal()).toEqual(before.entries.slice(0, tamperedSeq - 1));
    expect(recovered.verifyJournal()).toMatchObject({ ok: true });
    recovered.close();
  });

  it('entries that were only in the WAL when the app died are salvaged, and the WAL is quarantined with the file', () => {
    // Tried: a copy of the files of a running device (as after a power cut), whose main file has a damaged note page.
    const device = populatedDevice();
    const { sqlite } = device.core.database;
    sqlite.pragma('wal_checkpoint(TRUNCATE)');
    const untouchedNoteLeaf = pageOffset(sqlite, leafPages(sqlite, 'rec_note')[2]!);
    for (let i = 0; i < 5; i++) device.core.perform(noteCreate(`written after the last checkpoint ${i}`));
    const before = snapshot(device.core);
    const crashed = join(tempDir(), 'device.db');
    writeFileSync(crashed, readFileSync(device.path));
    writeFileSync(`${crashed}-wal`, readFileSync(`${device.path}-wal`));
    device.core.close();
    overwriteBytes(crashed, untouchedNoteLeaf, Buffer.alloc(512, 0xa5));
    const damaged = databaseFilesSha256(crashed);
    expect(Object.keys(damaged)).toEqual(['db', '-wal']);

    const report = recoverDeviceDatabase({ path: crashed, key: device.keyStore.databaseKey(), now: RECOVERED_AT });

    expect(report).toMatchObject({ salvagedEntries: before.entries.length, lostFromSeq: null, toRefetch: [] });
    expect(databaseFilesSha256(report.quarantinedTo)).toMatchObject(damaged);
    const recovered = DeviceCore.open({ path: crashed, keyStore: device.keyStore });
    expect(recovered.journal()).toEqual(before.entries);
    expect(userView(allRecords(recovered.database.db))).toEqual(userView(before.records));
    recovered.close();
  });

  it('a destroyed header: nothing can be read, the report says so, and the damaged file is kept', () => {
    const device = populatedDevice({ notes: 20 });
    device.core.close();
    overwriteBytes(device.path, 0, Buffer.alloc(4096, 0x33));
    const damaged = fileSha256(device.path);

    const report = recoverDeviceDatabase({ path: device.path, key: device.keyStore.databaseKey(), now: RECOVERED_AT });

    expect(report).toMatchObject({ deviceId: null, checkpoints: 0, salvagedEntries: 0, lastSalvagedSeq: 0, lostFromSeq: 1, rebuiltRecords: 0, toRefetch: [] });
    expect(report.problems.join('\n')).toMatch(/cannot be opened/);
    expect(fileSha256(report.quarantinedTo)).toBe(damaged);
    const fresh = openDeviceDatabase({ path: device.path, key: device.keyStore.databaseKey() });
    expect(fresh.sqlite.prepare('SELECT count(*) AS n FROM device').get()).toEqual({ n: 0 });
    fresh.sqlite.close();
  });

  it('refuses to touch a healthy database', () => {
    const device = populatedDevice({ notes: 5 });
    device.core.close();
    const files = readdirSync(dirname(device.path));
    const before = fileSha256(device.path);

    expect(() => recoverDeviceDatabase({ path: device.path, key: device.keyStore.databaseKey(), now: RECOVERED_AT })).toThrow(NothingToRecoverError);
    expect(fileSha256(device.path)).toBe(before);
    expect(readdirSync(dirname(device.path)).filter((name) => !files.includes(name) && !/-(wal|shm)$/.test(name))).toEqual([]);
  });

  it('a second recovery in the same millisecond keeps both damaged copies', () => {
    const device = populatedDevice({ notes: 20 });
    closeAndDamageLeaf(device, 'journal');
    const firstDamage = fileSha256(device.path);
    const first = recoverDeviceDatabase({ path: device.path, key: device.keyStore.databaseKey(), now: RECOVERED_AT });
    overwriteBytes(device.path, 0, Buffer.alloc(4096, 0x33));
    const secondDamage = fileSha256(device.path);

    const second = recoverDeviceDatabase({ path: device.path, key: device.keyStore.databaseKey(), now: RECOVERED_AT });

    expect(second.quarantinedTo).not.toBe(first.quarantinedTo);
    expect([fileSha256(first.quarantinedTo), fileSha256(second.quarantinedTo)]).toEqual([firstDamage, secondDamage]);
    expect(existsSync(`${device.path}.rebuilding`)).toBe(false);
  });
});
