import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { OfficeDb } from '../db/connect.js';

/**
 * Where attachment bytes live, behind a small interface so a deployment can put them elsewhere
 * without touching the upload protocol: on local disk (one office instance, or a directory every
 * instance mounts) or in the office database (database-storage.ts). Bytes arrive in chunks into an
 * upload's temporary object; only `complete` with the right SHA-256 makes them an attachment, under
 * its hash, so a reader never sees partial or unverified bytes.
 *
 * Calls that change an upload are made inside the transaction holding the attachment's row lock,
 * and are given it as `tx`: a store in that same database writes with it, so the bytes commit, or
 * roll back and are sent again, together with the row describing them (and a request never waits
 * for a second pooled connection while holding one). A store elsewhere ignores it.
 */
export interface AttachmentStorage {
  /** Bytes an upload holds so far (0 when it has none). */
  received(uploadId: string, tx?: OfficeDb): Promise<number>;
  /** Appends `chunk` to an upload holding `offset` bytes (what `received` answered), durably; returns the bytes held. */
  putChunk(uploadId: string, offset: number, chunk: Uint8Array, tx?: OfficeDb): Promise<number>;
  /**
   * Hashes the upload. When the hash is `sha256` the bytes become that attachment (an existing
   * copy is kept) and the result is true; otherwise the upload is discarded and the result is false.
   */
  complete(uploadId: string, sha256: string, tx?: OfficeDb): Promise<boolean>;
  /**
   * Keeps whole bytes that the caller has hashed to `sha256` as that attachment at once (an
   * existing copy is kept); `uploadId` names what a store needs on the way.
   */
  storeVerified(uploadId: string, sha256: string, bytes: Uint8Array, tx?: OfficeDb): Promise<void>;
  /** Forgets an upload's bytes. */
  discard(uploadId: string, tx?: OfficeDb): Promise<void>;
  exists(sha256: string): Promise<boolean>;
  read(sha256: string): Readable;
  delete(sha256: string): Promise<void>;
}

const NAME = /^[0-9a-f]{64}$/;

/**
 * Local disk: `objects/ab/<sha256>` for attachments, `uploads/<id>.part` for uploads under way.
 * An upload becomes an attachment by rename, on the same file system, so it appears whole or not at all.
 */
export class DiskAttachmentStorage implements AttachmentStorage {
  readonly #objects: string;
  readonly #uploads: string;

  constructor(readonly root: string) {
    this.#objects = join(root, 'objects');
    this.#uploads = join(root, 'uploads');
  }

  async received(uploadId: string): Promise<number> {
    return (await sizeOf(this.#uploadPath(uploadId))) ?? 0;
  }

  async putChunk(uploadId: string, offset: number, chunk: Uint8Array): Promise<number> {
    await mkdir(this.#uploads, { recursive: true });
    // A first chunk starts the file afresh; later ones must find the bytes before them.
    const file = await open(this.#uploadPath(uploadId), offset === 0 ? 'w' : 'r+');
    try {
      await file.write(chunk, 0, chunk.byteLength, offset);
      await file.truncate(offset + chunk.byteLength);
      await file.sync();
    } finally {
      await file.close();
    }
    return offset + chunk.byteLength;
  }

  async complete(uploadId: string, sha256: string): Promise<boolean> {
    const upload = this.#uploadPath(uploadId);
    const hash = createHash('sha256');
    for await (const block of createReadStream(upload)) hash.update(block as Buffer);
    if (hash.digest('hex') !== sha256) {
      await this.discard(uploadId);
      return false;
    }
    await this.#adopt(uploadId, sha256);
    return true;
  }

  async storeVerified(uploadId: string, sha256: string, bytes: Uint8Array): Promise<void> {
    if (await this.exists(sha256)) return;
    await this.putChunk(uploadId, 0, bytes);
    await this.#adopt(uploadId, sha256);
  }

  async discard(uploadId: string): Promise<void> {
    await rm(this.#uploadPath(uploadId), { force: true });
  }

  async exists(sha256: string): Promise<boolean> {
    return (await sizeOf(this.#objectPath(sha256))) !== null;
  }

  read(sha256: string): Readable {
    return createReadStream(this.#objectPath(sha256));
  }

  async delete(sha256: string): Promise<void> {
    await rm(this.#objectPath(sha256), { force: true });
  }

  /** The upload becomes the attachment, unless a copy is already there. */
  async #adopt(uploadId: string, sha256: string): Promise<void> {
    if (await this.exists(sha256)) {
      await this.discard(uploadId);
      return;
    }
    await mkdir(join(this.#objects, sha256.slice(0, 2)), { recursive: true });
    await rename(this.#uploadPath(uploadId), this.#objectPath(sha256));
  }

  #objectPath(sha256: string): string {
    if (!NAME.test(sha256)) throw new Error('an attachment is named by its lowercase hex SHA-256');
    return join(this.#objects, sha256.slice(0, 2), sha256);
  }

  #uploadPath(uploadId: string): string {
    if (!NAME.test(uploadId)) throw new Error('an upload id is 32 bytes of lowercase hex');
    return join(this.#uploads, `${uploadId}.part`);
  }
}

async function sizeOf(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
