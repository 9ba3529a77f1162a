import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { and, asc, desc, eq, gte, lt, sql } from 'drizzle-orm';
import type { OfficeDb } from '../db/connect.js';
import { attachmentChunks as chunks } from '../db/schema.js';
import type { AttachmentStorage } from './storage.js';

/**
 * At most this many bytes of an attachment are read into memory at once (plus the chunk that
 * crosses the limit, at most MAX_ATTACHMENT_CHUNK_BYTES), however large the attachment.
 */
const PAGE_BYTES = 4 * 1024 * 1024;

/**
 * Attachment bytes in the office database (`attachment_chunks`), so every office instance on it
 * takes the next chunk of an upload another one started, and serves attachments any of them
 * stored. A chunk is a row under its upload's id; completing renames the upload's rows to the
 * hash in one UPDATE, so the attachment appears whole or not at all, and since the update leaves
 * the bytes column alone Postgres keeps their out-of-line storage rather than writing them again.
 */
export class DatabaseAttachmentStorage implements AttachmentStorage {
  constructor(private readonly db: OfficeDb) {}

  async received(uploadId: string, tx = this.db): Promise<number> {
    const [last] = await tx
      .select({ end: sql<string>`${chunks.byteOffset} + octet_length(${chunks.bytes})`.mapWith(Number) })
      .from(chunks)
      .where(rowsOf(false, uploadId))
      .orderBy(desc(chunks.byteOffset))
      .limit(1);
    return last?.end ?? 0;
  }

  async putChunk(uploadId: string, offset: number, chunk: Uint8Array, tx = this.db): Promise<number> {
    const held = await this.received(uploadId, tx);
    if (offset !== held) throw new Error(`upload ${uploadId} holds ${held} bytes; a chunk at offset ${offset} would leave a gap or overlap them`);
    await tx.insert(chunks).values({ stored: false, name: uploadId, byteOffset: offset, bytes: chunk });
    return offset + chunk.byteLength;
  }

  async complete(uploadId: string, sha256: string, tx = this.db): Promise<boolean> {
    const hash = createHash('sha256');
    for await (const bytes of pages(tx, false, uploadId)) hash.update(bytes);
    if (hash.digest('hex') !== sha256) {
      await this.discard(uploadId, tx);
      return false;
    }
    if (await holds(tx, sha256)) {
      await this.discard(uploadId, tx);
      return true;
    }
    // Another organisation completing the same bytes at this moment makes one of the renames a
    // unique violation; the service runs that transaction again, and it then finds the copy.
    await tx.update(chunks).set({ stored: true, name: sha256 }).where(rowsOf(false, uploadId));
    return true;
  }

  async storeVerified(_uploadId: string, sha256: string, bytes: Uint8Array, tx = this.db): Promise<void> {
    // Every copy begins at offset 0, so a copy already held is a conflict there, and is kept.
    await tx.insert(chunks).values({ stored: true, name: sha256, byteOffset: 0, bytes }).onConflictDoNothing();
  }

  async discard(uploadId: string, tx = this.db): Promise<void> {
    await tx.delete(chunks).where(rowsOf(false, uploadId));
  }

  exists(sha256: string): Promise<boolean> {
    return holds(this.db, sha256);
  }

  read(sha256: string): Readable {
    return Readable.from(pages(this.db, true, sha256), { objectMode: false });
  }

  async delete(sha256: string): Promise<void> {
    await this.db.delete(chunks).where(rowsOf(true, sha256));
  }
}

function rowsOf(stored: boolean, name: string) {
  return and(eq(chunks.stored, stored), eq(chunks.name, name));
}

async function holds(db: OfficeDb, sha256: string): Promise<boolean> {
  const found = await db.select({ name: chunks.name }).from(chunks).where(rowsOf(true, sha256)).limit(1);
  return found.length > 0;
}

/** The bytes under a name in order, a page of rows per query. */
async function* pages(db: OfficeDb, stored: boolean, name: string): AsyncGenerator<Uint8Array> {
  for (let from = 0; ; ) {
    const rows = await db
      .select({ byteOffset: chunks.byteOffset, bytes: chunks.bytes })
      .from(chunks)
      .where(and(rowsOf(stored, name), gte(chunks.byteOffset, from), lt(chunks.byteOffset, from + PAGE_BYTES)))
      .orderBy(asc(chunks.byteOffset));
    const last = rows.at(-1);
    if (!last) return;
    for (const row of rows) yield row.bytes;
    from = last.byteOffset + last.bytes.byteLength;
  }
}
