import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../protocol/crypto/hash.js';
import { count, inArray } from 'drizzle-orm';
import {
  CURRENT_SCHEMA_VERSION,
  MAX_ATTACHMENT_BATCH_INLINE_BYTES,
  MAX_ATTACHMENT_BATCH_ITEMS,
  MAX_ATTACHMENT_BYTES,
  MAX_ATTACHMENT_CHUNK_BYTES,
  MAX_INLINE_ATTACHMENT_BYTES,
  SCHEMA_VERSION_HEADER,
  UPLOAD_OFFSET_HEADER,
  attachmentBatchResponseSchema,
  attachmentStatusSchema,
} from '../../protocol/wire.js';
import { attachments } from '../../server/db/schema.js';
import { SeededRandomness } from '../support/device.js';
import { type FieldDevice, enrolledDevice, officeUser } from '../support/field-devices.js';
import { call, countRows, seedOrganisation, startTestServer, type ApiAnswer, type TestServer } from '../support/server.js';

let server: TestServer;
let dispatcherToken: string;

beforeAll(async () => {
  server = await startTestServer();
  ({ dispatcherToken } = await seedOrganisation(server));
});
afterAll(async () => server?.close());

const MiB = 1024 * 1024;

function photo(label: string, size: number): { bytes: Uint8Array; sha256: string } {
  const bytes = new SeededRandomness(`photo:${label}`).bytes(size);
  return { bytes, sha256: sha256Hex(bytes) };
}

const declare = (device: FieldDevice, body: Record<string, unknown>) =>
  call(server, 'POST', '/v1/attachments', { token: device.credential, body: { schemaVersion: CURRENT_SCHEMA_VERSION, mimeType: 'image/jpeg', ...body } });

async function sendChunk(device: FieldDevice, sha256: string, offset: number, chunk: Uint8Array, contentType = 'application/octet-stream'): Promise<ApiAnswer> {
  const response = await fetch(`${server.url}/v1/attachments/${sha256}`, {
    method: 'PATCH',
    headers: {
      authorization: `Bearer ${device.credential}`,
      'content-type': contentType,
      [UPLOAD_OFFSET_HEADER]: String(offset),
      [SCHEMA_VERSION_HEADER]: String(CURRENT_SCHEMA_VERSION),
    },
    body: chunk,
  });
  return { status: response.status, body: await response.json() };
}

/** Sends attachments in one batch request; `whole` ones carry their bytes. */
const batch = (device: FieldDevice, items: Record<string, unknown>[], schemaVersion = CURRENT_SCHEMA_VERSION) =>
  call(server, 'POST', '/v1/attachments/batch', { token: device.credential, body: { schemaVersion, attachments: items } });

const whole = (file: { bytes: Uint8Array; sha256: string }) => ({
  sha256: file.sha256,
  size: file.bytes.byteLength,
  mimeType: 'image/png',
  content: Buffer.from(file.bytes).toString('base64'),
});
const declared = (file: { bytes: Uint8Array; sha256: string }) => ({ sha256: file.sha256, size: file.bytes.byteLength, mimeType: 'image/jpeg' });

async function attachmentRows(): Promise<number> {
  const [row] = await server.database.db.select({ n: count() }).from(attachments);
  return row!.n;
}

async function content(token: string, sha256: string): Promise<{ status: number; sha256: string }> {
  const response = await fetch(`${server.url}/v1/attachments/${sha256}/content`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, sha256: sha256Hex(new Uint8Array(await response.arrayBuffer())) };
}

const statusOf = (token: string, sha256: string) =>
  call(server, 'GET', `/v1/attachments/${sha256}`, { token, headers: { [SCHEMA_VERSION_HEADER]: String(CURRENT_SCHEMA_VERSION) } });

/** Starts sending a chunk and cuts the connection halfway through its body, as a dead zone would. */
function interruptedChunk(device: FieldDevice, sha256: string, offset: number, chunk: Uint8Array): Promise<void> {
  const url = new URL(`${server.url}/v1/attachments/${sha256}`);
  return new Promise((resolve) => {
    const request = httpRequest(url, {
      method: 'PATCH',
      headers: {
        authorization: `Bearer ${device.credential}`,
        'content-type': 'application/octet-stream',
        'content-length': String(chunk.byteLength),
        [UPLOAD_OFFSET_HEADER]: String(offset),
        [SCHEMA_VERSION_HEADER]: String(CURRENT_SCHEMA_VERSION),
      },
    });
    request.on('error', () => resolve());
    request.on('close', () => resolve());
    request.write(chunk.subarray(0, chunk.byteLength / 2), () => setTimeout(() => request.destroy(), 50));
  });
}

async function upload(device: FieldDevice, file: { bytes: Uint8Array; sha256: string }): Promise<ApiAnswer> {
  let answer = await declare(device, { sha256: file.sha256, size: file.bytes.byteLength });
  for (let guard = 0; guard < 100 && answer.status < 300 && !answer.body.stored; guard++) {
    const offset = answer.body.received as number;
    answer = await sendChunk(device, file.sha256, offset, file.bytes.subarray(offset, offset + MAX_ATTACHMENT_CHUNK_BYTES));
  }
  return answer;
}

describe('attachments', () => {
  it('resumes a chunked upload at the offset the server reports after an interruption, and stores it only once the hash matches', async () => {
    const cab = await enrolledDevice(server, 'dev-att-resume');
    const file = photo('resume', 2 * MiB + 12_345);

    const started = await declare(cab, { sha256: file.sha256, size: file.bytes.byteLength });
    expect([started.status, started.body]).toEqual([201, { sha256: file.sha256, size: file.bytes.byteLength, mimeType: 'image/jpeg', received: 0, stored: false }]);
    expect((await sendChunk(cab, file.sha256, 0, file.bytes.subarray(0, MiB))).body).toMatchObject({ received: MiB, stored: false });

    // An inspection naming the photo is accepted while the upload is incomplete; the photo is not stored yet.
    cab.chain.record({
      recordType: 'inspection',
      recordId: 'insp-att-1',
      ops: [
        { op: 'set', field: 'templateId', value: 'dvir' },
        { op: 'set', field: 'equipmentNumber', value: 'TRL-40' },
        { op: 'add', field: 'photos', member: file.sha256 },
      ],
    });
    expect((await cab.push()).results.at(-1)).toMatchObject({ outcome: 'accepted' });
    expect((await statusOf(cab.credential, file.sha256)).body).toMatchObject({ received: MiB, stored: false });

    await interruptedChunk(cab, file.sha256, MiB, file.bytes.subarray(MiB, 2 * MiB));
    const afterCut = attachmentStatusSchema.parse((await statusOf(cab.credential, file.sha256)).body);
    expect(afterCut).toMatchObject({ received: MiB, stored: false });

    // Resending the first chunk (its answer lost) is answered with where to continue.
    const stale = await sendChunk(cab, file.sha256, 0, file.bytes.subarray(0, MiB));
    expect([stale.status, stale.body.code, stale.body.received]).toEqual([409, 'upload-offset-mismatch', MiB]);

    const stored = await upload(cab, file);
    expect([stored.status, stored.body]).toEqual([200, { sha256: file.sha256, size: file.bytes.byteLength, mimeType: 'image/jpeg', received: file.bytes.byteLength, stored: true }]);
    const content = await fetch(`${server.url}/v1/attachments/${file.sha256}/content`, { headers: { authorization: `Bearer ${dispatcherToken}` } });
    expect([content.status, content.headers.get('content-type')]).toEqual([200, 'image/jpeg']);
    const downloaded = new Uint8Array(await content.arrayBuffer());
    expect([downloaded.byteLength, sha256Hex(downloaded)]).toEqual([file.bytes.byteLength, file.sha256]);
    // The last chunk resent after a lost answer: the attachment is already stored.
    const last = file.bytes.byteLength - (file.bytes.byteLength % MAX_ATTACHMENT_CHUNK_BYTES);
    expect((await sendChunk(cab, file.sha256, last, file.bytes.subarray(last))).body).toMatchObject({ stored: true });
  });

  it("deduplicates by hash within the organisation: a second device's upload of the same bytes sends nothing", async () => {
    const first = await enrolledDevice(server, 'dev-att-dedup-1');
    const second = await enrolledDevice(server, 'dev-att-dedup-2');
    const file = photo('dedup', 300_000);
    expect((await upload(first, file)).body.stored).toBe(true);
    const rows = await countRows(server.database);
    const again = await declare(second, { sha256: file.sha256, size: file.bytes.byteLength });
    expect([again.status, again.body]).toEqual([200, expect.objectContaining({ stored: true, received: file.bytes.byteLength })]);
    expect(await countRows(server.database)).toEqual(rows);
  });

  it('refuses bytes that do not hash to the name and keeps nothing of them', async () => {
    const cab = await enrolledDevice(server, 'dev-att-mismatch');
    const claimed = photo('claimed', 100_000);
    const sent = photo('actually-sent', 100_000);
    await declare(cab, { sha256: claimed.sha256, size: 100_000 });
    const answer = await sendChunk(cab, claimed.sha256, 0, sent.bytes);
    expect([answer.status, answer.body.code]).toEqual([422, 'attachment-hash-mismatch']);
    expect((await statusOf(cab.credential, claimed.sha256)).status).toBe(404);
    expect((await statusOf(cab.credential, sent.sha256)).status).toBe(404);
    const content = await fetch(`${server.url}/v1/attachments/${claimed.sha256}/content`, { headers: { authorization: `Bearer ${dispatcherToken}` } });
    expect(content.status).toBe(404);
    // Starting again starts from nothing.
    expect((await declare(cab, { sha256: claimed.sha256, size: 100_000 })).body).toMatchObject({ received: 0, stored: false });
  });

  it('refuses oversized attachments and chunks with 413, and malformed chunk requests with 4xx, writing nothing', async () => {
    const cab = await enrolledDevice(server, 'dev-att-limits');
    const file = photo('limits', 1000);
    const tooBig = await declare(cab, { sha256: file.sha256, size: MAX_ATTACHMENT_BYTES + 1 });
    expect([tooBig.status, tooBig.body.code]).toEqual([413, 'payload-too-large']);
    expect((await statusOf(cab.credential, file.sha256)).status).toBe(404);

    await declare(cab, { sha256: file.sha256, size: 1000 });
    const rows = await countRows(server.database);
    const past = await sendChunk(cab, file.sha256, 0, photo('longer', 1001).bytes);
    expect([past.status, past.body.code]).toEqual([413, 'payload-too-large']);
    const hugeChunk = await sendChunk(cab, file.sha256, 0, new Uint8Array(MAX_ATTACHMENT_CHUNK_BYTES + 1));
    expect([hugeChunk.status, hugeChunk.body.code]).toEqual([413, 'payload-too-large']);
    expect((await sendChunk(cab, file.sha256, 0, file.bytes, 'application/json')).status).toBe(400);
    expect((await sendChunk(cab, file.sha256, 0, file.bytes, 'text/plain')).status).toBe(415);
    const noOffset = await fetch(`${server.url}/v1/attachments/${file.sha256}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${cab.credential}`, 'content-type': 'application/octet-stream', [SCHEMA_VERSION_HEADER]: '1' },
      body: file.bytes,
    });
    expect(noOffset.status).toBe(400);
    expect((await declare(cab, { sha256: 'ABC', size: 10 })).status).toBe(400);
    expect((await declare(cab, { sha256: file.sha256, size: 10, mimeType: 'image/jpeg; charset=x' })).status).toBe(400);
    expect(await countRows(server.database)).toEqual(rows);
    expect((await statusOf(cab.credential, file.sha256)).body).toMatchObject({ received: 0, stored: false });
  });

  it('stores small attachments sent whole in a batch at once, declares the large ones in it, and answers each in the order asked', async () => {
    const cab = await enrolledDevice(server, 'dev-att-batch');
    const first = photo('batch-signature-1', 3000);
    const large = photo('batch-photo', MiB + 777);
    const second = photo('batch-signature-2', MAX_INLINE_ATTACHMENT_BYTES);

    const answer = await batch(cab, [whole(first), declared(large), whole(second)]);
    expect(answer.status).toBe(200);
    expect(attachmentBatchResponseSchema.parse(answer.body).attachments).toEqual([
      { sha256: first.sha256, size: 3000, mimeType: 'image/png', received: 3000, stored: true },
      { sha256: large.sha256, size: MiB + 777, mimeType: 'image/jpeg', received: 0, stored: false },
      { sha256: second.sha256, size: MAX_INLINE_ATTACHMENT_BYTES, mimeType: 'image/png', received: MAX_INLINE_ATTACHMENT_BYTES, stored: true },
    ]);
    expect(await content(dispatcherToken, first.sha256)).toEqual({ status: 200, sha256: first.sha256 });
    expect(await content(dispatcherToken, second.sha256)).toEqual({ status: 200, sha256: second.sha256 });

    // The large one's chunks follow; a batch sent again (its answer lost) then finds where each stands and writes nothing.
    expect((await sendChunk(cab, large.sha256, 0, large.bytes.subarray(0, MiB))).body).toMatchObject({ received: MiB, stored: false });
    const rows = await attachmentRows();
    const again = await batch(cab, [whole(first), declared(large), whole(second)]);
    expect(again.body.attachments.map((status: { received: number; stored: boolean }) => [status.received, status.stored])).toEqual([
      [3000, true],
      [MiB, false],
      [MAX_INLINE_ATTACHMENT_BYTES, true],
    ]);
    expect(await attachmentRows()).toBe(rows);
    expect((await sendChunk(cab, large.sha256, MiB, large.bytes.subarray(MiB))).body).toMatchObject({ stored: true });

    // Another device of the organisation is told the photo is stored: nothing to send.
    const other = await enrolledDevice(server, 'dev-att-batch-other');
    expect((await batch(other, [declared(large)])).body.attachments).toEqual([expect.objectContaining({ sha256: large.sha256, stored: true })]);
  });

  it("refuses one attachment of a batch on its own and keeps nothing of bytes that do not match their name, while the batch's others are stored", async () => {
    const owner = await enrolledDevice(server, 'dev-att-batch-owner');
    const cab = await enrolledDevice(server, 'dev-att-batch-refusals');
    const good = photo('batch-good', 2000);
    const claimed = photo('batch-claimed', 2000);
    const sent = photo('batch-actually-sent', 2000);
    const huge = photo('batch-huge', 10);
    const busy = photo('batch-busy', 300_000);
    await declare(owner, { sha256: busy.sha256, size: busy.bytes.byteLength });

    const answer = await batch(cab, [
      { ...whole(sent), sha256: claimed.sha256 },
      { ...declared(huge), size: MAX_ATTACHMENT_BYTES + 1 },
      declared(busy),
      whole(good),
    ]);
    expect(answer.status).toBe(200);
    expect(answer.body.attachments).toEqual([
      { sha256: claimed.sha256, refused: { code: 'attachment-hash-mismatch', message: expect.stringContaining('nothing was kept') } },
      { sha256: huge.sha256, refused: { code: 'payload-too-large', message: expect.any(String) } },
      { sha256: busy.sha256, refused: { code: 'conflict', message: expect.stringContaining('dev-att-batch-owner') } },
      expect.objectContaining({ sha256: good.sha256, stored: true }),
    ]);
    for (const sha256 of [claimed.sha256, sent.sha256, huge.sha256]) expect((await statusOf(cab.credential, sha256)).status).toBe(404);
    expect(await content(dispatcherToken, claimed.sha256)).toMatchObject({ status: 404 });
    expect((await statusOf(owner.credential, busy.sha256)).body).toMatchObject({ received: 0, stored: false });
  });

  it("completes with a whole attachment an upload another device began, whose next chunk is then told the attachment is stored", async () => {
    const owner = await enrolledDevice(server, 'dev-att-whole-owner');
    const other = await enrolledDevice(server, 'dev-att-whole-other');
    const file = photo('whole-over-chunks', 60_000);
    await declare(owner, { sha256: file.sha256, size: file.bytes.byteLength });
    await sendChunk(owner, file.sha256, 0, file.bytes.subarray(0, 20_000));

    expect((await batch(other, [whole(file)])).body.attachments).toEqual([{ sha256: file.sha256, size: 60_000, mimeType: 'image/png', received: 60_000, stored: true }]);
    expect((await sendChunk(owner, file.sha256, 20_000, file.bytes.subarray(20_000, 40_000))).body).toMatchObject({ stored: true });
    expect(await content(dispatcherToken, file.sha256)).toEqual({ status: 200, sha256: file.sha256 });
  });

  it('stores once the same signatures sent at the same moment by two devices of the organisation, in opposite orders, and answers both', async () => {
    const first = await enrolledDevice(server, 'dev-att-race-1');
    const second = await enrolledDevice(server, 'dev-att-race-2');
    const signatures = Array.from({ length: 20 }, (_, i) => photo(`race-${i}`, 2000));
    const answers = await Promise.all([batch(first, signatures.map(whole)), batch(second, signatures.map(whole).reverse())]);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    for (const answer of answers) expect(answer.body.attachments.every((status: { stored: boolean }) => status.stored)).toBe(true);
    const rows = await server.database.db
      .select({ n: count() })
      .from(attachments)
      .where(inArray(attachments.sha256, signatures.map((signature) => signature.sha256)));
    expect(rows[0]!.n).toBe(20);
    for (const signature of signatures.slice(0, 3)) expect(await content(dispatcherToken, signature.sha256)).toEqual({ status: 200, sha256: signature.sha256 });
  });

  it('refuses a malformed batch with 400 naming the problem, and an outdated app with 426, writing nothing', async () => {
    const cab = await enrolledDevice(server, 'dev-att-batch-limits');
    const small = photo('batch-limits', 1000);
    const rows = await attachmentRows();
    const refused = async (items: Record<string, unknown>[]) => {
      const answer = await batch(cab, items);
      return [answer.status, answer.body.code, answer.body.issues?.[0]?.path];
    };
    expect(await refused([])).toEqual([400, 'invalid-request', 'attachments']);
    const many = Array.from({ length: MAX_ATTACHMENT_BATCH_ITEMS + 1 }, (_, i) => declared(photo(`batch-many-${i}`, 10)));
    expect(await refused(many)).toEqual([400, 'invalid-request', 'attachments']);
    expect(await refused([whole(small), whole(small)])).toEqual([400, 'invalid-request', 'attachments']);
    expect(await refused([whole(photo('batch-too-big-to-go-whole', MAX_INLINE_ATTACHMENT_BYTES + 1))])).toEqual([400, 'invalid-request', 'attachments.0.content']);
    expect(await refused([{ ...whole(small), size: 999 }])).toEqual([400, 'invalid-request', 'attachments.0.content']);
    expect(await refused([{ ...whole(small), content: 'not base64!' }])).toEqual([400, 'invalid-request', 'attachments.0.content']);
    const overBudget = Array.from({ length: 9 }, (_, i) => whole(photo(`batch-budget-${i}`, MAX_INLINE_ATTACHMENT_BYTES - 1)));
    expect(9 * (MAX_INLINE_ATTACHMENT_BYTES - 1)).toBeGreaterThan(MAX_ATTACHMENT_BATCH_INLINE_BYTES);
    expect(await refused(overBudget)).toEqual([400, 'invalid-request', 'attachments']);
    expect((await batch(cab, [whole(small)], 0)).status).toBe(426);
    expect(await attachmentRows()).toBe(rows);
  });

  it("refuses chunks from another device while an upload is under way, and lets the organisation take over a revoked device's upload", async () => {
    const owner = await enrolledDevice(server, 'dev-att-owner');
    const other = await enrolledDevice(server, 'dev-att-other');
    const file = photo('owned', 150_000);
    await declare(owner, { sha256: file.sha256, size: file.bytes.byteLength });
    await sendChunk(owner, file.sha256, 0, file.bytes.subarray(0, 50_000));

    const intruder = await sendChunk(other, file.sha256, 50_000, file.bytes.subarray(50_000));
    expect([intruder.status, intruder.body.code]).toEqual([403, 'forbidden']);
    expect((await declare(other, { sha256: file.sha256, size: file.bytes.byteLength })).status).toBe(409);
    expect((await statusOf(owner.credential, file.sha256)).body).toMatchObject({ received: 50_000 });

    await call(server, 'POST', '/v1/admin/devices/dev-att-owner/revoke', { token: server.adminToken });
    const revoked = await sendChunk(owner, file.sha256, 50_000, file.bytes.subarray(50_000));
    expect([revoked.status, revoked.body.code]).toEqual([403, 'device-revoked']);
    expect((await statusOf(owner.credential, file.sha256)).status).toBe(403);

    const takenOver = await declare(other, { sha256: file.sha256, size: file.bytes.byteLength });
    expect([takenOver.status, takenOver.body.received]).toEqual([200, 0]);
    expect((await upload(other, file)).body.stored).toBe(true);
  });

  it('keeps organisations apart: another organisation neither sees an attachment nor gets it without sending the bytes', async () => {
    const home = await enrolledDevice(server, 'dev-att-home');
    const file = photo('private', 40_000);
    expect((await upload(home, file)).body.stored).toBe(true);

    const admin = { token: server.adminToken };
    await call(server, 'POST', '/v1/admin/organisations', { ...admin, body: { id: 'org-att-2', name: 'Rival Haulage' } });
    await call(server, 'POST', '/v1/admin/sites', { ...admin, body: { id: 'site-att-2', organisationId: 'org-att-2', name: 'Rival yard' } });
    await call(server, 'POST', '/v1/admin/operators', { ...admin, body: { id: 'op-rival', siteId: 'site-att-2', badgeId: 'R1', displayName: 'Rival', role: 'inspector', pin: '9753' } });
    const rival = await enrolledDevice(server, 'dev-att-rival', { siteId: 'site-att-2', operatorId: 'op-rival' });
    const rivalOffice = await officeUser(server, 'user-att-rival', 'dispatcher', 'org-att-2');

    expect((await statusOf(rival.credential, file.sha256)).status).toBe(404);
    expect((await statusOf(rivalOffice, file.sha256)).status).toBe(404);
    const rivalContent = await fetch(`${server.url}/v1/attachments/${file.sha256}/content`, { headers: { authorization: `Bearer ${rivalOffice}` } });
    expect(rivalContent.status).toBe(404);
    const rivalDeclared = await declare(rival, { sha256: file.sha256, size: file.bytes.byteLength });
    expect([rivalDeclared.status, rivalDeclared.body.stored, rivalDeclared.body.received]).toEqual([201, false, 0]);
    expect((await upload(rival, file)).body.stored).toBe(true);

    // A small one the home organisation holds: the rival's batch declaring it must send the bytes; sent whole, they are its proof.
    const signature = photo('private-signature', 2000);
    expect((await batch(home, [whole(signature)])).body.attachments).toEqual([expect.objectContaining({ stored: true })]);
    expect((await batch(rival, [declared(signature)])).body.attachments).toEqual([expect.objectContaining({ received: 0, stored: false })]);
    expect((await batch(rival, [whole(signature)])).body.attachments).toEqual([expect.objectContaining({ stored: true })]);
    expect(await content(rivalOffice, signature.sha256)).toEqual({ status: 200, sha256: signature.sha256 });
  });
});
