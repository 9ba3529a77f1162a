import { readdirSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../protocol/crypto/hash.js';
import { MAX_ATTACHMENT_BYTES } from '../../protocol/index.js';
import { attachmentDirectory } from '../../main/core/attachments.js';
import type { IpcResult } from '../../main/ipc/contract.js';
import { createIpcHandler, type IpcHandler } from '../../main/ipc/handlers.js';
import { storeFootprint } from '../support/core-assertions.js';
import { INSPECTOR, openTestDevice, type TestDevice } from '../support/device.js';
import { makePng } from '../support/png.js';

/**
 * attachments.put and attachments.get as the renderer calls them: a photo goes in as base64 and
 * comes back by its hash; malformed calls are refused with a clear error and store nothing.
 */
let device: TestDevice;
let handle: IpcHandler;
let logged: unknown[];

beforeEach(async () => {
  device = openTestDevice({ seed: 'ipc-attachments' });
  logged = [];
  handle = createIpcHandler(device.core, { unenrolledSiteId: 'site-oak', logError: (_message, error) => logged.push(error) });
  await expectValue(handle('session.signIn', { badgeId: INSPECTOR.badgeId, pin: INSPECTOR.pin }));
});

afterEach(() => {
  expect(logged).toEqual([]);
  device.core.close();
});

async function expectValue(result: Promise<IpcResult>): Promise<any> {
  const settled = await result;
  if (!settled.ok) throw new Error(`expected success, got ${settled.error.code}: ${settled.error.message}`);
  return settled.value;
}

const storedFiles = () => {
  try {
    return readdirSync(attachmentDirectory(device.path));
  } catch {
    return [];
  }
};
const attachmentCount = () => (device.core.database.sqlite.prepare('SELECT count(*) AS n FROM attachments').get() as { n: number }).n;

/** Calls `method` with `input`, expects the error `code`, and that no file, row, entry or record was written. */
async function expectRefused(method: string, input: unknown, code: string, message: RegExp): Promise<void> {
  const before = { footprint: storeFootprint(device.core), files: storedFiles(), rows: attachmentCount() };
  const result = await handle(method, input);
  expect(result).toEqual({ ok: false, error: expect.objectContaining({ code, message: expect.stringMatching(message) }) });
  expect({ footprint: storeFootprint(device.core), files: storedFiles(), rows: attachmentCount() }).toEqual(before);
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

describe('well-formed calls', () => {
  it('puts a photo, answers its hash and size, and gets the same bytes back for display', async () => {
    const photo = makePng({ text: 'ipc' });
    const stored = await expectValue(handle('attachments.put', { mimeType: 'image/png', dataBase64: base64(photo) }));
    expect(stored).toEqual({ sha256: sha256Hex(photo), size: photo.byteLength });
    expect(await expectValue(handle('attachments.get', { sha256: stored.sha256 }))).toEqual({ mimeType: 'image/png', dataBase64: base64(photo) });
    // The same photo again is the same attachment.
    expect(await expectValue(handle('attachments.put', { mimeType: 'image/png', dataBase64: base64(photo) }))).toEqual(stored);
    expect(attachmentCount()).toBe(1);
  });

  it('lets an inspection name the photo it just put', async () => {
    const { sha256 } = await expectValue(handle('attachments.put', { mimeType: 'image/png', dataBase64: base64(makePng()) }));
    const performed = await expectValue(
      handle('records.perform', {
        recordType: 'inspection',
        action: 'create',
        ops: [
          { op: 'set', field: 'templateId', value: 'dvir-power-unit' },
          { op: 'set', field: 'equipmentNumber', value: 'TRK-104' },
          { op: 'add', field: 'photos', member: sha256 },
        ],
      }),
    );
    expect(performed.record.fields.photos).toEqual([sha256]);
  });
});

describe('refused calls store nothing', () => {
  it.each([
    { tried: 'a type that is not an image', input: { mimeType: 'application/pdf', dataBase64: base64(makePng()) }, code: 'invalid-input', message: /mimeType: a photo or signature is a PNG, JPEG or WebP image/ },
    { tried: 'SVG, which can carry script', input: { mimeType: 'image/svg+xml', dataBase64: base64(new TextEncoder().encode('<svg/>')) }, code: 'invalid-input', message: /mimeType/ },
    { tried: 'PNG bytes declared as JPEG', input: { mimeType: 'image/jpeg', dataBase64: base64(makePng()) }, code: 'invalid-input', message: /it is a PNG image named as a JPEG/ },
    { tried: 'data that is not base64', input: { mimeType: 'image/png', dataBase64: 'iVBORw0KGgo=$$$not base64' }, code: 'invalid-input', message: /dataBase64: the file data is not base64/ },
    { tried: 'empty data', input: { mimeType: 'image/png', dataBase64: '' }, code: 'invalid-input', message: /dataBase64: the file is empty/ },
    { tried: 'data as a number', input: { mimeType: 'image/png', dataBase64: 42 }, code: 'invalid-input', message: /dataBase64/ },
    { tried: 'a path instead of data', input: { mimeType: 'image/png', path: '/etc/passwd' }, code: 'invalid-input', message: /dataBase64|path/ },
    { tried: 'an extra field', input: { mimeType: 'image/png', dataBase64: base64(makePng()), sha256: 'a'.repeat(64) }, code: 'invalid-input', message: /sha256/ },
  ])('attachments.put with $tried → $code', async ({ input, code, message }) => {
    await expectRefused('attachments.put', input, code, message);
  });

  it('refuses a photo over the size limit before decoding it', async () => {
    const oversized = 'A'.repeat(Math.ceil(MAX_ATTACHMENT_BYTES / 3) * 4 + 4);
    await expectRefused('attachments.put', { mimeType: 'image/jpeg', dataBase64: oversized }, 'invalid-input', /at most 25 MB/);
  });

  it('refuses a photo a few bytes over the limit that still fits the base64 bound, in the core', async () => {
    const bytes = new Uint8Array(MAX_ATTACHMENT_BYTES + 1);
    bytes.set([0xff, 0xd8, 0xff]);
    await expectRefused('attachments.put', { mimeType: 'image/jpeg', dataBase64: base64(bytes) }, 'attachment-too-large', /at most 25 MB/);
  });

  it.each([
    { tried: 'a hash the device does not hold', input: { sha256: 'e'.repeat(64) }, code: 'unknown-attachment', message: /no attachment e{64} on this device/ },
    { tried: 'a file name instead of a hash', input: { sha256: '../device.db' }, code: 'invalid-input', message: /sha256: an attachment is named by its SHA-256/ },
    { tried: 'an upper-case hash', input: { sha256: 'E'.repeat(64) }, code: 'invalid-input', message: /sha256/ },
    { tried: 'no hash', input: {}, code: 'invalid-input', message: /sha256/ },
  ])('attachments.get with $tried → $code', async ({ input, code, message }) => {
    await expectRefused('attachments.get', input, code, message);
  });

  it('refuses both while nobody is signed in', async () => {
    const photo = makePng();
    const { sha256 } = await expectValue(handle('attachments.put', { mimeType: 'image/png', dataBase64: base64(photo) }));
    await expectValue(handle('session.signOut', {}));
    await expectRefused('attachments.put', { mimeType: 'image/png', dataBase64: base64(makePng({ rgb: [1, 1, 1] })) }, 'not-signed-in', /sign in to attach photos or sign/);
    await expectRefused('attachments.get', { sha256 }, 'not-signed-in', /sign in to see photos and signatures/);
  });
});
