import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DeviceCore } from '../main/core/device-core.js';
import { tempDir, type TestDevice } from '../test/support/device.js';
import { databaseFilesSha256, leafPages, overwriteBytes, pageOffset } from '../test/storage/files.js';
import { populatedDevice } from '../test/storage/populated.js';
import { DatabaseUnreadableError, openDeviceDatabase } from './open.js';

interface Damage {
  name: string;
  apply(path: string, layout: Layout): void;
  reason: DatabaseUnreadableError['reason'];
}

interface Layout {
  size: number;
  /** Byte offset of a journal leaf page in the middle of the file. */
  middleJournalPage: number;
}

const DAMAGES: Damage[] = [
  {
    name: 'a middle page overwritten (page header and cells)',
    apply: (path, layout) => overwriteBytes(path, layout.middleJournalPage, Buffer.alloc(512, 0x5a)),
    reason: 'corrupt',
  },
  { name: 'the file cut in half', apply: (path, layout) => truncateSync(path, Math.floor(layout.size / 2)), reason: 'corrupt' },
  {
    name: 'the file cut at an odd length',
    apply: (path, layout) => truncateSync(path, Math.floor(layout.size / 2) + 123),
    reason: 'corrupt',
  },
  // With the cipher, a destroyed first page cannot be told apart from a wrong key.
  { name: 'the header overwritten with garbage', apply: (path) => overwriteBytes(path, 0, Buffer.alloc(100, 0x33)), reason: 'wrong-key-or-not-a-database' },
];

describe.each([
  { encrypt: true, label: 'encrypted' },
  { encrypt: false, label: 'plain' },
])('opening a damaged $label device database', ({ encrypt }) => {
  let device: TestDevice;
  let pristine: Buffer;
  let layout: Layout;

  beforeAll(() => {
    device = populatedDevice({ encrypt, notes: 150 });
    const { sqlite } = device.core.database;
    const journalLeaves = leafPages(sqlite, 'journal');
    const middleJournalPage = pageOffset(sqlite, journalLeaves[Math.floor(journalLeaves.length / 2)]!);
    device.core.close();
    pristine = readFileSync(device.path);
    layout = { size: pristine.length, middleJournalPage };
  });

  const key = () => (encrypt ? device.keyStore.databaseKey() : null);

  it.each(DAMAGES)('$name: refused with a clear reason, the files untouched', (damage) => {
    // Tried: opening the damaged file through the database layer and through the device core.
    const path = join(tempDir(), 'device.db');
    writeFileSync(path, pristine);
    damage.apply(path, layout);
    const damaged = databaseFilesSha256(path);

    const attempts = [
      () => openDeviceDatabase({ path, key: key() }),
      () => DeviceCore.open({ path, keyStore: device.keyStore, encrypt, clock: device.clock, random: device.random }),
    ];
    for (const attempt of attempts) {
      let thrown: unknown;
      try {
        attempt();
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(DatabaseUnreadableError);
      expect(thrown).toMatchObject({ reason: damage.reason, path });
      expect((thrown as Error).message).toMatch(damage.reason === 'corrupt' ? /damaged .*left untouched — run recovery/ : /cannot be read.*left untouched/);
      expect((thrown as Error).message.length).toBeLessThan(600);
      expect(databaseFilesSha256(path)).toEqual(damaged);
    }
  });

  it('control: the undamaged copy opens and passes its integrity check', () => {
    const path = join(tempDir(), 'device.db');
    writeFileSync(path, pristine);
    const opened = openDeviceDatabase({ path, key: key() });
    expect(opened.sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
    opened.sqlite.close();
  });
});
