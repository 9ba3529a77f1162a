/**
 * A device core as its own process, as the app runs one: its encrypted database and attachments
 * in its own directory, its keys in a file there (so a start after a SIGKILL is the same device),
 * its real sync (DeviceSync: daemon, live stream, upload passes) over HTTP to the office. The
 * parent drives it over the fork IPC channel (device-process.ts) and answers an action only once
 * its transaction has committed. It closes its database and exits when the channel closes.
 */
import { join } from 'node:path';
import { listUnstoredAttachments } from '../../db/queries/attachments.js';
import { DeviceCore } from '../../main/core/device-core.js';
import { InsecureDevFileKeyStore } from '../../main/core/keystore-dev.js';
import { systemClock } from '../../main/core/ports.js';
import { DeviceSync } from '../../main/core/sync/device-sync.js';
import { FetchTransport } from '../../main/core/sync/transport.js';
import { serveRpc } from './child-rpc.js';
import type { ActionRequest, DeviceChildConfig, DeviceChildRequest, DeviceSyncSummary, PerformedAction, RecordEntryMark } from './device-process.js';
import { SeededRandomness } from './device.js';
import { signaturePng } from './inspection.js';

const config = JSON.parse(process.argv[2] ?? '') as DeviceChildConfig;
let core: DeviceCore | null = null;
let sync: DeviceSync | null = null;

function opened(): DeviceCore {
  if (!core) throw new Error('the device is not open yet');
  return core;
}

async function open(): Promise<{ deviceId: string; lastSeq: number }> {
  // Each life seeds its own randomness: a restarted device must never make its last life's session keys again.
  const random = new SeededRandomness(`${config.name}:${config.life}`);
  const device = DeviceCore.open({
    path: join(config.dir, 'device.db'),
    keyStore: new InsecureDevFileKeyStore(join(config.dir, 'keys.json'), new SeededRandomness(`${config.name}:keys`)),
    clock: systemClock,
    random,
    migrationsFolder: config.migrationsFolder,
  });
  core = device;
  const transport = new FetchTransport(config.officeUrl);
  if (!device.enrollment()) {
    if (!config.enrollmentToken) throw new Error(`${config.name} is not enrolled and has no token`);
    await device.enroll({ transport, token: config.enrollmentToken, kind: config.kind, label: config.name });
    // At the yard: the site's operators come down before anyone can sign in.
    await device.syncClient(transport).pull();
  }
  device.signIn(config.operator.badgeId, config.operator.pin);
  sync = new DeviceSync(device, { transport, clock: systemClock, random, intervalMs: config.intervalMs });
  sync.start();
  return { deviceId: device.deviceId, lastSeq: device.status().journal.lastSeq };
}

function perform(input: ActionRequest, signatureSeed?: string): PerformedAction {
  const device = opened();
  if (!device.sessions.current || device.sessions.lockIfIdle()) device.signIn(config.operator.badgeId, config.operator.pin);
  if (signatureSeed !== undefined) device.putAttachment('image/png', signaturePng(signatureSeed));
  const { seq, record } = device.perform(input);
  return { seq, recordId: record.id };
}

/** "Sync now", then the upload pass it asked for: what the user's button and the wait for it do. */
async function syncNow(): Promise<DeviceSyncSummary> {
  const device = opened();
  const status = await sync!.syncNow();
  await sync!.whenIdle();
  const { outbox } = device.status();
  return {
    pending: outbox.pending,
    failed: outbox.failed,
    unstored: listUnstoredAttachments(device.database.db).length,
    lastError: status.lastError ? `${status.lastError.code}: ${status.lastError.message}` : null,
  };
}

function recordEntriesAfter(seq: number): RecordEntryMark[] {
  return opened()
    .journal({ fromSeq: seq + 1 })
    .flatMap(({ body }) => (body.kind === 'record' ? [{ seq: body.seq, recordType: body.recordType, recordId: body.recordId }] : []));
}

serveRpc<DeviceChildRequest>((request) => {
  switch (request.type) {
    case 'open':
      return open();
    case 'perform':
      return perform(request.input, request.signatureSeed);
    case 'sync':
      return syncNow();
    case 'signOut':
      return opened().signOut();
    case 'recordEntriesAfter':
      return recordEntriesAfter(request.seq);
  }
});

// The parent is done with this device: sync stops, the database closes cleanly, the process ends.
process.on('disconnect', () => {
  sync?.stop();
  core?.close();
  process.exit(0);
});
