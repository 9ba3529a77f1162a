import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../protocol/crypto/hash.js';
import { attachmentFields, MAX_ATTACHMENT_BYTES, RECORD_TYPE_NAMES, RECORD_TYPES, type FieldOperation } from '../../protocol/index.js';
import { ATTACHMENT_GRACE_MS, AttachmentStore, attachmentDirectory } from '../../main/core/attachments.js';
import type { DeviceCore } from '../../main/core/device-core.js';
import { markAttachmentStored } from '../../db/queries/attachments.js';
import { readRecord, writeRecord } from '../../db/queries/records.js';
import { markFailed } from '../../db/queries/sync.js';
import { expectCoreError, expectRefusedWithoutWriting } from '../support/core-assertions.js';
import { INSPECTOR, openTestDevice, SeededRandomness, type TestDevice } from '../support/device.js';
import { makePng } from '../support/png.js';
import { VALID_CREATES } from '../support/actions.js';
import { checklistTemplate } from '../../protocol/checklists.js';

/**
 * The device's attachment store through DeviceCore, on a real encrypted device in a temp dir:
 * files named by the hash of their bytes, encrypted at rest, read back only when intact, kept
 * until the office has them and nothing pending names them, and refused in actions unless held.
 */
const MARKER = 'WAYPOST-KNOWN-PLAINTEXT-7f3a9c';
const HOUR = 60 * 60 * 1000;

let device: TestDevice;
let core: DeviceCore;

beforeEach(() => {
  device = openTestDevice({ seed: 'attachments' });
  core = device.core;
  core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
});

afterEach(() => {
  if (core.database.sqlite.open) expect(core.verifyJournal()).toMatchObject({ ok: true });
  core.close();
});

const directory = () => attachmentDirectory(device.path);
const filesInStore = () => {
  try {
    return readdirSync(directory()).sort();
  } catch {
    return [];
  }
};
const attachmentRows = () => core.database.sqlite.prepare('SELECT sha256, state, acknowledged_at FROM attachments ORDER BY sha256').all();

/** Everything on disk for this device: database, WAL, key-less side files and attachment files. */
function everyDeviceFile(): Buffer[] {
  const root = dirname(device.path);
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => readFileSync(join(entry.parentPath, entry.name)));
}

function startInspection(ops: FieldOperation[] = []): string {
  return core.perform({
    recordType: 'inspection',
    action: 'create',
    ops: [
      { op: 'set', field: 'templateId', value: 'dvir-power-unit' },
      { op: 'set', field: 'equipmentNumber', value: 'TRK-104' },
      ...ops,
    ],
  }).record.id;
}

describe('storing and reading', () => {
  it('names the file by the SHA-256 of the bytes and gives the same bytes back', () => {
    const photo = makePng({ text: MARKER });
    const stored = core.putAttachment('image/png', photo);
    expect(stored).toEqual({ sha256: sha256Hex(photo), size: photo.byteLength });
    expect(filesInStore()).toEqual([stored.sha256]);
    const read = core.readAttachment(stored.sha256);
    expect(read.mimeType).toBe('image/png');
    expect(Buffer.from(read.data).equals(Buffer.from(photo))).toBe(true);
    expect(attachmentRows()).toEqual([{ sha256: stored.sha256, state: 'local', acknowledged_at: null }]);
  });

  it('keeps the bytes encrypted: a known text and the image signature are nowhere in the device files', () => {
    const photo = makePng({ text: MARKER });
    const { sha256 } = core.putAttachment('image/png', photo);
    core.close();
    const files = everyDeviceFile();
    expect(files.length).toBeGreaterThan(1);
    for (const file of files) {
      expect(file.includes(MARKER)).toBe(false);
      expect(file.includes(Buffer.from(photo.subarray(0, 16)))).toBe(false);
    }
    // Ciphertext is not the plaintext with a header: its length is the plaintext's plus nonce, tag and format.
    const stored = readFileSync(join(directory(), sha256));
    expect(stored.length).toBe(photo.byteLength + 4 + 12 + 16);
    device = device.reopen();
    core = device.core;
    expect(Buffer.from(core.readAttachment(sha256).data).equals(Buffer.from(photo))).toBe(true);
  });

  it('uses a fresh nonce per file: two images with the same start do not share ciphertext', () => {
    const first = core.putAttachment('image/png', makePng({ rgb: [1, 2, 3] }));
    const second = core.putAttachment('image/png', makePng({ rgb: [1, 2, 4] }));
    const [a, b] = [first, second].map(({ sha256 }) => readFileSync(join(directory(), sha256)));
    expect(a!.subarray(4, 16).equals(b!.subarray(4, 16))).toBe(false);
    expect(a!.subarray(16, 48).equals(b!.subarray(16, 48))).toBe(false);
  });

  it('stores the same bytes once: putting them again changes no file and no row', () => {
    const photo = makePng({ text: 'dedup' });
    const first = core.putAttachment('image/png', photo);
    const fileBefore = readFileSync(join(directory(), first.sha256));
    device.clock.advance(HOUR);
    expect(core.putAttachment('image/png', Uint8Array.from(photo))).toEqual(first);
    expect(filesInStore()).toEqual([first.sha256]);
    expect(readFileSync(join(directory(), first.sha256)).equals(fileBefore)).toBe(true);
    expect(core.database.sqlite.prepare('SELECT count(*) AS n, min(created_at) AS at FROM attachments').get()).toEqual({ n: 1, at: device.clock.ms - HOUR });
  });

  it('writes the file again when putting the same bytes finds it gone from the disk', () => {
    const photo = makePng({ text: 'lost' });
    const { sha256 } = core.putAttachment('image/png', photo);
    rmSync(join(directory(), sha256));
    expectCoreError(() => core.readAttachment(sha256), 'attachment-damaged', /its file is missing/);
    expect(core.putAttachment('image/png', photo)).toEqual({ sha256, size: photo.byteLength });
    expect(Buffer.from(core.readAttachment(sha256).data).equals(Buffer.from(photo))).toBe(true);
  });
});

describe('refusing bad attachments, writing nothing', () => {
  it.each([
    { tried: 'PNG bytes declared as JPEG', mimeType: 'image/jpeg' as const, data: () => makePng(), code: 'invalid-input' as const, message: /it is a PNG image named as a JPEG/ },
    { tried: 'bytes that are no image at all', mimeType: 'image/png' as const, data: () => new TextEncoder().encode('%PDF-1.7 not a photo'), code: 'invalid-input' as const, message: /its contents are not a PNG, JPEG or WebP photo/ },
    { tried: 'an empty file', mimeType: 'image/png' as const, data: () => new Uint8Array(0), code: 'invalid-input' as const, message: /empty/ },
    {
      tried: 'a file over the size limit',
      mimeType: 'image/png' as const,
      data: () => {
        const big = new Uint8Array(MAX_ATTACHMENT_BYTES + 1);
        big.set(makePng().subarray(0, 8));
        return big;
      },
      code: 'attachment-too-large' as const,
      message: /at most 25 MB/,
    },
  ])('$tried → $code', ({ mimeType, data, code, message }) => {
    expectCoreError(() => core.putAttachment(mimeType, data()), code, message);
    expect(filesInStore()).toEqual([]);
    expect(attachmentRows()).toEqual([]);
  });

  it('refuses reading a hash the device does not hold', () => {
    expectCoreError(() => core.readAttachment('c'.repeat(64)), 'unknown-attachment', /no attachment c{64} on this device/);
  });
});

describe('a damaged or tampered file is an error, never wrong bytes', () => {
  let sha256: string;
  let path: string;
  let original: Buffer;

  beforeEach(() => {
    ({ sha256 } = core.putAttachment('image/png', makePng({ text: MARKER })));
    path = join(directory(), sha256);
    original = readFileSync(path);
  });

  const flipAt = (offset: number) => {
    const changed = Buffer.from(original);
    changed[offset]! ^= 0x01;
    writeFileSync(path, changed);
  };

  it.each([
    { tried: 'one bit of the ciphertext flipped', change: () => flipAt(40), message: /altered or corrupted/ },
    { tried: 'one bit of the nonce flipped', change: () => flipAt(6), message: /altered or corrupted/ },
    { tried: 'one bit of the tag flipped', change: () => flipAt(original.length - 1), message: /altered or corrupted/ },
    { tried: 'the file cut short', change: () => writeFileSync(path, original.subarray(0, original.length - 20)), message: /altered or corrupted/ },
    { tried: 'the format mark overwritten', change: () => flipAt(0), message: /not an attachment file/ },
    { tried: 'the file emptied', change: () => writeFileSync(path, ''), message: /not an attachment file/ },
  ])('$tried', ({ change, message }) => {
    change();
    expectCoreError(() => core.readAttachment(sha256), 'attachment-damaged', message);
  });

  it("another attachment's file under this name (its own key and tag, but another name) is refused", () => {
    const other = core.putAttachment('image/png', makePng({ rgb: [10, 20, 30] }));
    writeFileSync(path, readFileSync(join(directory(), other.sha256)));
    expectCoreError(() => core.readAttachment(sha256), 'attachment-damaged', /altered or corrupted/);
  });

  it('a store keyed by another database key cannot read the file', () => {
    const stranger = new AttachmentStore({
      db: core.database.db,
      sqlite: core.database.sqlite,
      databasePath: device.path,
      databaseKey: new SeededRandomness('another device').bytes(32),
      clock: device.clock,
      random: device.random,
    });
    expectCoreError(() => stranger.read(sha256), 'attachment-damaged', /altered or corrupted/);
    expect(Buffer.from(core.readAttachment(sha256).data).includes(MARKER)).toBe(true);
  });
});


const EVERY_ATTACHMENT_FIELD = RECORD_TYPE_NAMES.flatMap((recordType) => attachmentFields(RECORD_TYPES[recordType]).map((field) => ({ recordType, ...field })));

describe('actions may name only attachments the device holds', () => {
  it('finds the attachment fields in the record registry', () => {
    expect(EVERY_ATTACHMENT_FIELD.map(({ recordType, name, kind }) => `${recordType}.${name}:${kind}`)).toEqual([
      'inspection.photos:set',
      'inspection.signature:scalar',
      'gateEvent.photos:set',
      'equipmentInterchange.photos:set',
      'equipmentInterchange.fromSignature:scalar',
      'equipmentInterchange.toSignature:scalar',
    ]);
  });

  it.each(EVERY_ATTACHMENT_FIELD)('refuses $name of a $recordType naming a file the device does not hold, and takes it once the file is put', ({ recordType, name, kind }) => {
    const photo = makePng({ text: `${recordType}.${name}` });
    const sha256 = sha256Hex(photo);
    const op: FieldOperation = kind === 'set' ? { op: 'add', field: name, member: sha256 } : { op: 'set', field: name, value: sha256 };
    const create = { recordType, action: 'create', ops: [...VALID_CREATES[recordType], op] };

    const error = expectRefusedWithoutWriting(core, () => core.perform(create), 'unknown-attachment', new RegExp(`^${name}: attachment ${sha256} is not on this device`));
    expect(error.field).toBe(name);
    // The same refusal on an update of an existing record.
    const id = core.perform({ recordType, action: 'create', ops: VALID_CREATES[recordType] }).record.id;
    expectRefusedWithoutWriting(core, () => core.perform({ recordType, recordId: id, action: 'update', ops: [op] }), 'unknown-attachment', /not on this device/);

    core.putAttachment('image/png', photo);
    const { record } = core.perform({ recordType, recordId: id, action: 'update', ops: [op] });
    expect(record.fields[name]).toEqual(kind === 'set' ? [sha256] : sha256);
  });

  it('lets a signature be cleared and a photo be removed without holding any file', () => {
    const id = startInspection();
    core.perform({ recordType: 'inspection', recordId: id, action: 'update', ops: [{ op: 'set', field: 'signature', value: null }, { op: 'remove', field: 'photos', member: 'd'.repeat(64) }] });
    expect(core.getRecord('inspection', id)!.fields).toMatchObject({ signature: null, photos: [] });
  });

  it('lets a signed inspection be submitted', () => {
    const signature = core.putAttachment('image/png', makePng({ rgb: [0, 0, 0] })).sha256;
    const answers = checklistTemplate('dvir-power-unit')!.items.map((item): FieldOperation => ({ op: 'set', field: 'items', key: item.id, value: { result: 'pass' } }));
    const id = startInspection([...answers, { op: 'set', field: 'signature', value: signature }]);
    const { record } = core.perform({ recordType: 'inspection', recordId: id, action: 'submit', ops: [] });
    expect(record.fields).toMatchObject({ status: 'submitted', signature });
  });
});

describe('garbage collection', () => {
  let referenced: string;
  let unreferenced: string;
  let inspectionId: string;

  beforeEach(() => {
    referenced = core.putAttachment('image/png', makePng({ text: 'on the inspection' })).sha256;
    unreferenced = core.putAttachment('image/png', makePng({ text: 'attached, then not used' })).sha256;
    inspectionId = startInspection([{ op: 'add', field: 'photos', member: referenced }]);
  });

  const collect = () => core.collectAttachmentGarbage();
  const acknowledgeEverything = () => core.acknowledge(core.journal().map((entry) => entry.body.seq));
  const officeAcknowledges = (...hashes: string[]) => hashes.forEach((sha256) => markAttachmentStored(core.database.db, sha256, device.clock.now()));
  /** What the sync client does once the office's canonical copy arrives. */
  const markInSync = (id: string) => writeRecord(core.database.db, { ...readRecord(core.database.db, 'inspection', id)!, syncState: 'synced', serverVersion: 1 });

  it('keeps every file the office has not acknowledged, however old', () => {
    acknowledgeEverything();
    markInSync(inspectionId);
    device.clock.advance(90 * 24 * HOUR);
    expect(collect()).toEqual({ deleted: [], leftovers: 0, adopted: [], unreadable: [] });
    expect(filesInStore()).toEqual([referenced, unreferenced].sort());
  });

  it('keeps an acknowledged file for the grace window, then deletes the unreferenced one, file and row', () => {
    officeAcknowledges(referenced, unreferenced);
    device.clock.advance(ATTACHMENT_GRACE_MS - 1);
    expect(collect().deleted).toEqual([]);
    device.clock.advance(1);
    expect(collect().deleted).toEqual([unreferenced]);
    expect(filesInStore()).toEqual([referenced]);
    expectCoreError(() => core.readAttachment(unreferenced), 'unknown-attachment', /no attachment/);
    // Once collected, it can no longer be named by a new action (the day-long wait locked the session).
    core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
    expectRefusedWithoutWriting(
      core,
      () => core.perform({ recordType: 'inspection', recordId: inspectionId, action: 'update', ops: [{ op: 'add', field: 'photos', member: unreferenced }] }),
      'unknown-attachment',
      /not on this device/,
    );
  });

  it('keeps a file named by an entry the office has not acknowledged, or by a record not in sync', () => {
    officeAcknowledges(referenced);
    device.clock.advance(ATTACHMENT_GRACE_MS * 2);
    expect(collect().deleted).toEqual([]);

    // The entries reach the office, but the canonical copy has not come back yet.
    acknowledgeEverything();
    expect(collect().deleted).toEqual([]);

    markInSync(inspectionId);
    expect(collect().deleted).toEqual([referenced]);
    expect(filesInStore()).toEqual([unreferenced]);
  });

  it('keeps a file named by an entry the office rejected and the operator has not settled', () => {
    const seq = core.perform({ recordType: 'inspection', recordId: inspectionId, action: 'update', ops: [{ op: 'add', field: 'photos', member: unreferenced }] }).seq;
    acknowledgeEverything();
    markFailed(core.database.db, seq, { reason: 'rejected', message: 'the work order was closed' }, device.clock.now());
    // The office's copy (without the rejected photo) is what the record shows.
    writeRecord(core.database.db, { ...readRecord(core.database.db, 'inspection', inspectionId)!, fields: { ...readRecord(core.database.db, 'inspection', inspectionId)!.fields, photos: [referenced] }, syncState: 'synced', serverVersion: 1 });
    officeAcknowledges(referenced, unreferenced);
    device.clock.advance(ATTACHMENT_GRACE_MS);
    expect(collect().deleted).toEqual([referenced]);
    expect(filesInStore()).toEqual([unreferenced]);
  });

  it('removes temporary files of an interrupted put, but never a file it cannot account for', () => {
    const stranger = sha256Hex('never put here');
    writeFileSync(join(directory(), `${referenced}.tmp-0a0b0c`), 'half written');
    writeFileSync(join(directory(), stranger), 'a file this store did not write');
    expect(collect()).toEqual({ deleted: [], leftovers: 1, adopted: [], unreadable: [stranger] });
    expect(filesInStore()).toEqual([referenced, unreferenced, stranger].sort());
    expectCoreError(() => core.readAttachment(stranger), 'unknown-attachment', /no attachment/);
  });

  it('gives files back their rows when the database lost them (rebuilt by recovery), instead of deleting the only copy', () => {
    core.database.sqlite.prepare('DELETE FROM attachments').run();
    expectCoreError(() => core.readAttachment(referenced), 'unknown-attachment', /no attachment/);
    device = device.reopen();
    core = device.core;
    expect(attachmentRows()).toEqual([referenced, unreferenced].sort().map((sha256) => ({ sha256, state: 'local', acknowledged_at: null })));
    expect(core.readAttachment(referenced).mimeType).toBe('image/png');

    // Also when it happens while the app runs: garbage collection adopts them, however long ago they were made.
    core.database.sqlite.prepare('DELETE FROM attachments').run();
    device.clock.advance(ATTACHMENT_GRACE_MS * 3);
    expect(collect()).toEqual({ deleted: [], leftovers: 0, adopted: [referenced, unreferenced].sort(), unreadable: [] });
    expect(filesInStore()).toEqual([referenced, unreferenced].sort());
  });
});
