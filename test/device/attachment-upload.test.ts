import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTACHMENT_GRACE_MS } from '../../main/core/attachments.js';
import { networkError, SyncError } from '../../main/core/sync/errors.js';
import { readEnrollment } from '../../main/core/sync/state.js';
import type { BinaryTransport, EventStream, EventStreamHandlers, SyncTransport, TransportResponse } from '../../main/core/sync/transport.js';
import { sha256Hex } from '../../protocol/crypto/hash.js';
import {
  CURRENT_SCHEMA_VERSION,
  MAX_ATTACHMENT_BATCH_INLINE_BYTES,
  MAX_INLINE_ATTACHMENT_BYTES,
  SCHEMA_VERSION_HEADER,
  UPLOAD_OFFSET_HEADER,
} from '../../protocol/wire.js';
import { DeviceSync } from '../../main/core/sync/device-sync.js';
import { syncStatusView } from '../../main/ipc/sync-views.js';
import { INSPECTOR, SeededRandomness } from '../support/device.js';
import { FakeTimers } from '../sync/support/timers.js';
import { type FieldDevice, SyncWorld } from '../sync/support/world.js';

/**
 * Attachments going up to the real office server over HTTP: signatures whole, many to a request;
 * photos declared in the same request, then chunk by chunk from the offset the office reports,
 * through a cut connection and a lost answer, until the office confirms the hash; then the
 * device's copy is kept for the grace window and collected.
 */
const CHUNK = 64 * 1024;
const BATCH = '/v1/attachments/batch';
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** A photo-sized PNG-typed file of seeded random bytes (incompressible, so every chunk is full). */
function photoBytes(label: string, size: number): Uint8Array {
  const bytes = new SeededRandomness(`upload:${label}`).bytes(size);
  bytes.set(PNG_SIGNATURE);
  return bytes;
}

/** What happens to each next chunk, in order; chunks beyond the queue go through. */
type Fault = 'deliver' | 'cut-mid-body' | 'lose-answer';

/**
 * The real HTTP transport with faults on attachment chunks, recording every attachment request
 * (how many attachments each batch carried, the offset of each chunk).
 */
class FaultyUploads implements SyncTransport, BinaryTransport {
  readonly chunkOffsets: number[] = [];
  readonly batchSizes: number[] = [];
  readonly faults: Fault[] = [];

  constructor(
    private readonly inner: SyncTransport & BinaryTransport,
    private readonly baseUrl: string,
  ) {}

  /** Attachment requests so far: a batch as `batch`, a chunk as its offset. */
  get attachmentRequests(): number {
    return this.batchSizes.length + this.chunkOffsets.length;
  }

  post(path: string, body: unknown, headers: Record<string, string>): Promise<TransportResponse> {
    if (path === BATCH) this.batchSizes.push((body as { attachments: unknown[] }).attachments.length);
    return this.inner.post(path, body, headers);
  }

  async patch(path: string, bytes: Uint8Array, headers: Record<string, string>): Promise<TransportResponse> {
    this.chunkOffsets.push(Number(headers[UPLOAD_OFFSET_HEADER]));
    const fault = this.faults.shift();
    if (fault === 'cut-mid-body') {
      await this.#cutHalfway(path, bytes, headers);
      throw networkError(new Error('connection lost halfway through the chunk'));
    }
    const response = await this.inner.patch(path, bytes, headers);
    if (fault === 'lose-answer') throw networkError(new Error('the answer was lost'));
    return response;
  }

  events(path: string, headers: Record<string, string>, handlers: EventStreamHandlers): EventStream {
    return this.inner.events(path, headers, handlers);
  }

  /** Sends the headers and half the body of the chunk, then drops the connection, as a dead zone would. */
  #cutHalfway(path: string, bytes: Uint8Array, headers: Record<string, string>): Promise<void> {
    return new Promise((resolve) => {
      const request = httpRequest(new URL(path, this.baseUrl), {
        method: 'PATCH',
        headers: { ...headers, 'content-type': 'application/octet-stream', 'content-length': String(bytes.byteLength) },
      });
      request.on('error', () => resolve());
      request.on('close', () => resolve());
      request.write(bytes.subarray(0, bytes.byteLength / 2), () => setTimeout(() => request.destroy(), 50));
    });
  }
}

let world: SyncWorld;

beforeAll(async () => {
  world = await SyncWorld.start();
});
afterAll(async () => world?.close());

async function enrolledCab(name: string): Promise<{ cab: FieldDevice; transport: FaultyUploads }> {
  let transport!: FaultyUploads;
  const cab = await world.addDevice(name, {
    transport: (http) => (transport = new FaultyUploads(http as SyncTransport & BinaryTransport, world.server.url)),
  });
  cab.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
  return { cab, transport };
}

const officeStatus = async (device: FieldDevice, sha256: string) => {
  const response = await fetch(`${world.server.url}/v1/attachments/${sha256}`, {
    headers: { authorization: `Bearer ${readEnrollment(device.core.database.db)!.credential}`, [SCHEMA_VERSION_HEADER]: String(CURRENT_SCHEMA_VERSION) },
  });
  return { status: response.status, body: (await response.json()) as { received?: number; stored?: boolean } };
};

const localRow = (device: FieldDevice, sha256: string) =>
  device.core.database.sqlite.prepare('SELECT state, uploaded_bytes AS uploadedBytes, acknowledged_at AS acknowledgedAt FROM attachments WHERE sha256 = ?').get(sha256);

async function rejection(attempt: Promise<unknown>): Promise<unknown> {
  return attempt.then(
    () => null,
    (thrown: unknown) => thrown,
  );
}

describe('uploading attachments to the office', () => {
  it('resumes a cut upload at the offset the office reports, not where the device last heard, and marks it stored once the hash is confirmed', async () => {
    const { cab, transport } = await enrolledCab('cab-upload');
    const photo = photoBytes('brake', 3 * CHUNK + 1234);
    const { sha256 } = cab.core.putAttachment('image/png', photo);
    cab.core.perform({
      recordType: 'inspection',
      action: 'create',
      ops: [
        { op: 'set', field: 'templateId', value: 'dvir-power-unit' },
        { op: 'set', field: 'equipmentNumber', value: 'TRK-7' },
        { op: 'add', field: 'photos', member: sha256 },
      ],
    });
    await cab.client.push();

    // First pass: one chunk goes through, the next is cut halfway in a dead zone.
    transport.faults.push('deliver', 'cut-mid-body');
    const cut = await rejection(cab.core.uploadAttachments(transport, { chunkBytes: CHUNK }));
    expect(cut).toBeInstanceOf(SyncError);
    expect((cut as SyncError).code).toBe('network');
    expect(localRow(cab, sha256)).toEqual({ state: 'uploading', uploadedBytes: CHUNK, acknowledgedAt: null });
    // The office kept the whole first chunk and nothing of the cut one.
    expect((await officeStatus(cab, sha256)).body).toMatchObject({ received: CHUNK, stored: false });

    // Second pass: the chunk reaches the office but its answer is lost, so the device still thinks CHUNK.
    transport.faults.push('lose-answer');
    expect(await rejection(cab.core.uploadAttachments(transport, { chunkBytes: CHUNK }))).toMatchObject({ code: 'network' });
    expect(localRow(cab, sha256)).toMatchObject({ uploadedBytes: CHUNK });
    expect((await officeStatus(cab, sha256)).body).toMatchObject({ received: 2 * CHUNK });

    // Third pass: asks first, continues at 2 × CHUNK (no chunk sent twice, no offset refused).
    expect(await cab.core.uploadAttachments(transport, { chunkBytes: CHUNK })).toEqual({ stored: [sha256], deferred: [] });
    expect(transport.chunkOffsets).toEqual([0, CHUNK, CHUNK, 2 * CHUNK, 3 * CHUNK]);
    expect(transport.batchSizes).toEqual([1, 1, 1]);
    expect(localRow(cab, sha256)).toEqual({ state: 'stored', uploadedBytes: photo.byteLength, acknowledgedAt: world.clock.now() });

    // The office holds exactly the device's bytes.
    const content = await fetch(`${world.server.url}/v1/attachments/${sha256}/content`, {
      headers: { authorization: `Bearer ${readEnrollment(cab.core.database.db)!.credential}`, [SCHEMA_VERSION_HEADER]: String(CURRENT_SCHEMA_VERSION) },
    });
    expect(content.status).toBe(200);
    expect(sha256Hex(new Uint8Array(await content.arrayBuffer()))).toBe(sha256);

    // Nothing left to send: a further pass sends nothing at all.
    expect(await cab.core.uploadAttachments(transport, { chunkBytes: CHUNK })).toEqual({ stored: [], deferred: [] });
    expect(transport.attachmentRequests).toBe(8);

    // The device keeps its copy for the grace window once the record is in sync, then collects it.
    await cab.client.sync();
    world.clock.advance(ATTACHMENT_GRACE_MS - 1);
    expect(cab.core.collectAttachmentGarbage().deleted).toEqual([]);
    world.clock.advance(1);
    expect(cab.core.collectAttachmentGarbage().deleted).toEqual([sha256]);
  });

  it('sends nothing for a photo the organisation already holds', async () => {
    const first = await enrolledCab('cab-dedup-1');
    const second = await enrolledCab('cab-dedup-2');
    const photo = photoBytes('shared', CHUNK + 10);
    const { sha256 } = first.cab.core.putAttachment('image/png', photo);
    expect(await first.cab.core.uploadAttachments(first.transport, { chunkBytes: CHUNK })).toEqual({ stored: [sha256], deferred: [] });

    second.cab.core.putAttachment('image/png', photo);
    expect(await second.cab.core.uploadAttachments(second.transport, { chunkBytes: CHUNK })).toEqual({ stored: [sha256], deferred: [] });
    expect([second.transport.batchSizes, second.transport.chunkOffsets]).toEqual([[1], []]);
    expect(localRow(second.cab, sha256)).toMatchObject({ state: 'stored' });
  });

  it("sends thirty signatures whole and a photo's declaration in one request, then only the photo's chunks", async () => {
    const { cab, transport } = await enrolledCab('cab-batch');
    const signatures = Array.from({ length: 30 }, (_, i) => cab.core.putAttachment('image/png', photoBytes(`signature-${i}`, 3000 + i)).sha256);
    const photo = cab.core.putAttachment('image/png', photoBytes('batch-photo', 2 * CHUNK)).sha256;

    const summary = await cab.core.uploadAttachments(transport, { chunkBytes: CHUNK });
    expect(summary.deferred).toEqual([]);
    expect(new Set(summary.stored)).toEqual(new Set([...signatures, photo]));
    // Three requests for thirty-one attachments: the batch, then the photo's two chunks.
    expect([transport.batchSizes, transport.chunkOffsets]).toEqual([[31], [0, CHUNK]]);
    for (const sha256 of [...signatures, photo]) {
      expect((await officeStatus(cab, sha256)).body).toMatchObject({ stored: true });
      expect(localRow(cab, sha256)).toMatchObject({ state: 'stored', acknowledgedAt: world.clock.now() });
    }
    const content = await fetch(`${world.server.url}/v1/attachments/${signatures[7]}/content`, {
      headers: { authorization: `Bearer ${readEnrollment(cab.core.database.db)!.credential}`, [SCHEMA_VERSION_HEADER]: String(CURRENT_SCHEMA_VERSION) },
    });
    expect(sha256Hex(new Uint8Array(await content.arrayBuffer()))).toBe(signatures[7]);
  });

  it("splits whole attachments over batches that stay within the office's byte limit", async () => {
    const { cab, transport } = await enrolledCab('cab-batch-bytes');
    // Eight of the largest attachments that go whole fill a batch; the ninth takes another.
    const sha256s = Array.from({ length: 9 }, (_, i) => cab.core.putAttachment('image/png', photoBytes(`large-signature-${i}`, MAX_INLINE_ATTACHMENT_BYTES - 1)).sha256);
    expect(8 * (MAX_INLINE_ATTACHMENT_BYTES - 1)).toBeLessThanOrEqual(MAX_ATTACHMENT_BATCH_INLINE_BYTES);

    const summary = await cab.core.uploadAttachments(transport, { chunkBytes: CHUNK });
    expect(new Set(summary.stored)).toEqual(new Set(sha256s));
    expect([transport.batchSizes, transport.chunkOffsets]).toEqual([[8, 1], []]);
  });

  it('defers an attachment whose local file is damaged and still sends the others', async () => {
    const { cab, transport } = await enrolledCab('cab-damaged');
    const damaged = cab.core.putAttachment('image/png', photoBytes('damaged', 5000)).sha256;
    const intact = cab.core.putAttachment('image/png', photoBytes('intact', 5000)).sha256;
    const file = join(cab.core.attachments.directory, damaged);
    const bytes = readFileSync(file);
    bytes[30]! ^= 0xff;
    writeFileSync(file, bytes);

    const summary = await cab.core.uploadAttachments(transport, { chunkBytes: CHUNK });
    expect(summary.stored).toEqual([intact]);
    expect(summary.deferred).toEqual([{ sha256: damaged, code: 'attachment-damaged', reason: expect.stringMatching(/altered or corrupted/) }]);
    expect(transport.batchSizes).toEqual([1]);
    expect(localRow(cab, damaged)).toMatchObject({ state: 'local', acknowledgedAt: null });
    expect((await officeStatus(cab, damaged)).status).toBe(404);

    // The device says so: one waiting, and why, in words an operator can act on.
    expect(cab.core.uploads()).toEqual({
      waiting: 1,
      lastPass: { at: world.clock.now(), stored: 1, deferred: [{ sha256: damaged, code: 'attachment-damaged', message: expect.stringMatching(/altered or corrupted/) }], stoppedBy: null },
    });
    expect(syncStatusView(cab.core, null).uploads).toEqual({
      waiting: 1,
      problem: 'A photo or signature file on this device is damaged and cannot be sent. Ask your supervisor.',
    });
  });

  it('keeps what stopped an upload pass (the office out of reach) for the sync screen, and clears the problem once all went up', async () => {
    const { cab, transport } = await enrolledCab('cab-upload-offline');
    cab.core.putAttachment('image/png', photoBytes('offline-signature', 4000));
    const cut: SyncTransport & BinaryTransport = {
      post: async () => {
        throw networkError(new Error('connect ECONNREFUSED 127.0.0.1'));
      },
      patch: (path, bytes, headers) => transport.patch(path, bytes, headers),
      events: (path, headers, handlers) => transport.events(path, headers, handlers),
    };
    await expect(cab.core.uploadAttachments(cut, { chunkBytes: CHUNK })).rejects.toMatchObject({ code: 'network' });
    expect(cab.core.uploads()).toMatchObject({ waiting: 1, lastPass: { stored: 0, deferred: [], stoppedBy: { sha256: null, code: 'network' } } });
    expect(syncStatusView(cab.core, null).uploads).toEqual({ waiting: 1, problem: 'The office could not be reached. They go as soon as the connection is back.' });

    await cab.core.uploadAttachments(transport, { chunkBytes: CHUNK });
    expect(cab.core.uploads()).toMatchObject({ waiting: 0, lastPass: { stored: 1, stoppedBy: null } });
    expect(syncStatusView(cab.core, null).uploads).toEqual({ waiting: 0, problem: null });
  });

  it('goes up with the app\'s sync: once the sync it follows is over, the office holds the signed inspection\'s photo, and it leaves the device after the grace window', async () => {
    const { cab, transport } = await enrolledCab('cab-daemon');
    const { sha256 } = cab.core.putAttachment('image/png', photoBytes('daemon', 2 * CHUNK));
    cab.core.perform({
      recordType: 'inspection',
      action: 'create',
      ops: [
        { op: 'set', field: 'templateId', value: 'dvir-power-unit' },
        { op: 'set', field: 'equipmentNumber', value: 'TRK-9' },
        { op: 'add', field: 'photos', member: sha256 },
      ],
    });
    const sync = new DeviceSync(cab.core, { transport, clock: world.clock, random: new SeededRandomness('upload-daemon'), timers: new FakeTimers(world.clock) });
    try {
      const status = await sync.syncNow();
      expect(status).toMatchObject({ pending: 0, lastError: null });
      await sync.whenIdle();
      expect((await officeStatus(cab, sha256)).body).toMatchObject({ stored: true });
      expect(localRow(cab, sha256)).toMatchObject({ state: 'stored' });

      world.clock.advance(ATTACHMENT_GRACE_MS + 1);
      await sync.syncNow();
      await sync.whenIdle();
      expect(() => cab.core.readAttachment(sha256)).toThrow(/attachment/);
    } finally {
      sync.stop();
    }
  });
});

