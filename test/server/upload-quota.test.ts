import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../protocol/crypto/hash.js';
import { CURRENT_SCHEMA_VERSION, MAX_ATTACHMENT_BATCH_ITEMS, MAX_ATTACHMENT_BYTES, SCHEMA_VERSION_HEADER, UPLOAD_OFFSET_HEADER } from '../../protocol/wire.js';
import { UPLOAD_QUOTA } from '../../server/attachments/service.js';
import { SeededRandomness } from '../support/device.js';
import { type FieldDevice, enrolledDevice } from '../support/field-devices.js';
import { call, seedOrganisation, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  await seedOrganisation(server);
});
afterAll(async () => server?.close());

/** A name no attachment has: uploads declared and never finished need no bytes. */
const nameOf = (device: string, i: number) => sha256Hex(`${device} photo ${i}`);

const declare = (device: FieldDevice, sha256: string, size: number) =>
  call(server, 'POST', '/v1/attachments', { token: device.credential, body: { schemaVersion: CURRENT_SCHEMA_VERSION, sha256, size, mimeType: 'image/jpeg' } });

async function declareMany(device: FieldDevice, names: readonly string[], size: number): Promise<void> {
  for (let from = 0; from < names.length; from += MAX_ATTACHMENT_BATCH_ITEMS) {
    const attachments = names.slice(from, from + MAX_ATTACHMENT_BATCH_ITEMS).map((sha256) => ({ sha256, size, mimeType: 'image/jpeg' }));
    const answer = await call<{ attachments: { refused?: unknown }[] }>(server, 'POST', '/v1/attachments/batch', { token: device.credential, body: { schemaVersion: CURRENT_SCHEMA_VERSION, attachments } });
    expect(answer.status).toBe(200);
    expect(answer.body.attachments.filter((item) => item.refused)).toEqual([]);
  }
}

describe("a device's unfinished uploads", () => {
  it('are bounded in number: past the quota a declaration is refused 429 upload-quota (alone in a batch), other devices unaffected, and a finished upload frees a place', async () => {
    const cab = await enrolledDevice(server, 'dev-quota-count');
    // Tried: a device that declares uploads and never sends their bytes.
    await declareMany(cab, Array.from({ length: UPLOAD_QUOTA.uploads - 1 }, (_, i) => nameOf('cab', i)), 1000);
    const photo = new SeededRandomness('quota:photo').bytes(1000);
    const last = sha256Hex(photo);
    expect((await declare(cab, last, photo.byteLength)).status).toBe(201);

    const refused = await declare(cab, nameOf('cab', 5000), 1000);
    expect(refused).toMatchObject({ status: 429, body: { code: 'upload-quota', uploads: UPLOAD_QUOTA.uploads } });
    expect(refused.body.message).toMatch(/finish them before declaring another/);
    const inBatch = await call<{ attachments: unknown[] }>(server, 'POST', '/v1/attachments/batch', {
      token: cab.credential,
      body: { schemaVersion: CURRENT_SCHEMA_VERSION, attachments: [{ sha256: nameOf('cab', 5001), size: 1000, mimeType: 'image/jpeg' }] },
    });
    expect(inBatch.body.attachments).toEqual([{ sha256: nameOf('cab', 5001), refused: { code: 'upload-quota', message: expect.stringContaining('unfinished uploads') } }]);
    // Re-declaring an upload it already has open is no new upload.
    expect((await declare(cab, nameOf('cab', 0), 1000)).status).toBe(200);

    const kiosk = await enrolledDevice(server, 'dev-quota-other');
    expect((await declare(kiosk, nameOf('kiosk', 0), 1000)).status).toBe(201);

    const sent = await fetch(`${server.url}/v1/attachments/${last}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${cab.credential}`, 'content-type': 'application/octet-stream', [UPLOAD_OFFSET_HEADER]: '0', [SCHEMA_VERSION_HEADER]: String(CURRENT_SCHEMA_VERSION) },
      body: photo,
    });
    expect(await sent.json()).toMatchObject({ stored: true });
    expect((await declare(cab, nameOf('cab', 5000), 1000)).status).toBe(201);
  });

  it('are bounded in declared bytes: the largest attachments fill the quota before their number does', async () => {
    const cab = await enrolledDevice(server, 'dev-quota-bytes');
    const fitting = Math.floor(UPLOAD_QUOTA.bytes / MAX_ATTACHMENT_BYTES);
    await declareMany(cab, Array.from({ length: fitting }, (_, i) => nameOf('video', i)), MAX_ATTACHMENT_BYTES);
    expect(await declare(cab, nameOf('video', fitting), MAX_ATTACHMENT_BYTES)).toMatchObject({ status: 429, body: { code: 'upload-quota', uploads: fitting } });
    // What still fits goes in.
    const left = UPLOAD_QUOTA.bytes - fitting * MAX_ATTACHMENT_BYTES;
    expect((await declare(cab, nameOf('video', fitting + 1), left)).status).toBe(201);
  });
});
