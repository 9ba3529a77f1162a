import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPin, pepperPinVerifier } from '../../protocol/pin.js';
import { CURRENT_SCHEMA_VERSION, pullResponseSchema, type Change, type PullResponse } from '../../protocol/wire.js';
import { records } from '../../server/db/schema.js';
import { TestChain } from '../support/chain-fixtures.js';
import { INSPECTOR } from '../support/device.js';
import {
  NORTH,
  SOUTH,
  SOUTH_INSPECTOR,
  call,
  changesFrom,
  enrollDevice,
  openEventStream,
  seedOrganisation,
  startTestServer,
  type TestServer,
} from '../support/server.js';

let server: TestServer;
let dispatcherToken: string;

beforeAll(async () => {
  server = await startTestServer();
  ({ dispatcherToken } = await seedOrganisation(server));
});
afterAll(async () => server?.close());

async function pull(credential: string, cursor: string | null, limit?: number): Promise<PullResponse> {
  const answer = await call(server, 'POST', '/v1/sync/pull', { token: credential, body: { schemaVersion: CURRENT_SCHEMA_VERSION, cursor, limit } });
  if (answer.status !== 200) throw new Error(`pull: ${answer.status} ${JSON.stringify(answer.body)}`);
  return pullResponseSchema.parse(answer.body);
}

/** Every change after `cursor`, page by page (bounded). */
async function pullAll(credential: string, cursor: string | null = null, limit = 50): Promise<{ changes: Change[]; cursor: string }> {
  const changes: Change[] = [];
  for (let page = 0; page < 200; page++) {
    const answer = await pull(credential, cursor, limit);
    changes.push(...answer.changes);
    cursor = answer.cursor;
    if (!answer.hasMore) return { changes, cursor };
  }
  throw new Error('more than 200 pages');
}

async function officeWorkOrder(id: string, fields: Record<string, unknown>) {
  const answer = await call(server, 'POST', '/v1/office/work-orders', { token: dispatcherToken, body: { id, ...fields } });
  if (answer.status !== 201) throw new Error(`work order: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

const recordIds = (changes: Change[]) => changes.flatMap((c) => (c.kind === 'record' ? [`${c.record.id}@${c.record.version}`] : []));

describe('pull', () => {
  it("gives a device its site's operators with PIN verifiers that check offline, and only its site's", async () => {
    const device = new TestChain('dev-pull-operators');
    const { credential } = await enrollDevice(server, device);
    const { changes } = await pullAll(credential);
    const operators = changes.flatMap((c) => (c.kind === 'operator' ? [c.operator] : []));
    expect(operators.map((o) => o.operatorId).sort()).toEqual(['op-gus', 'op-ines']);
    const ines = operators.find((o) => o.operatorId === INSPECTOR.operatorId)!;
    expect(ines).toMatchObject({ badgeId: 'B100', role: 'inspector', active: true });
    const pepper = new Uint8Array(32).fill(7);
    const stored = pepperPinVerifier(ines.pinVerifier, pepper);
    expect(checkPin(INSPECTOR.pin, stored, pepper)).toBe(true);
    expect(checkPin('0000', stored, pepper)).toBe(false);

    // A PIN change and a deactivation reach the device as later changes.
    const { cursor } = await pullAll(credential);
    await call(server, 'PATCH', '/v1/admin/operators/op-gus', { token: server.adminToken, body: { active: false } });
    const later = await pullAll(credential, cursor);
    expect(later.changes).toEqual([expect.objectContaining({ kind: 'operator', operator: expect.objectContaining({ operatorId: 'op-gus', active: false }) })]);
    await call(server, 'PATCH', '/v1/admin/operators/op-gus', { token: server.adminToken, body: { active: true } });
  });

  it("scopes records to the device's site plus work orders assigned to its operators", async () => {
    const north = new TestChain('dev-pull-north');
    const south = new TestChain('dev-pull-south');
    const northCredential = (await enrollDevice(server, north)).credential;
    const southCredential = (await enrollDevice(server, south, SOUTH)).credential;
    const southStart = (await pullAll(southCredential)).cursor;
    const northStart = (await pullAll(northCredential)).cursor;

    await officeWorkOrder('wo-scope-north', { siteId: NORTH, title: 'Yard sweep' });
    await officeWorkOrder('wo-scope-lent', { siteId: NORTH, title: 'Chassis audit', assignee: SOUTH_INSPECTOR.operatorId });
    expect(recordIds((await pullAll(northCredential, northStart)).changes)).toEqual(['wo-scope-north@1', 'wo-scope-lent@1']);
    const southChanges = await pullAll(southCredential, southStart);
    expect(recordIds(southChanges.changes)).toEqual(['wo-scope-lent@1']);

    // Reassigned back to the north inspector: the south yard hears of that version, then no more.
    await call(server, 'PATCH', '/v1/office/work-orders/wo-scope-lent', { token: dispatcherToken, body: { set: { assignee: INSPECTOR.operatorId } } });
    await call(server, 'PATCH', '/v1/office/work-orders/wo-scope-lent', { token: dispatcherToken, body: { set: { priority: 'high' } } });
    expect(recordIds((await pullAll(southCredential, southChanges.cursor)).changes)).toEqual(['wo-scope-lent@2']);
  });

  it('does not send a device back what its own push answer carried; it sends what others changed since, once, at the last version', async () => {
    const writer = new TestChain('dev-pull-own');
    const { credential } = await enrollDevice(server, writer);
    const start = (await pullAll(credential)).cursor;
    writer.openSession(INSPECTOR.operatorId);
    await officeWorkOrder('wo-pull-own', { siteId: NORTH, title: 'Own and others' });
    for (let i = 0; i < 3; i++) writer.record({ recordId: `note-pull-own-${i}` });
    writer.record({ recordType: 'workOrder', recordId: 'wo-pull-own', action: 'update', baseVersion: 1, ops: [{ op: 'set', field: 'statusNote', value: 'from the cab' }] });
    const pushed = await call(server, 'POST', '/v1/sync/push', {
      token: credential,
      body: { schemaVersion: 1, deviceId: writer.deviceId, sentAt: server.clock.now(), entries: writer.entries },
    });
    expect(pushed.body.records.map((record: { id: string; version: number }) => `${record.id}@${record.version}`).sort()).toEqual([
      'note-pull-own-0@1',
      'note-pull-own-1@1',
      'note-pull-own-2@1',
      'wo-pull-own@2',
    ]);
    // The work order the office created before the push is sent at the version the push left it (held already).
    expect(recordIds((await pullAll(credential, start)).changes)).toEqual([]);

    // Office edits after the push arrive, several in one page as the last one only.
    for (const note of ['first', 'second', 'third']) await call(server, 'PATCH', '/v1/office/work-orders/wo-pull-own', { token: dispatcherToken, body: { set: { statusNote: note } } });
    const { changes } = await pullAll(credential, start);
    expect(recordIds(changes)).toEqual(['wo-pull-own@5']);
  });

  it('refuses a cursor it did not issue', async () => {
    const device = new TestChain('dev-pull-cursor');
    const { credential } = await enrollDevice(server, device);
    for (const cursor of ['not-a-cursor', Buffer.from('v1.-4').toString('base64url'), 'x'.repeat(150)]) {
      const answer = await call(server, 'POST', '/v1/sync/pull', { token: credential, body: { schemaVersion: 1, cursor } });
      expect(answer.status, cursor).toBe(400);
      expect(['invalid-cursor', 'invalid-request'], cursor).toContain(answer.body.code);
    }
  });

  it('pages consistently while other devices and the office keep writing: every record up to its last version, each version at most once and in order, none skipped', async () => {
    const reader = new TestChain('dev-pull-reader');
    const readerCredential = (await enrollDevice(server, reader)).credential;
    const start = (await pullAll(readerCredential)).cursor;
    const writers = await Promise.all(
      ['dev-pull-writer-a', 'dev-pull-writer-b'].map(async (deviceId) => {
        const chain = new TestChain(deviceId);
        const { credential } = await enrollDevice(server, chain);
        chain.openSession(INSPECTOR.operatorId);
        return { chain, credential };
      }),
    );

    let writing = true;
    const writeAll = async () => {
      const work = writers.map(async ({ chain, credential }) => {
        let pushed = 0;
        for (let batch = 0; batch < 8; batch++) {
          const from = pushed;
          for (let i = 0; i < 5; i++) chain.record({ recordId: `note-${chain.deviceId}-${chain.lastSeq + 1}` });
          const answer = await call(server, 'POST', '/v1/sync/push', {
            token: credential,
            body: { schemaVersion: 1, deviceId: chain.deviceId, sentAt: server.clock.now(), entries: chain.entries.slice(from) },
          });
          if (answer.status !== 200 || answer.body.results.some((r: { outcome: string }) => r.outcome !== 'accepted')) {
            throw new Error(`push: ${answer.status} ${JSON.stringify(answer.body)}`);
          }
          pushed = chain.entries.length;
        }
      });
      const office = (async () => {
        await officeWorkOrder('wo-paging', { siteId: NORTH, title: 'Paging' });
        for (let edit = 0; edit < 12; edit++) {
          await call(server, 'PATCH', '/v1/office/work-orders/wo-paging', { token: dispatcherToken, body: { set: { statusNote: `edit ${edit}` } } });
        }
      })();
      await Promise.all([...work, office]);
      writing = false;
    };

    const seen: string[] = [];
    const readAll = async () => {
      let cursor: string | null = start;
      for (let round = 0; round < 2000; round++) {
        const stillWriting = writing;
        const page = await pull(readerCredential, cursor, 7);
        seen.push(...recordIds(page.changes));
        cursor = page.cursor;
        if (!stillWriting && !page.hasMore) return;
      }
      throw new Error('the reader did not catch up within 2000 pages');
    };
    await Promise.all([writeAll(), readAll()]);

    expect(new Set(seen).size).toBe(seen.length);
    // A page sends a record once, at its last version there: versions in between may be left out.
    const latest = new Map((await server.database.db.select().from(records)).map((record) => [record.id, record.version]));
    const lastSeen = new Map(seen.map((id) => [id.split('@')[0]!, Number(id.split('@')[1])]));
    const written = [...latest.keys()].filter((id) => id === 'wo-paging' || id.startsWith('note-dev-pull-writer'));
    expect(written).toHaveLength(2 * 8 * 5 + 1);
    for (const id of written) expect(lastSeen.get(id), id).toBe(latest.get(id));
    // Versions of one record arrive in order.
    const paging = seen.filter((id) => id.startsWith('wo-paging@')).map((id) => Number(id.split('@')[1]));
    expect(paging).toEqual([...paging].sort((a, b) => a - b));
    expect((await server.database.db.select().from(records)).length).toBeGreaterThan(0);
  });
});

describe('pull deltas', () => {
  async function pullWithDeltas(credential: string, cursor: string | null, deltas = true): Promise<PullResponse> {
    const answer = await call(server, 'POST', '/v1/sync/pull', { token: credential, body: { schemaVersion: CURRENT_SCHEMA_VERSION, cursor, deltas } });
    if (answer.status !== 200) throw new Error(`pull: ${answer.status} ${JSON.stringify(answer.body)}`);
    return pullResponseSchema.parse(answer.body);
  }
  const changeOf = (page: PullResponse, id: string) => page.changes.find((change) => (change.kind === 'record' ? change.record.id : change.kind === 'recordDelta' ? change.delta.id : null) === id);

  it('sends a record the device was told of as what changed since that version, a record new to it whole, and whole to a device that does not ask', async () => {
    const { credential } = await enrollDevice(server, new TestChain('dev-pull-deltas'));
    await officeWorkOrder('wo-delta-told', { siteId: NORTH, title: 'Replace mud flap', location: 'Bay 2' });
    const { cursor } = await pullAll(credential);

    await call(server, 'PATCH', '/v1/office/work-orders/wo-delta-told', { token: dispatcherToken, body: { set: { statusNote: 'Flap in stock' } } });
    await call(server, 'PATCH', '/v1/office/work-orders/wo-delta-told', { token: dispatcherToken, body: { set: { location: 'Bay 5' } } });
    await officeWorkOrder('wo-delta-new', { siteId: NORTH, title: 'Check fifth wheel' });

    const page = await pullWithDeltas(credential, cursor);
    // Both edits in one delta, against the version the device was told of.
    expect(changeOf(page, 'wo-delta-told')).toEqual({
      kind: 'recordDelta',
      delta: { type: 'workOrder', id: 'wo-delta-told', version: 3, baseVersion: 1, deleted: false, pendingReview: false, set: { statusNote: 'Flap in stock', location: 'Bay 5' }, unset: [], entries: {} },
    });
    expect(changeOf(page, 'wo-delta-new')).toMatchObject({ kind: 'record', record: { id: 'wo-delta-new', version: 1 } });

    const whole = await pullWithDeltas(credential, cursor, false);
    expect(changeOf(whole, 'wo-delta-told')).toMatchObject({ kind: 'record', record: { version: 3, fields: { statusNote: 'Flap in stock', location: 'Bay 5', title: 'Replace mud flap' } } });
    // From the start, nothing was told before: every record whole.
    expect((await pullAll(credential)).changes.every((change) => change.kind !== 'recordDelta')).toBe(true);
  });

  it('sends a record whole when most of it changed', async () => {
    const { credential } = await enrollDevice(server, new TestChain('dev-pull-deltas-most'));
    await officeWorkOrder('wo-delta-most', { siteId: NORTH, title: 'Tarp', location: 'Gate' });
    const { cursor } = await pullAll(credential);
    const set = { title: 'Tarp and straps', location: 'Bay 9', statusNote: 'Straps frayed', assignee: 'op-ines', priority: 'high', dueDate: 1_800_000_000_000, description: 'Both straps' };
    const edited = await call(server, 'PATCH', '/v1/office/work-orders/wo-delta-most', { token: dispatcherToken, body: { set } });
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);
    expect(changeOf(await pullWithDeltas(credential, cursor), 'wo-delta-most')).toMatchObject({ kind: 'record', record: { version: 2, fields: { title: 'Tarp and straps' } } });
  });
});

describe('live notification', () => {
  it('tells a connected device when an office edit or a push for its site commits, and who made it, on this and on another server instance', async () => {
    const north = new TestChain('dev-live-north');
    const south = new TestChain('dev-live-south');
    const northCredential = (await enrollDevice(server, north)).credential;
    const southCredential = (await enrollDevice(server, south, SOUTH)).credential;
    await officeWorkOrder('wo-live', { siteId: NORTH, title: 'Tire pressure' });
    const { cursor } = await pullAll(northCredential);

    const peer = await server.startPeer();
    const onPrimary = await openEventStream(server, northCredential);
    const onPeer = await openEventStream(peer, northCredential);
    const southStream = await openEventStream(peer, southCredential);
    try {
      for (const stream of [onPrimary, onPeer, southStream]) await stream.next('ready');

      server.clock.ms += 1000;
      const northEditAt = server.clock.now();
      await call(server, 'PATCH', '/v1/office/work-orders/wo-live', { token: dispatcherToken, body: { set: { statusNote: 'driver is on the way' } } });
      // The earlier tests' pushes may still be held in the site's window and told with the edit.
      for (const stream of [onPrimary, onPeer]) {
        expect(await changesFrom(stream, northEditAt)).toMatchObject({ siteId: NORTH, at: northEditAt, by: { office: true } });
      }
      const page = await pull(northCredential, cursor);
      expect(page.changes).toEqual([
        expect.objectContaining({ kind: 'record', record: expect.objectContaining({ id: 'wo-live', version: 2, fields: expect.objectContaining({ statusNote: 'driver is on the way' }) }) }),
      ]);

      // A device's push names the device, so that it alone need not pull.
      server.clock.ms += 1000;
      const pushedAt = server.clock.now();
      north.openSession(INSPECTOR.operatorId);
      north.record({ recordId: 'note-live-north' });
      const pushed = await call(server, 'POST', '/v1/sync/push', {
        token: northCredential,
        body: { schemaVersion: 1, deviceId: north.deviceId, sentAt: pushedAt, entries: north.entries },
      });
      expect(pushed.status).toBe(200);
      for (const stream of [onPrimary, onPeer]) {
        expect((await stream.next('changes')).data).toEqual({ siteId: NORTH, at: pushedAt, by: { devices: [north.deviceId], office: false } });
      }

      // The south device heard nothing of the north edit: its first event is the south one.
      server.clock.ms += 1000;
      const southEditAt = server.clock.now();
      await officeWorkOrder('wo-live-south', { siteId: SOUTH, title: 'Gate camera' });
      expect((await southStream.next('changes')).data).toEqual({ siteId: SOUTH, at: southEditAt, by: { devices: [], office: true } });
    } finally {
      for (const stream of [onPrimary, onPeer, southStream]) stream.close();
    }
  });
});
