import { existsSync, readdirSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DeviceCore } from '../main/core/device-core.js';
import type { KeyStore } from '../main/core/ports.js';
import { CLERK, openTestDevice, tempDir, type TestDevice } from '../test/support/device.js';
import { gateEventCreate, noteCreate } from '../test/support/actions.js';
import { CAN_SEE_OPEN_FILES, databaseFilesSha256, scanDirectory, openSqliteTempFiles } from '../test/storage/files.js';
import { DatabaseUnreadableError, openDeviceDatabase, rekeyDeviceDatabase } from './open.js';

// Strings that appear nowhere else: if any of their encodings shows up in a file, it leaked.
const MARKERS = ['PLATE-QX7Z-91K4', 'Zephyrine Haulage Cooperative', 'body mentions the bent kingpin of unit 4471-VQ'];

function deviceWithMarkers(options: { encrypt: boolean; dir: string }): TestDevice {
  const device = openTestDevice(options);
  device.core.signIn(CLERK.badgeId, CLERK.pin);
  device.core.perform(gateEventCreate({ truckPlate: MARKERS[0]!, carrier: MARKERS[1]! }));
  device.core.perform(noteCreate(MARKERS[2]!));
  return device;
}

function walBytes(path: string): number {
  return existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0;
}

function keyStoreWithDatabaseKey(base: KeyStore, databaseKey: Uint8Array): KeyStore {
  return { deviceSeed: () => base.deviceSeed(), databaseKey: () => databaseKey, pinPepper: () => base.pinPepper() };
}

describe('encryption at rest', () => {
  it('leaves none of the recorded strings readable in the database, WAL or shared-memory file, open or closed', () => {
    // Tried: a gate event and a note carrying unique strings, written through the real write path.
    const dir = tempDir();
    const device = deviceWithMarkers({ encrypt: true, dir });
    expect(device.core.getRecord('note', device.core.listRecords('note')[0]!.id)?.fields.body).toBe(MARKERS[2]);

    expect(walBytes(device.path)).toBeGreaterThan(0);
    expect(readdirSync(dir).sort()).toEqual(['device.db', 'device.db-shm', 'device.db-wal']);
    expect(scanDirectory(dir, MARKERS)).toEqual([]);

    device.core.close();
    expect(scanDirectory(dir, MARKERS)).toEqual([]);
  });

  it('control: the same actions on an unencrypted database are found by the same scan', () => {
    const dir = tempDir();
    const device = deviceWithMarkers({ encrypt: false, dir });
    expect(scanDirectory(dir, MARKERS).filter((found) => found.file.endsWith('-wal')).map((found) => found.marker)).toEqual(
      expect.arrayContaining(MARKERS),
    );
    device.core.close();
    expect(scanDirectory(dir, MARKERS).filter((found) => found.file.endsWith('device.db')).map((found) => found.marker)).toEqual(
      expect.arrayContaining(MARKERS),
    );
  });

  it.runIf(CAN_SEE_OPEN_FILES)('keeps temp data in memory: a sort larger than the cache opens no temp file, where temp files would hold the strings in clear', () => {
    // Tried: a query that sorts 16 copies of every journal body (a sorter spills to temp files past
    // about 1 MB when the cache is small), on the real encrypted device connection, watching the
    // files the process holds open while the sorted rows come out.
    const device = deviceWithMarkers({ encrypt: true, dir: tempDir() });
    for (let i = 0; i < 200; i++) device.core.perform(gateEventCreate({ truckPlate: `${MARKERS[0]}-${i}`, carrier: MARKERS[1]! }));
    const { sqlite } = device.core.database;
    sqlite.pragma('cache_size = 10');
    const sortAllBodiesWatchingTempFiles = () => {
      const seen = new Map<string, Buffer>();
      sqlite.function('watch_temp_files', () => {
        // Read once: by the time sorted rows come out, the spilled runs are complete.
        for (const file of openSqliteTempFiles()) if (!seen.has(file.path)) seen.set(file.path, file.read());
        return 1;
      });
      sqlite
        .prepare(
          `WITH copies(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM copies WHERE n < 16)
           SELECT watch_temp_files() FROM (SELECT body FROM journal, copies ORDER BY substr(body, 40), n)`,
        )
        .all();
      return {
        tempFiles: [...seen.keys()],
        leaked: [...seen.values()].flatMap((content) => MARKERS.filter((marker) => content.includes(marker))),
      };
    };

    expect(sqlite.pragma('temp_store', { simple: true })).toBe(2);
    expect(sortAllBodiesWatchingTempFiles()).toEqual({ tempFiles: [], leaked: [] });

    // Control: with temp files allowed, the very same query spills clear text although the database is encrypted.
    sqlite.pragma('temp_store = FILE');
    const withTempFiles = sortAllBodiesWatchingTempFiles();
    expect(withTempFiles.tempFiles).toEqual([expect.stringContaining('etilqs_')]);
    expect(withTempFiles.leaked).toContain(MARKERS[0]);
    device.core.close();
  });
});

describe('rekeying', () => {
  it('re-encrypts a WAL-mode database: the old key stops working, the new key opens everything, the chain verifies and WAL is back', () => {
    const dir = tempDir();
    const device = deviceWithMarkers({ encrypt: true, dir });
    const oldKey = device.keyStore.databaseKey();
    const newKey = new Uint8Array(32).fill(0x5c);
    const { sqlite } = device.core.database;
    expect(walBytes(device.path)).toBeGreaterThan(0);

    rekeyDeviceDatabase(sqlite, newKey);
    expect(sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
    // The open core keeps working on the rekeyed file.
    device.core.perform(noteCreate('written after the rekey'));
    const before = { notes: device.core.listRecords('note'), gateEvents: device.core.listRecords('gateEvent'), journal: device.core.status().journal };
    device.core.close();
    expect(scanDirectory(dir, MARKERS)).toEqual([]);

    const filesBefore = databaseFilesSha256(device.path);
    expect(() => openDeviceDatabase({ path: device.path, key: oldKey })).toThrow(
      expect.objectContaining({ name: 'DatabaseUnreadableError', reason: 'wrong-key-or-not-a-database' }),
    );
    expect(databaseFilesSha256(device.path)).toEqual(filesBefore);

    const reopened = DeviceCore.open({ path: device.path, keyStore: keyStoreWithDatabaseKey(device.keyStore, newKey), clock: device.clock, random: device.random });
    expect(reopened.database.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(reopened.listRecords('note')).toEqual(before.notes);
    expect(reopened.listRecords('gateEvent')).toEqual(before.gateEvents);
    // Closing added the signed session-close entry.
    expect(reopened.status().journal).toMatchObject({ entries: before.journal.entries + 1, lastSeq: before.journal.lastSeq + 1 });
    expect(reopened.verifyJournal()).toMatchObject({ ok: true });
    reopened.close();
  });

  it('refuses to rekey while another connection reads the database, and the old key keeps working', () => {
    // Tried: rekey with a second reader open (the journal mode cannot leave WAL then).
    const device = deviceWithMarkers({ encrypt: true, dir: tempDir() });
    const oldKey = device.keyStore.databaseKey();
    const reader = openDeviceDatabase({ path: device.path, key: oldKey, readonly: true });
    reader.sqlite.prepare('SELECT count(*) FROM journal').get();

    expect(() => rekeyDeviceDatabase(device.core.database.sqlite, new Uint8Array(32).fill(9))).toThrow();
    reader.sqlite.close();
    expect(device.core.database.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
    device.core.close();

    const reopened = openDeviceDatabase({ path: device.path, key: oldKey });
    expect(reopened.sqlite.prepare('SELECT count(*) AS n FROM journal').get()).toEqual({ n: 4 });
    reopened.sqlite.close();
  });

  it('a wrong key is refused with a clear reason and leaves the files byte-identical', () => {
    const device = deviceWithMarkers({ encrypt: true, dir: tempDir() });
    device.core.close();
    const before = databaseFilesSha256(device.path);

    let thrown: unknown;
    try {
      DeviceCore.open({ path: device.path, keyStore: keyStoreWithDatabaseKey(device.keyStore, new Uint8Array(32).fill(1)) });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DatabaseUnreadableError);
    expect(thrown).toMatchObject({ reason: 'wrong-key-or-not-a-database', message: expect.stringMatching(/key is wrong.*left untouched/) });
    expect(databaseFilesSha256(device.path)).toEqual(before);
  });
});
