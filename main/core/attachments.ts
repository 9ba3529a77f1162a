import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { sha256Hex } from '../../protocol/crypto/hash.js';
import {
  ATTACHMENT_MIME_TYPES,
  type AttachmentMimeType,
  attachmentFields,
  attachmentsHeldBy,
  attachmentsNamedBy,
  type FieldOperation,
  MAX_ATTACHMENT_BYTES,
  RECORD_TYPE_NAMES,
  RECORD_TYPES,
  recordTypeSpec,
  type RecordTypeSpec,
  sniffImageType,
} from '../../protocol/index.js';
import type { DeviceDb, Sqlite } from '../../db/open.js';
import {
  deleteAttachment,
  findAttachment,
  insertAttachment,
  listAcknowledgedBy,
  listAttachmentHashes,
  listUnacknowledgedRecordBodies,
  listUnsyncedRecordFields,
} from '../../db/queries/attachments.js';
import { inTransaction } from '../../db/queries/statements.js';
import { CoreError } from './errors.js';
import type { Clock, Randomness } from './ports.js';
import { writeFileDurably } from './durable-file.js';

/**
 * The device's attachment store: photos and signatures as files named by the SHA-256 of their
 * bytes, next to the device database, encrypted at rest. A file is durably in place (written to a
 * temporary name, flushed, renamed, directory flushed) before its row is inserted, so a row always
 * names a complete file and a crash leaves at most an unnamed leftover that garbage collection
 * removes. Files stay until the office has acknowledged them, a grace window has passed and
 * nothing that has not reached the office still refers to them.
 */
export const ATTACHMENT_GRACE_MS = 24 * 60 * 60 * 1000;

/** HKDF info: the attachment key is used for nothing else, and the database key never encrypts files directly. */
const KEY_INFO = 'waypost/device-attachments/aes-256-gcm/v1';
const FORMAT = Buffer.from('WPA1', 'ascii');
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = FORMAT.length + NONCE_BYTES;
const TEMP_MARKER = '.tmp-';
const HASH_NAME = /^[0-9a-f]{64}$/;

export interface StoredAttachment {
  sha256: string;
  size: number;
}

export interface AttachmentContent {
  mimeType: AttachmentMimeType;
  data: Uint8Array;
}

export interface Reconciliation {
  /** Temporary files of interrupted puts, removed. */
  leftovers: number;
  /** Intact files no row named (a put interrupted after its rename, a rebuilt database): their rows are back. */
  adopted: string[];
  /** Files no row names that do not decrypt to their name: kept as they are, never served. */
  unreadable: string[];
}

export interface GarbageCollection extends Reconciliation {
  /** Attachments whose files and rows were removed. */
  deleted: string[];
}

export interface AttachmentStoreOptions {
  db: DeviceDb;
  sqlite: Sqlite;
  /** The device database file: attachments live in `attachments/` beside it. */
  databasePath: string;
  /** The key store's database key; the file key is derived from it. */
  databaseKey: Uint8Array;
  clock: Clock;
  random: Randomness;
}

export function attachmentDirectory(databasePath: string): string {
  return join(dirname(databasePath), 'attachments');
}

export function deriveAttachmentKey(databaseKey: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', databaseKey, Buffer.alloc(0), KEY_INFO, 32));
}

export function isAttachmentMimeType(value: string): value is AttachmentMimeType {
  return (ATTACHMENT_MIME_TYPES as readonly string[]).includes(value);
}

export class AttachmentStore {
  readonly directory: string;
  readonly #db: DeviceDb;
  readonly #sqlite: Sqlite;
  readonly #key: Buffer;
  readonly #clock: Clock;
  readonly #random: Randomness;

  constructor(options: AttachmentStoreOptions) {
    this.directory = attachmentDirectory(options.databasePath);
    this.#db = options.db;
    this.#sqlite = options.sqlite;
    this.#key = deriveAttachmentKey(options.databaseKey);
    this.#clock = options.clock;
    this.#random = options.random;
  }

  /** Stores the bytes (once: the same bytes again are the same attachment) and names them by their hash. */
  put(mimeType: AttachmentMimeType, data: Uint8Array): StoredAttachment {
    checkContent(mimeType, data);
    const sha256 = sha256Hex(data);
    const existing = findAttachment(this.#db, sha256);
    if (existing && existsSync(this.#path(sha256))) return { sha256, size: existing.size };
    this.#writeFile(sha256, this.#encrypt(sha256, data));
    try {
      insertAttachment(this.#db, { sha256, size: data.byteLength, mimeType, createdAt: this.#clock.now() });
    } catch (error) {
      throw fileError(error, 'the attachment was not saved');
    }
    return { sha256, size: data.byteLength };
  }

  has(sha256: string): boolean {
    return findAttachment(this.#db, sha256) !== null;
  }

  /** The attachment's bytes, only after both the cipher's tag and the hash matched. */
  read(sha256: string): AttachmentContent {
    const row = findAttachment(this.#db, sha256);
    if (!row) throw new CoreError('unknown-attachment', `no attachment ${sha256} on this device`);
    let file: Buffer;
    try {
      file = readFileSync(this.#path(sha256));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw damaged(sha256, 'its file is missing');
      throw fileError(error, 'the attachment could not be read');
    }
    const data = this.#decrypt(sha256, file);
    if (data.byteLength !== row.size || sha256Hex(data) !== sha256) throw damaged(sha256, 'its bytes do not match its name');
    if (!isAttachmentMimeType(row.mimeType)) throw damaged(sha256, `its recorded type ${row.mimeType} is not an image type`);
    return { mimeType: row.mimeType, data };
  }

  /**
   * Deletes the files the device no longer needs: acknowledged by the office at least the grace
   * window ago, and named by no journal entry the office has not acknowledged and no record that
   * is not in sync. Then reconciles the directory with the table (see `reconcile`).
   */
  collectGarbage(): GarbageCollection {
    const cutoff = this.#clock.now() - ATTACHMENT_GRACE_MS;
    const deleted = inTransaction(this.#sqlite, () => {
      const candidates = listAcknowledgedBy(this.#db, cutoff);
      if (candidates.length === 0) return [];
      const referenced = referencedAttachments(this.#db);
      const collectable = candidates.map((row) => row.sha256).filter((sha256) => !referenced.has(sha256));
      for (const sha256 of collectable) deleteAttachment(this.#db, sha256);
      return collectable;
    });
    // Rows go first: a crash before the files are removed leaves files without rows, which
    // reconcile adopts again (to be acknowledged and collected anew), never a row without its file.
    for (const sha256 of deleted) rmSync(this.#path(sha256), { force: true });
    return { deleted, ...this.reconcile() };
  }

  /**
   * Brings the table in line with the files: temporary files of interrupted puts are removed, and
   * a file no row names is never deleted for it, since it may be the only copy of a photo a
   * journal entry names (a database rebuilt by recovery has no attachment rows); if it decrypts to
   * its name it gets its row back.
   */
  reconcile(): Reconciliation {
    let names: string[];
    try {
      names = readdirSync(this.directory).sort();
    } catch {
      return { leftovers: 0, adopted: [], unreadable: [] };
    }
    const temporary = names.filter((name) => name.includes(TEMP_MARKER));
    for (const name of temporary) rmSync(join(this.directory, name), { force: true });
    const known = listAttachmentHashes(this.#db);
    const adopted: string[] = [];
    const unreadable: string[] = [];
    for (const sha256 of names.filter((name) => HASH_NAME.test(name) && !known.has(name))) {
      const data = this.#readVerified(sha256);
      const mimeType = data && sniffImageType(data);
      if (!data || !mimeType) {
        unreadable.push(sha256);
        continue;
      }
      insertAttachment(this.#db, { sha256, size: data.byteLength, mimeType, createdAt: this.#clock.now() });
      adopted.push(sha256);
    }
    return { leftovers: temporary.length, adopted, unreadable };
  }

  /** Forgets the file key (the database key stays with the key store). */
  close(): void {
    this.#key.fill(0);
  }

  #path(sha256: string): string {
    return join(this.directory, sha256);
  }

  #encrypt(sha256: string, data: Uint8Array): Buffer {
    const nonce = Buffer.from(this.#random.bytes(NONCE_BYTES));
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(sha256, 'ascii'));
    return Buffer.concat([FORMAT, nonce, cipher.update(data), cipher.final(), cipher.getAuthTag()]);
  }

  #decrypt(sha256: string, file: Buffer): Uint8Array {
    if (file.length < HEADER_BYTES + TAG_BYTES || !file.subarray(0, FORMAT.length).equals(FORMAT)) {
      throw damaged(sha256, 'its file is not an attachment file of this app');
    }
    const nonce = file.subarray(FORMAT.length, HEADER_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.#key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(sha256, 'ascii'));
    decipher.setAuthTag(file.subarray(file.length - TAG_BYTES));
    try {
      return new Uint8Array(Buffer.concat([decipher.update(file.subarray(HEADER_BYTES, file.length - TAG_BYTES)), decipher.final()]));
    } catch {
      throw damaged(sha256, 'its file was altered or corrupted');
    }
  }

  #writeFile(sha256: string, contents: Buffer): void {
    const temp = this.#path(`${sha256}${TEMP_MARKER}${Buffer.from(this.#random.bytes(6)).toString('hex')}`);
    try {
      writeFileDurably(this.#path(sha256), contents, temp);
    } catch (error) {
      throw fileError(error, 'the attachment was not saved');
    }
  }

  /** The file's bytes when it decrypts and hashes to its name, else null. */
  #readVerified(sha256: string): Uint8Array | null {
    try {
      const data = this.#decrypt(sha256, readFileSync(this.#path(sha256)));
      return sha256Hex(data) === sha256 ? data : null;
    } catch {
      return null;
    }
  }
}

/** Refuses an action that puts into a record an attachment this device does not hold; call inside the action's transaction. */
export function requireStoredAttachments(db: DeviceDb, spec: RecordTypeSpec, ops: readonly FieldOperation[]): void {
  for (const { field, sha256 } of attachmentsNamedBy(spec, ops)) {
    if (!findAttachment(db, sha256)) throw new CoreError('unknown-attachment', `${field}: attachment ${sha256} is not on this device; attach the file first`, field);
  }
}

/** Every attachment something not yet at the office refers to. */
function referencedAttachments(db: DeviceDb): Set<string> {
  const referenced = new Set<string>();
  for (const body of listUnacknowledgedRecordBodies(db)) {
    const spec = recordTypeSpec(body.recordType);
    for (const { sha256 } of spec ? attachmentsNamedBy(spec, body.ops) : []) referenced.add(sha256);
  }
  for (const type of RECORD_TYPE_NAMES) {
    const spec = RECORD_TYPES[type];
    const fields = attachmentFields(spec);
    if (fields.length === 0) continue;
    for (const values of listUnsyncedRecordFields(db, type, fields.map((field) => field.name))) {
      for (const sha256 of attachmentsHeldBy(spec, values)) referenced.add(sha256);
    }
  }
  return referenced;
}

const IMAGE_KINDS: Record<AttachmentMimeType, string> = { 'image/png': 'PNG', 'image/jpeg': 'JPEG', 'image/webp': 'WebP' };

function checkContent(mimeType: AttachmentMimeType, data: Uint8Array): void {
  if (data.byteLength === 0) throw new CoreError('invalid-input', 'the attachment is empty');
  if (data.byteLength > MAX_ATTACHMENT_BYTES) {
    throw new CoreError('attachment-too-large', `an attachment may have at most ${MAX_ATTACHMENT_BYTES / (1024 * 1024)} MB; this one has ${(data.byteLength / (1024 * 1024)).toFixed(1)} MB`);
  }
  const actual = sniffImageType(data);
  if (actual !== mimeType) {
    // Worded for the person who picked the file: its name promised one kind of image.
    const kind = (type: AttachmentMimeType) => IMAGE_KINDS[type];
    throw new CoreError('invalid-input', actual ? `it is a ${kind(actual)} image named as a ${kind(mimeType)}` : 'its contents are not a PNG, JPEG or WebP photo');
  }
}

function damaged(sha256: string, why: string): CoreError {
  return new CoreError('attachment-damaged', `attachment ${sha256} cannot be shown: ${why}`);
}

function fileError(error: unknown, consequence: string): unknown {
  if (error instanceof CoreError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'SQLITE_FULL') return new CoreError('storage-full', `the disk is full: ${consequence}`);
  if (code === 'EIO' || code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code?.startsWith('SQLITE_IOERR')) {
    return new CoreError('storage-failed', `the device storage failed (${code}): ${consequence}`);
  }
  return error;
}
