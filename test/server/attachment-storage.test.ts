import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../protocol/crypto/hash.js';
import { MAX_ATTACHMENT_CHUNK_BYTES } from '../../protocol/wire.js';
import { DatabaseAttachmentStorage } from '../../server/attachments/database-storage.js';
import { type AttachmentStorage, DiskAttachmentStorage } from '../../server/attachments/storage.js';
import { type OfficeDatabase, openDatabase } from '../../server/db/connect.js';
import { SeededRandomness, tempDir } from '../support/device.js';
import { dropSchema } from '../support/server.js';

/**
 * The attachment stores behind the upload protocol, each held to the same promises: bytes become an
 * attachment only whole and under the right hash, and read back exactly. The database store runs
 * on Postgres when DATABASE_URL is set, else on PGlite.
 */
let database: OfficeDatabase;
const schema = `attstore_${process.pid}_${Date.now().toString(36)}`;

beforeAll(async () => {
  database = await openDatabase({ url: process.env.DATABASE_URL || undefined, schema, poolSize: 3 });
  await database.migrate();
});
afterAll(async () => {
  await database?.close();
  if (process.env.DATABASE_URL) await dropSchema(process.env.DATABASE_URL, schema);
});

let labels = 0;
function file(size: number): { bytes: Uint8Array; sha256: string; uploadId: string } {
  const random = new SeededRandomness(`storage:${labels++}`);
  const bytes = random.bytes(size);
  return { bytes, sha256: sha256Hex(bytes), uploadId: sha256Hex(random.bytes(32)) };
}

/** Sends `bytes` as the device would, chunk after chunk from the bytes held; returns what `received` said after each. */
async function upload(storage: AttachmentStorage, uploadId: string, bytes: Uint8Array, chunkBytes: number): Promise<number[]> {
  const heard: number[] = [];
  for (let offset = 0; offset < bytes.byteLength; offset += chunkBytes) {
    await storage.putChunk(uploadId, offset, bytes.subarray(offset, offset + chunkBytes));
    heard.push(await storage.received(uploadId));
  }
  return heard;
}

const stores: [string, () => AttachmentStorage][] = [
  ['on disk', () => new DiskAttachmentStorage(tempDir('waypost-attachment-store-'))],
  ['in the database', () => new DatabaseAttachmentStorage(database.db)],
];

describe.each(stores)('attachment storage %s', (_name, makeStore) => {
  it('keeps an upload across calls and makes it the attachment once it hashes to the name, read back whole and in order', async () => {
    const storage = makeStore();
    // Larger than what the database store reads into memory at once, in the largest chunks a device sends.
    const photo = file(5 * MAX_ATTACHMENT_CHUNK_BYTES + 777);
    expect(await storage.received(photo.uploadId)).toBe(0);

    const fullChunks = [1, 2, 3, 4, 5].map((n) => n * MAX_ATTACHMENT_CHUNK_BYTES);
    expect(await upload(storage, photo.uploadId, photo.bytes, MAX_ATTACHMENT_CHUNK_BYTES)).toEqual([...fullChunks, photo.bytes.byteLength]);
    expect(await storage.exists(photo.sha256)).toBe(false);

    expect(await storage.complete(photo.uploadId, photo.sha256)).toBe(true);
    expect(await storage.exists(photo.sha256)).toBe(true);
    expect(await storage.received(photo.uploadId)).toBe(0);
    const read = new Uint8Array(await buffer(storage.read(photo.sha256)));
    expect([read.byteLength, sha256Hex(read)]).toEqual([photo.bytes.byteLength, photo.sha256]);
  });

  it('keeps nothing of an upload whose bytes do not hash to the name', async () => {
    const storage = makeStore();
    const claimed = file(3000);
    const sent = file(3000);
    await upload(storage, claimed.uploadId, sent.bytes, 1000);

    expect(await storage.complete(claimed.uploadId, claimed.sha256)).toBe(false);
    expect(await storage.received(claimed.uploadId)).toBe(0);
    expect([await storage.exists(claimed.sha256), await storage.exists(sent.sha256)]).toEqual([false, false]);
  });

  it('keeps the copy it holds when the same bytes complete again under another upload, and forgets an attachment on delete', async () => {
    const storage = makeStore();
    const signature = file(2500);
    await upload(storage, signature.uploadId, signature.bytes, 1000);
    await storage.complete(signature.uploadId, signature.sha256);
    // Another organisation proves it holds the bytes, in other chunks.
    const again = { ...signature, uploadId: file(1).uploadId };
    await upload(storage, again.uploadId, again.bytes, 700);

    expect(await storage.complete(again.uploadId, again.sha256)).toBe(true);
    expect(await storage.received(again.uploadId)).toBe(0);
    expect(sha256Hex(new Uint8Array(await buffer(storage.read(signature.sha256))))).toBe(signature.sha256);

    await storage.delete(signature.sha256);
    expect(await storage.exists(signature.sha256)).toBe(false);
  });

  it('keeps whole bytes hashed beforehand as the attachment at once, and the copy it holds when they come again', async () => {
    const storage = makeStore();
    const signature = file(2500);
    await storage.storeVerified(signature.uploadId, signature.sha256, signature.bytes);
    expect(await storage.exists(signature.sha256)).toBe(true);
    expect(await storage.received(signature.uploadId)).toBe(0);

    // Another organisation sends the same bytes whole; so does one that uploaded them in chunks first.
    await storage.storeVerified(file(1).uploadId, signature.sha256, signature.bytes);
    const chunked = file(3000);
    await upload(storage, chunked.uploadId, chunked.bytes, 1000);
    await storage.complete(chunked.uploadId, chunked.sha256);
    await storage.storeVerified(file(1).uploadId, chunked.sha256, chunked.bytes);
    for (const stored of [signature, chunked]) {
      expect(sha256Hex(new Uint8Array(await buffer(storage.read(stored.sha256))))).toBe(stored.sha256);
    }
  });

  it('forgets an upload under way on discard, and starts it afresh', async () => {
    const storage = makeStore();
    const photo = file(2000);
    await upload(storage, photo.uploadId, photo.bytes.subarray(0, 1500), 1000);
    expect(await storage.received(photo.uploadId)).toBe(1500);

    await storage.discard(photo.uploadId);
    expect(await storage.received(photo.uploadId)).toBe(0);
    await upload(storage, photo.uploadId, photo.bytes, 1000);
    expect(await storage.complete(photo.uploadId, photo.sha256)).toBe(true);
  });
});

describe('attachment storage in the database', () => {
  it("writes a chunk in the caller's transaction: when that rolls back the bytes are gone too, and the chunk is taken again at the same offset", async () => {
    const storage = new DatabaseAttachmentStorage(database.db);
    const photo = file(2000);
    await storage.putChunk(photo.uploadId, 0, photo.bytes.subarray(0, 1000));

    const rolledBack = await database.db
      .transaction(async (tx) => {
        expect(await storage.putChunk(photo.uploadId, 1000, photo.bytes.subarray(1000), tx)).toBe(2000);
        expect(await storage.received(photo.uploadId, tx)).toBe(2000);
        throw new Error('the attachment row could not be updated');
      })
      .catch((error: Error) => error.message);

    expect(rolledBack).toBe('the attachment row could not be updated');
    expect(await storage.received(photo.uploadId)).toBe(1000);
    await storage.putChunk(photo.uploadId, 1000, photo.bytes.subarray(1000));
    expect(await storage.complete(photo.uploadId, photo.sha256)).toBe(true);
  });

  it('refuses a chunk that would leave a gap in an upload or overlap what it holds', async () => {
    const storage = new DatabaseAttachmentStorage(database.db);
    const photo = file(3000);
    await storage.putChunk(photo.uploadId, 0, photo.bytes.subarray(0, 1000));

    await expect(storage.putChunk(photo.uploadId, 2000, photo.bytes.subarray(2000))).rejects.toThrow(/holds 1000 bytes/);
    await expect(storage.putChunk(photo.uploadId, 500, photo.bytes.subarray(500))).rejects.toThrow(/holds 1000 bytes/);
    expect(await storage.received(photo.uploadId)).toBe(1000);
  });
});
