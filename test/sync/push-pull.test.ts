import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAnchor, readPullCursor } from '../../main/core/sync/state.js';
import { SyncError } from '../../main/core/sync/errors.js';
import { hexToBytes } from '../../protocol/crypto/hash.js';
import { verifyAnchorReceipt } from '../../protocol/wire.js';
import { journalEntries } from '../../server/db/schema.js';
import { CLERK, INSPECTOR } from '../support/device.js';
import { call, countRows, SOUTH } from '../support/server.js';
import { gateEventCreate, noteCreate, tally, update, yardCountCreate } from '../support/actions.js';
import { ScriptedTransport } from './support/transports.js';
import { type FieldDevice, SyncWorld } from './support/world.js';

let world: SyncWorld;

beforeAll(async () => {
  world = await SyncWorld.start();
});
afterAll(async () => world?.close());

const PUSH = '/v1/sync/push';

async function rejection(attempt: Promise<unknown>): Promise<SyncError> {
  const error = await attempt.then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(SyncError);
  return error as SyncError;
}

async function storedEntries(device: FieldDevice) {
  return world.server.database.db.select().from(journalEntries).where(eq(journalEntries.deviceId, device.core.deviceId));
}

describe('push and pull between devices and the office', () => {
  it('sends a day of offline work in bounded batches; the office holds it, another device pulls it, the receipt anchors the chain', async () => {
    const cab = await world.addDevice('cab-offline', { client: { batchSize: 4 } });
    const kiosk = await world.addDevice('kiosk-offline');
    cab.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
    const notes = [];
    for (let i = 0; i < 5; i++) {
      world.clock.advance(60_000);
      notes.push(cab.core.perform(noteCreate(`brake lines chafed, axle ${i}`)).record.id);
    }
    const count = cab.core.perform(yardCountCreate('row-1')).record.id;
    cab.core.perform(tally(count, 3));
    cab.core.signOut();
    const journalLength = cab.core.status().journal.lastSeq;
    expect(cab.core.getRecord('note', notes[0]!)).toMatchObject({ syncState: 'local', serverVersion: null });

    const report = await cab.client.sync();

    // 1 open + 5 notes + count + tally + close = 9 entries, in batches of at most 4.
    expect(report.pushed).toMatchObject({ batches: 3, sent: journalLength, failed: [], conflicts: 0 });
    expect(report.pushed.acknowledged).toEqual(Array.from({ length: journalLength }, (_, i) => i + 1));
    expect(cab.core.status().outbox).toEqual({ pending: 0, acknowledged: journalLength, failed: 0 });
    expect(cab.core.getRecord('note', notes[4]!)).toMatchObject({ syncState: 'synced', serverVersion: 1, fields: { body: 'brake lines chafed, axle 4' } });
    expect(cab.core.getRecord('yardCount', count)).toMatchObject({ syncState: 'synced', serverVersion: 2, fields: { tally: 3 } });

    const receipt = readAnchor(cab.core.database.db)!;
    expect(receipt).toMatchObject({ deviceId: cab.core.deviceId, seq: journalLength, head: cab.core.status().journal.head });
    expect(verifyAnchorReceipt(receipt, world.server.serverSigner.publicKey)).toBe(true);
    expect(await storedEntries(cab)).toHaveLength(journalLength);

    await kiosk.client.pull();
    expect(kiosk.core.getRecord('note', notes[2]!)).toMatchObject({ syncState: 'synced', serverVersion: 1, fields: { body: 'brake lines chafed, axle 2' } });
    expect(kiosk.core.getRecord('yardCount', count)?.fields.tally).toBe(3);
    expect(readPullCursor(kiosk.core.database.db)).toEqual(expect.any(String));
  });

  it('resends after a lost answer without anything applied twice: tallies count once, nothing new is stored', async () => {
    const transport = (http: ConstructorParameters<typeof ScriptedTransport>[0]) => new ScriptedTransport(http);
    const kiosk = await world.addDevice('kiosk-lossy', { transport });
    const lossy = kiosk.transport as ScriptedTransport;
    kiosk.core.signIn(CLERK.badgeId, CLERK.pin);
    const count = kiosk.core.perform(yardCountCreate('row-7')).record.id;
    kiosk.core.perform(tally(count, 5));
    lossy.dropResponses(PUSH);

    const lost = await rejection(kiosk.client.sync());
    expect(lost).toMatchObject({ code: 'network', transient: true });
    // The office has it all; the device cannot know and keeps every entry pending.
    expect((await world.office.record('yardCount', count))?.fields.tally).toBe(5);
    const pending = kiosk.core.status().outbox.pending;
    expect(pending).toBe(3);
    const before = await countRows(world.server.database);

    const resent = await kiosk.client.sync();

    expect(resent.pushed.acknowledged).toEqual([1, 2, 3]);
    expect(await countRows(world.server.database)).toEqual(before);
    expect(await world.office.record('yardCount', count)).toMatchObject({ version: 2, fields: { tally: 5 } });
    expect(kiosk.core.getRecord('yardCount', count)).toMatchObject({ syncState: 'synced', serverVersion: 2, fields: { tally: 5 } });
    expect(kiosk.core.status().outbox).toMatchObject({ pending: 0, acknowledged: 3 });
    // The same batch went twice, byte for byte apart from the send time.
    const pushes = lossy.sent.filter((request) => request.path === PUSH) as { body: { entries: unknown[] } }[];
    expect(pushes[1]!.body.entries).toEqual(pushes[0]!.body.entries);
  });

  it('takes what the office acknowledged and keeps the rest pending when an entry fails chain verification on the way', async () => {
    const cab = await world.addDevice('cab-tampered', { transport: (http) => new ScriptedTransport(http) });
    cab.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
    const ids = [1, 2, 3].map((i) => cab.core.perform(noteCreate(`tyre tread ${i} mm`)).record.id);
    // A proxy changes the second note's text in flight: the hash the office computes of it is not
    // the one its session signed (and the entry after it links to that hash, so it waits too).
    (cab.transport as ScriptedTransport).rewriteNext(PUSH, (body) => {
      body.entries[2].body.ops[2].value = 'tyre tread 9 mm';
      return body;
    });

    const refused = await rejection(cab.client.sync());

    expect(refused).toMatchObject({ code: 'entries-not-acknowledged', transient: false });
    expect(refused.message).toMatch(/entry 3 \(bad-signature/);
    expect(cab.core.status().outbox).toMatchObject({ acknowledged: 2, pending: 2 });
    expect(cab.core.getRecord('note', ids[0]!)).toMatchObject({ syncState: 'synced', serverVersion: 1 });
    expect(cab.core.getRecord('note', ids[1]!)).toMatchObject({ syncState: 'local', fields: { body: 'tyre tread 2 mm' } });
    expect(await world.office.record('note', ids[1]!)).toBeNull();

    const report = await cab.client.sync();
    expect(report.pushed.acknowledged).toEqual([3, 4]);
    expect(await world.office.record('note', ids[1]!)).toMatchObject({ fields: { body: 'tyre tread 2 mm' } });
    expect(cab.core.getRecord('note', ids[2]!)).toMatchObject({ syncState: 'synced' });
  });

  it('parks a rejected entry in the failed list without blocking the queue; retry and discard settle it with signed entries', async () => {
    const kiosk = await world.addDevice('kiosk-failed', { client: { batchSize: 2 } });
    kiosk.core.signIn(CLERK.badgeId, CLERK.pin);
    const before = kiosk.core.perform(noteCreate('gate 3 camera down')).record.id;
    // This kiosk belongs to the north yard; a gate event for the south yard is out of its scope.
    const foreign = gateEventCreate({ truckPlate: 'TX-1001', seal: 'SEAL-1' });
    foreign.ops[0] = { op: 'set', field: 'siteId', value: SOUTH };
    const misplaced = kiosk.core.perform(foreign);
    const after = kiosk.core.perform(noteCreate('gate 3 camera back')).record.id;

    const report = await kiosk.client.sync();

    expect(report.pushed.failed).toEqual([misplaced.seq]);
    expect(report.pushed.acknowledged).toEqual([1, 2, 3, 4]);
    expect(kiosk.core.getRecord('note', after)).toMatchObject({ syncState: 'synced' });
    expect(kiosk.core.getRecord('note', before)).toMatchObject({ syncState: 'synced' });
    // The office has no such gate event, so neither has the device any more.
    expect(kiosk.core.getRecord('gateEvent', misplaced.record.id)).toBeNull();
    const [failed] = kiosk.core.failedEntries();
    expect(failed).toMatchObject({
      seq: misplaced.seq,
      recordType: 'gateEvent',
      recordId: misplaced.record.id,
      action: 'create',
      operatorId: CLERK.operatorId,
      reason: 'out-of-scope',
      message: expect.stringMatching(/site-north.*site-south/),
    });
    expect(kiosk.core.status().outbox.failed).toBe(1);
    expect(kiosk.core.conflicts()[0]).toMatchObject({ seq: misplaced.seq, outcome: 'rejected', serverKept: null });

    // Retrying does the same thing again: the office rejects it again, the new entry takes its place.
    const retried = kiosk.core.retryFailed(misplaced.seq);
    await kiosk.client.sync();
    expect(kiosk.core.failedEntries().map((entry) => entry.seq)).toEqual([retried.seq]);

    const discardSeq = kiosk.core.discardFailed(retried.seq);
    expect(kiosk.core.failedEntries()).toEqual([]);
    expect(() => kiosk.core.discardFailed(retried.seq)).toThrow(/not in the failed list/);
    await kiosk.client.sync();
    expect(kiosk.core.status().outbox).toMatchObject({ pending: 0, failed: 0 });
    const [discard] = await world.server.database.db
      .select()
      .from(journalEntries)
      .where(and(eq(journalEntries.deviceId, kiosk.core.deviceId), eq(journalEntries.seq, discardSeq)));
    expect(discard).toMatchObject({ kind: 'entry.discard', operatorId: CLERK.operatorId });
    expect(JSON.parse(discard!.body)).toMatchObject({ discardedSeq: retried.seq, discardedHash: kiosk.core.journal({ fromSeq: retried.seq, limit: 1 })[0]!.hash });
    expect(kiosk.core.verifyJournal()).toMatchObject({ ok: true });
  });

  it('brings an office edit to a device and keeps the device’s unsent edit of the same record on top', async () => {
    const cab = await world.addDevice('cab-pull');
    const order = await world.office.createWorkOrder({ title: 'Inspect chassis 4471', assignee: INSPECTOR.operatorId });
    await cab.client.pull();
    expect(cab.core.getRecord('workOrder', order.id)).toMatchObject({ serverVersion: 1, syncState: 'synced', fields: { title: 'Inspect chassis 4471' } });

    cab.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
    cab.core.perform(update('workOrder', order.id, { statusNote: 'on my way' }));
    await world.office.updateWorkOrder(order.id, { title: 'Inspect chassis 4471 and 4472', priority: 'high' });
    await cab.client.pull();

    expect(cab.core.getRecord('workOrder', order.id)).toMatchObject({
      serverVersion: 2,
      syncState: 'pending',
      fields: { title: 'Inspect chassis 4471 and 4472', priority: 'high', statusNote: 'on my way' },
    });
    await cab.client.sync();
    expect(cab.core.getRecord('workOrder', order.id)).toMatchObject({ serverVersion: 3, syncState: 'synced', fields: { statusNote: 'on my way', priority: 'high' } });
  });

  it('updates and removes operators on pull: a new PIN works offline, a deactivated operator can no longer sign in', async () => {
    const kiosk = await world.addDevice('kiosk-operators');
    const admin = { token: world.server.adminToken };
    expect((await call(world.server, 'PATCH', `/v1/admin/operators/${CLERK.operatorId}`, { ...admin, body: { pin: '97531' } })).status).toBe(200);
    expect((await call(world.server, 'PATCH', `/v1/admin/operators/${INSPECTOR.operatorId}`, { ...admin, body: { active: false } })).status).toBe(200);

    await kiosk.client.pull();

    expect(() => kiosk.core.signIn(CLERK.badgeId, CLERK.pin)).toThrow(/^wrong badge or PIN$/);
    expect(kiosk.core.signIn(CLERK.badgeId, '97531').operatorId).toBe(CLERK.operatorId);
    expect(() => kiosk.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin)).toThrow(/^wrong badge or PIN$/);
    expect(kiosk.core.operator(INSPECTOR.operatorId)).toBeNull();

    // Put them back for the other tests.
    await call(world.server, 'PATCH', `/v1/admin/operators/${CLERK.operatorId}`, { ...admin, body: { pin: CLERK.pin } });
    await call(world.server, 'PATCH', `/v1/admin/operators/${INSPECTOR.operatorId}`, { ...admin, body: { active: true } });
    await kiosk.client.pull();
    expect(kiosk.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin).operatorId).toBe(INSPECTOR.operatorId);
  });

  it('stores the pull cursor only with the changes it covers: a lost pull answer is fetched again, page by page', async () => {
    const kiosk = await world.addDevice('kiosk-pages', { transport: (http) => new ScriptedTransport(http), client: { pullLimit: 2 } });
    const cursor = readPullCursor(kiosk.core.database.db);
    const orders = [];
    for (let i = 0; i < 5; i++) orders.push((await world.office.createWorkOrder({ title: `Paged order ${i}` })).id);
    (kiosk.transport as ScriptedTransport).dropResponses('/v1/sync/pull');

    expect(await rejection(kiosk.client.pull())).toMatchObject({ code: 'network' });
    expect(readPullCursor(kiosk.core.database.db)).toBe(cursor);
    expect(orders.map((id) => kiosk.core.getRecord('workOrder', id))).toEqual([null, null, null, null, null]);

    const pulled = await kiosk.client.pull();
    expect(pulled).toMatchObject({ pages: 3, records: 5 });
    expect(orders.map((id) => kiosk.core.getRecord('workOrder', id)?.fields.title)).toEqual(orders.map((_, i) => `Paged order ${i}`));
  });

  it('keeps its pull cursor when an answer carries one the office never issues (damaged on the way), and pulls on from it', async () => {
    const kiosk = await world.addDevice('kiosk-damaged-cursor', { transport: (http) => new ScriptedTransport(http) });
    const cursor = readPullCursor(kiosk.core.database.db);
    const order = await world.office.createWorkOrder({ title: 'Behind a bad proxy' });
    (kiosk.transport as ScriptedTransport).rewriteNextAnswer('/v1/sync/pull', (body) => ({ ...body, cursor: '\u0000garbled' }));

    expect(await rejection(kiosk.client.pull())).toMatchObject({ code: 'bad-response', transient: true });
    expect(readPullCursor(kiosk.core.database.db)).toBe(cursor);

    await kiosk.client.pull();
    expect(kiosk.core.getRecord('workOrder', order.id)?.fields.title).toBe('Behind a bad proxy');
  });

  it('compacts what the office acknowledged; a failed entry holds compaction until it is settled, and sync carries on after it', async () => {
    const kiosk = await world.addDevice('kiosk-compact');
    kiosk.core.signIn(CLERK.badgeId, CLERK.pin);
    kiosk.core.perform(noteCreate('before the failure'));
    const foreign = gateEventCreate({ truckPlate: 'TX-2002', seal: 'SEAL-9' });
    foreign.ops[0] = { op: 'set', field: 'siteId', value: SOUTH };
    const failed = kiosk.core.perform(foreign).seq;
    kiosk.core.perform(noteCreate('after the failure'));
    await kiosk.client.sync();

    expect(kiosk.core.compact().map((checkpoint) => [checkpoint.manifest.fromSeq, checkpoint.manifest.toSeq])).toEqual([[1, failed - 1]]);
    expect(kiosk.core.failedEntries().map((entry) => entry.seq)).toEqual([failed]);

    kiosk.core.discardFailed(failed);
    await kiosk.client.sync();
    kiosk.core.compact();
    expect(kiosk.core.status().journal.entries).toBe(0);

    const later = kiosk.core.perform(noteCreate('after compaction')).record.id;
    await kiosk.client.sync();
    expect(kiosk.core.getRecord('note', later)).toMatchObject({ syncState: 'synced', serverVersion: 1 });
    expect(kiosk.core.verifyJournal()).toMatchObject({ ok: true });
    expect(readAnchor(kiosk.core.database.db)).toMatchObject({ seq: kiosk.core.status().journal.lastSeq });
  });

  it('applies nothing from a lean answer that names an entry it was not sent', async () => {
    const cab = await world.addDevice('cab-lean-stranger');
    cab.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
    const id = cab.core.perform(noteCreate('reefer at -18')).record.id;
    // Someone between the device and the office adds a result for an entry of their own.
    const client = withPushAnswerAltered(cab, (answer: { results: unknown[] }) => {
      answer.results.push({ seq: 999, hash: 'ab'.repeat(32), outcome: 'accepted', acknowledged: true });
    });

    expect(await rejection(client.sync())).toMatchObject({ code: 'bad-response' });
    expect(cab.core.status().outbox).toMatchObject({ pending: 2, acknowledged: 0 });
    expect(cab.core.getRecord('note', id)).toMatchObject({ syncState: 'local', serverVersion: null });
    await cab.client.sync();
    expect(cab.core.getRecord('note', id)).toMatchObject({ syncState: 'synced', serverVersion: 1 });
  });

  it('applies nothing from an answer whose receipt the enrolled office key did not sign', async () => {
    const cab = await world.addDevice('cab-forged');
    cab.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
    const id = cab.core.perform(noteCreate('seal 77 intact')).record.id;
    // Someone between the device and the office answers with a receipt of their own making.
    const client = withPushAnswerAltered(cab, (answer: { receipt: { signature: string } }) => {
      answer.receipt.signature = `${answer.receipt.signature.startsWith('A') ? 'B' : 'A'}${answer.receipt.signature.slice(1)}`;
    });

    expect(await rejection(client.sync())).toMatchObject({ code: 'bad-receipt' });

    expect(cab.core.status().outbox).toMatchObject({ pending: 2, acknowledged: 0 });
    expect(cab.core.getRecord('note', id)).toMatchObject({ syncState: 'local', serverVersion: null });
    expect(readAnchor(cab.core.database.db)).toBeNull();
    // With the genuine receipt, the same entries are taken (the office answers the resend identically).
    await cab.client.sync();
    expect(cab.core.getRecord('note', id)).toMatchObject({ syncState: 'synced', serverVersion: 1 });
    expect(verifyAnchorReceipt(readAnchor(cab.core.database.db)!, hexToBytes(cab.core.enrollment()!.serverPublicKey))).toBe(true);
  });
});

/** A sync client of `cab` whose push answers someone between it and the office alters on the way. */
function withPushAnswerAltered<Answer>(cab: FieldDevice, alter: (answer: Answer) => void) {
  return cab.core.syncClient({
    post: async (path, body, headers) => {
      const response = await cab.transport.post(path, body, headers);
      if (path === PUSH) alter(response.body as Answer);
      return response;
    },
    events: (path, headers, handlers) => cab.transport.events(path, headers, handlers),
  });
}
