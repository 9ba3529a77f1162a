import { asc, eq, or, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAnchor, readEnrollment } from '../../main/core/sync/state.js';
import { FetchTransport } from '../../main/core/sync/transport.js';
import { sha256Hex } from '../../protocol/crypto/hash.js';
import { CURRENT_SCHEMA_VERSION, SCHEMA_VERSION_HEADER, type SyncEventData, UPLOAD_OFFSET_HEADER, verifyAnchorReceipt } from '../../protocol/wire.js';
import { uploadIdOf } from '../../server/attachments/service.js';
import { attachmentChunks, attachments, journalEntries } from '../../server/db/schema.js';
import { noteCreate } from '../support/actions.js';
import { INSPECTOR, SeededRandomness } from '../support/device.js';
import { type ProxiedRequest, RoundRobinProxy } from '../support/http-proxy.js';
import { call, NORTH, type TestServer } from '../support/server.js';
import { type FieldDevice, Office, SyncWorld } from './support/world.js';

/**
 * Two office instances on one Postgres database behind one address: a load balancer sends each
 * request to the next instance in turn, so one device's consecutive requests alternate between
 * them. Everything a device does must work whichever instance answers. PGlite lives inside one
 * process, so this runs only on Postgres (DATABASE_URL).
 */
const CHUNK = 64 * 1024;
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

let world: SyncWorld;
let instances: TestServer[];
let proxy: RoundRobinProxy;

const throughProxy = () => new FetchTransport(proxy.url, { timeoutMs: 20_000 });

/** Requests the proxy passed on since `from` (an index into its log) to paths starting with `path`. */
const requestsSince = (from: number, method: string, path: string): ProxiedRequest[] =>
  proxy.requests.slice(from).filter((request) => request.method === method && request.path.startsWith(path));

/** Each request went to the other instance than the one before it. */
function expectAlternating(requests: ProxiedRequest[]): void {
  const instancesInOrder = requests.map((request) => request.instance);
  expect(instancesInOrder).toEqual(instancesInOrder.map((_, i) => (instancesInOrder[0]! + i) % 2));
}

const deviceHeaders = (device: FieldDevice) => ({
  authorization: `Bearer ${readEnrollment(device.core.database.db)!.credential}`,
  [SCHEMA_VERSION_HEADER]: String(CURRENT_SCHEMA_VERSION),
});

describe.skipIf(!process.env.DATABASE_URL)('two office instances behind one address (skipped without DATABASE_URL: embedded PGlite serves one process only)', () => {
  beforeAll(async () => {
    world = await SyncWorld.start();
    instances = [world.server, await world.server.startPeer()];
    proxy = await RoundRobinProxy.start(instances.map((instance) => instance.url));
  });
  afterAll(async () => {
    await proxy?.close();
    await world?.close();
  });

  it("takes a device's push batches and pull pages on alternating instances, each continuing where the other left off", async () => {
    const cab = await world.addDevice('cab-balanced', { transport: throughProxy, client: { batchSize: 2 } });
    const kiosk = await world.addDevice('kiosk-balanced', { transport: throughProxy, client: { pullLimit: 2 } });
    cab.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
    const notes = [0, 1, 2, 3, 4].map((axle) => cab.core.perform(noteCreate(`axle ${axle}: brake lines chafed`)).record.id);
    cab.core.signOut();
    const journalLength = cab.core.status().journal.lastSeq;

    const pushFrom = proxy.requests.length;
    const pushed = await cab.client.push();

    // One chain, its batches stored by both instances in turn, all of it acknowledged and anchored.
    const pushes = requestsSince(pushFrom, 'POST', '/v1/sync/push');
    expect(pushes.length).toBeGreaterThan(2);
    expectAlternating(pushes);
    expect(pushed).toMatchObject({ batches: pushes.length, failed: [] });
    expect(pushed.acknowledged).toEqual(Array.from({ length: journalLength }, (_, i) => i + 1));
    expect(verifyAnchorReceipt(readAnchor(cab.core.database.db)!, world.server.serverSigner.publicKey)).toBe(true);
    const stored = await world.server.database.db.select({ seq: journalEntries.seq }).from(journalEntries).where(eq(journalEntries.deviceId, cab.core.deviceId)).orderBy(asc(journalEntries.seq));
    expect(stored.map((entry) => entry.seq)).toEqual(pushed.acknowledged);

    const pullFrom = proxy.requests.length;
    const pulled = await kiosk.client.pull();

    const pages = requestsSince(pullFrom, 'POST', '/v1/sync/pull');
    expect(pages.length).toBeGreaterThan(2);
    expectAlternating(pages);
    expect(pulled.pages).toBe(pages.length);
    for (const [axle, id] of notes.entries()) {
      expect(kiosk.core.getRecord('note', id)).toMatchObject({ syncState: 'synced', fields: { body: `axle ${axle}: brake lines chafed` } });
    }
  });

  it('brings an office edit committed on one instance to the live stream a device holds on the other', async () => {
    const cab = await world.addDevice('cab-live', { transport: throughProxy });
    let connected!: () => void;
    let heard!: (data: SyncEventData) => void;
    const ready = new Promise<void>((resolve) => (connected = resolve));
    const notified = new Promise<SyncEventData>((resolve) => (heard = resolve));
    const streamFrom = proxy.requests.length;
    const stream = cab.client.listen({ onReady: () => connected(), onChanges: (data) => heard(data), onClose: () => undefined });
    try {
      await ready;
      const [streamRequest] = requestsSince(streamFrom, 'GET', '/v1/sync/events');
      const other = instances[1 - streamRequest!.instance]!;
      const dispatcher = await call(other, 'POST', '/v1/admin/users', {
        token: other.adminToken,
        body: { id: 'user-other-instance', organisationId: 'org-1', name: 'Otto Office', role: 'dispatcher' },
      });
      const order = await new Office(other, dispatcher.body.token).createWorkOrder({ title: 'Check the reefer plug', assignee: INSPECTOR.operatorId });

      expect(await notified).toMatchObject({ siteId: NORTH });
      await cab.client.pull();
      expect(cab.core.getRecord('workOrder', order.id)).toMatchObject({ syncState: 'synced', fields: { title: 'Check the reefer plug' } });
    } finally {
      stream.close();
    }
  });

  it('stores a photo once, under its hash, when its chunks land on alternating instances and one is cut halfway, and serves it from both', async () => {
    const cab = await world.addDevice('cab-photo', { transport: throughProxy });
    const photo = new SeededRandomness('photo:two-instances').bytes(5 * CHUNK + 1234);
    photo.set(PNG_SIGNATURE);
    const { sha256 } = cab.core.putAttachment('image/png', photo);
    const transport = cab.transport as FetchTransport;

    // The third chunk reaches an instance with half its bytes, then the network drops.
    let chunks = 0;
    proxy.cutWhen((request) => request.method === 'PATCH' && ++chunks === 3);
    const firstPass = proxy.requests.length;
    const cut = await cab.core.uploadAttachments(transport, { chunkBytes: CHUNK }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(cut).toMatchObject({ code: 'network' });
    for (const instance of instances) {
      const status = await fetch(`${instance.url}/v1/attachments/${sha256}`, { headers: deviceHeaders(cab) });
      expect(await status.json()).toMatchObject({ received: 2 * CHUNK, stored: false });
    }

    const secondPass = proxy.requests.length;
    expect(await cab.core.uploadAttachments(transport, { chunkBytes: CHUNK })).toEqual({ stored: [sha256], deferred: [] });

    const offsets = (requests: ProxiedRequest[]) => requests.map((request) => Number(request.headers[UPLOAD_OFFSET_HEADER]));
    const cutPass = requestsSince(firstPass, 'PATCH', '/v1/attachments/').slice(0, 3);
    const resumedPass = requestsSince(secondPass, 'PATCH', '/v1/attachments/');
    expect([offsets(cutPass), offsets(resumedPass)]).toEqual([
      [0, CHUNK, 2 * CHUNK],
      [2 * CHUNK, 3 * CHUNK, 4 * CHUNK, 5 * CHUNK],
    ]);
    expectAlternating(cutPass);
    expectAlternating(resumedPass);

    // One copy: the chunks as they arrived, now under the hash, nothing left of the upload.
    const { db } = world.server.database;
    const rows = await db
      .select({ stored: attachmentChunks.stored, name: attachmentChunks.name, offset: attachmentChunks.byteOffset, bytes: sql<string>`octet_length(${attachmentChunks.bytes})`.mapWith(Number) })
      .from(attachmentChunks)
      .where(or(eq(attachmentChunks.name, sha256), eq(attachmentChunks.name, uploadIdOf('org-1', sha256))))
      .orderBy(asc(attachmentChunks.byteOffset));
    expect(rows).toEqual([0, 1, 2, 3, 4, 5].map((i) => ({ stored: true, name: sha256, offset: i * CHUNK, bytes: i < 5 ? CHUNK : 1234 })));
    expect(await db.select({ organisationId: attachments.organisationId, size: attachments.size }).from(attachments).where(eq(attachments.sha256, sha256))).toEqual([
      { organisationId: 'org-1', size: photo.byteLength },
    ]);

    for (const instance of instances) {
      const content = await fetch(`${instance.url}/v1/attachments/${sha256}/content`, { headers: deviceHeaders(cab) });
      expect([content.status, content.headers.get('content-type')]).toEqual([200, 'image/png']);
      const served = new Uint8Array(await content.arrayBuffer());
      expect([served.byteLength, sha256Hex(served)]).toEqual([photo.byteLength, sha256]);
    }
  });
});
