import { describe, expect, it } from 'vitest';
import type { AttachmentUploadOptions, UploadSummary } from '../../main/core/sync/attachment-upload.js';
import type { SyncClientOptions, SyncReport } from '../../main/core/sync/client.js';
import { DeviceSync } from '../../main/core/sync/device-sync.js';
import { SyncError } from '../../main/core/sync/errors.js';
import type { PushBatchReport } from '../../main/core/sync/push.js';
import type { BinaryTransport, SyncTransport } from '../../main/core/sync/transport.js';
import { ManualClock, SeededRandomness } from '../support/device.js';
import { Held, ScriptedSyncClient } from './support/scripted-client.js';
import { FakeTimers } from './support/timers.js';

/**
 * Photos and signatures go up beside the app's syncs, not inside them: once a sync's push is in,
 * its pull and the syncs after it never wait for an upload on a slow link. Everything here is in-process on a
 * manual clock: the sync client is scripted, and each upload pass answers when the test says.
 */

/** Upload passes of a device core as the test scripts them, counting how many ran and how many overlapped. */
class ScriptedUploads {
  passes = 0;
  maxInFlight = 0;
  garbageCollections = 0;
  readonly signals: AbortSignal[] = [];
  #inFlight = 0;
  readonly #script: (Held | Error)[] = [];

  /** The next pass waits for the test; returns its handle. */
  hold(): Held {
    const held = new Held();
    this.#script.push(held);
    return held;
  }

  /** The next pass fails with `error`. */
  fail(error: Error): void {
    this.#script.push(error);
  }

  async upload(_transport: unknown, options: Pick<AttachmentUploadOptions, 'signal'> = {}): Promise<UploadSummary> {
    this.passes++;
    this.signals.push(options.signal!);
    this.maxInFlight = Math.max(this.maxInFlight, ++this.#inFlight);
    try {
      const next = this.#script.shift();
      if (next instanceof Error) throw next;
      if (next) {
        next.begin();
        await next.answer;
      }
      return { stored: [], deferred: [] };
    } finally {
      this.#inFlight--;
    }
  }
}

/** The scripted client whose sync tells its push batch (all sent, acknowledged) before the scripted part, its pull. */
class PushingClient extends ScriptedSyncClient {
  onBatch: ((report: PushBatchReport) => void) | undefined;

  override async sync(): Promise<SyncReport> {
    this.pending = 0;
    this.onBatch?.({ sent: 1, acknowledged: [1], failed: [], notAcknowledged: [], conflicts: 0, receipt: {} as PushBatchReport['receipt'], roundTripMs: 40 });
    return super.sync();
  }
}

/** The transport is never reached: the client and the uploads are scripted. It carries files, so the device uploads. */
const transport: SyncTransport & BinaryTransport = {
  post: () => Promise.reject(new Error('not used')),
  patch: () => Promise.reject(new Error('not used')),
  events: () => ({ close: () => undefined }),
};

function deviceSync(clock: ManualClock, timers: FakeTimers) {
  const client = new PushingClient(clock);
  const uploads = new ScriptedUploads();
  const core = {
    syncClient: (_transport: unknown, options?: Pick<SyncClientOptions, 'onBatch'>) => {
      client.onBatch = options?.onBatch;
      return client;
    },
    uploadAttachments: (_transport: unknown, options?: Pick<AttachmentUploadOptions, 'signal'>) => uploads.upload(_transport, options),
    collectAttachmentGarbage: () => {
      uploads.garbageCollections++;
      return { deleted: [], leftovers: 0, adopted: [], unreadable: [] };
    },
    maintain: async () => ({ recordsEvicted: 0, checkpoints: 0 }),
    stateCheckDue: () => false,
    checkState: () => Promise.reject(new Error('not due')),
  };
  const sync = new DeviceSync(core as unknown as ConstructorParameters<typeof DeviceSync>[0], { transport, clock, random: new SeededRandomness('background-uploads'), timers });
  return { sync, client, uploads };
}

/** Lets every promise chain already under way in the process run to where it waits (no I/O here, so they all settle). */
async function settle(): Promise<void> {
  for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
}

describe('uploads beside the sync', () => {
  it('pulls what the office announces at once while the photos of the sync before are still going up, and the upload pass still completes', async () => {
    const clock = new ManualClock();
    const timers = new FakeTimers(clock);
    const { sync, client, uploads } = deviceSync(clock, timers);
    const slowUpload = uploads.hold();
    try {
      sync.start();
      await settle();
      // The sync went through and its upload pass began, on a link that has not answered yet.
      expect([client.calls, uploads.passes]).toEqual([['sync'], 1]);
      expect(sync.status()).toMatchObject({ running: false, lastError: null });

      // The office announces a change; the pull comes within the live stream's short wait, upload or not.
      client.live.onChanges({ siteId: 'site-north', at: clock.now() });
      timers.advance(1_000);
      await settle();
      expect(client.calls).toEqual(['sync', 'pull']);
      expect(uploads.garbageCollections).toBe(0);

      slowUpload.release();
      await sync.whenIdle();
      expect([uploads.passes, uploads.garbageCollections]).toEqual([1, 1]);
    } finally {
      sync.stop();
    }
  });

  it('starts the upload pass as soon as the push is in, while the pull after it is still under way, and asks for no second one', async () => {
    const clock = new ManualClock();
    const timers = new FakeTimers(clock);
    const { sync, client, uploads } = deviceSync(clock, timers);
    const slowPull = client.hold('sync');

    const synced = sync.syncNow();
    await settle();
    expect(uploads.passes).toBe(1);

    slowPull.release();
    expect((await synced).lastError).toBeNull();
    await sync.whenIdle();
    expect(uploads.passes).toBe(1);
  });

  it('never runs two upload passes at once: syncs meanwhile go through, and one more pass follows for the attachments they brought', async () => {
    const clock = new ManualClock();
    const timers = new FakeTimers(clock);
    const { sync, client, uploads } = deviceSync(clock, timers);
    const slowUpload = uploads.hold();

    await sync.syncNow();
    // Two more syncs while the first pass is still going up: both are over without waiting for it.
    expect((await sync.syncNow()).lastError).toBeNull();
    expect((await sync.syncNow()).lastError).toBeNull();
    expect([client.calls, uploads.passes]).toEqual([['sync', 'sync', 'sync'], 1]);

    slowUpload.release();
    await sync.whenIdle();
    expect([uploads.passes, uploads.maxInFlight]).toEqual([2, 1]);
  });

  it('ends the upload pass under way when sync stops, and stops syncing when an upload tells the device it was revoked', async () => {
    const clock = new ManualClock();
    const timers = new FakeTimers(clock);
    const { sync, uploads } = deviceSync(clock, timers);
    const slowUpload = uploads.hold();
    await sync.syncNow();
    sync.stop();
    expect(uploads.signals[0]!.aborted).toBe(true);
    slowUpload.release();
    await sync.whenIdle();

    uploads.fail(new SyncError('device-revoked', 'this device was revoked', false, 403));
    sync.start();
    await sync.whenIdle();
    expect(uploads.passes).toBe(2);
    expect(sync.status().lastError).toMatchObject({ code: 'device-revoked' });
    // Nothing left scheduled: the interval and its retries stopped with the revocation.
    expect(timers.pending).toBe(0);
  });
});
