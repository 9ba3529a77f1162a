import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hexToBytes } from '../../protocol/crypto/hash.js';
import { signEntry, type JournalEntry } from '../../protocol/journal.js';
import { CURRENT_SCHEMA_VERSION, MAX_PUSH_ENTRIES, pushResponseSchema, verifyAnchorReceipt } from '../../protocol/wire.js';
import { journalEntries, records, reviewItems } from '../../server/db/schema.js';
import { TestChain } from '../support/chain-fixtures.js';
import { call, countRows, enrollDevice, NORTH, seedOrganisation, SOUTH_INSPECTOR, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let dispatcherToken: string;

beforeAll(async () => {
  server = await startTestServer();
  ({ dispatcherToken } = await seedOrganisation(server));
});
afterAll(async () => server?.close());

/** A device with a signed-in inspector, enrolled at the north yard. */
async function enrolledChain(deviceId: string): Promise<{ chain: TestChain; credential: string; serverPublicKey: Uint8Array }> {
  const chain = new TestChain(deviceId);
  const enrolled = await enrollDevice(server, chain);
  chain.openSession('op-ines');
  return { chain, credential: enrolled.credential, serverPublicKey: hexToBytes(enrolled.serverPublicKey) };
}

/** A new note on the chain, with an id no other test's device uses. */
function note(chain: TestChain, draft: Parameters<TestChain['record']>[0] = {}): JournalEntry {
  return chain.record({ recordId: `note-${chain.deviceId}-${chain.lastSeq + 1}`, ...draft });
}

async function push(credential: string, deviceId: string, entries: unknown[], extra: Record<string, unknown> = {}) {
  return call(server, 'POST', '/v1/sync/push', {
    token: credential,
    body: { schemaVersion: CURRENT_SCHEMA_VERSION, deviceId, sentAt: server.clock.now(), entries, ...extra },
  });
}

async function deviceFlags(deviceId: string) {
  return (await call(server, 'GET', `/v1/admin/devices/${deviceId}/flags`, { token: server.adminToken })).body.flags as { kind: string; seq: number }[];
}

describe('push', () => {
  it('acknowledges a signed batch with a verifiable receipt, and answers a resend identically without writing anything', async () => {
    const { chain, credential, serverPublicKey } = await enrolledChain('dev-push-ok');
    note(chain);
    note(chain);

    const first = await push(credential, chain.deviceId, chain.entries);
    expect(first.status).toBe(200);
    const response = pushResponseSchema.parse(first.body);
    expect(response.results.map((r) => [r.seq, r.outcome, r.acknowledged])).toEqual([
      [1, 'accepted', true],
      [2, 'accepted', true],
      [3, 'accepted', true],
    ]);
    expect(response.records.map((r) => [r.id, r.version, r.fields.body])).toEqual([
      ['note-dev-push-ok-2', 1, 'observation 1'],
      ['note-dev-push-ok-3', 1, 'observation 2'],
    ]);
    expect(response.receipt).toMatchObject({ deviceId: chain.deviceId, seq: 3, head: chain.head });
    expect(verifyAnchorReceipt(response.receipt, serverPublicKey)).toBe(true);
    expect(verifyAnchorReceipt({ ...response.receipt, seq: 2 }, serverPublicKey)).toBe(false);

    const rowsBefore = await countRows(server.database);
    server.clock.advance(60_000);
    const resend = await push(credential, chain.deviceId, chain.entries);
    expect(resend.status).toBe(200);
    expect(resend.body.results).toEqual(response.results);
    expect(resend.body.records).toEqual(response.records);
    expect(await countRows(server.database)).toEqual(rowsBefore);

    // A resend of the tail together with a new entry: old ones replayed, the new one applied.
    note(chain);
    const mixed = await push(credential, chain.deviceId, chain.entries.slice(1));
    expect(mixed.body.results.slice(0, 2)).toEqual(response.results.slice(1));
    expect(mixed.body.results[2]).toMatchObject({ seq: 4, outcome: 'accepted', acknowledged: true });
    expect(mixed.body.receipt.seq).toBe(4);
  });

  it('answers a device that asks for a lean answer only for the entries it did not simply take, under the same receipt', async () => {
    const { chain, credential, serverPublicKey } = await enrolledChain('dev-push-lean');
    note(chain);
    note(chain);
    // What is tried: the device leaves it to the receipt to vouch for entries taken as sent.
    const taken = await push(credential, chain.deviceId, chain.entries, { leanAnswer: true });
    expect(taken.status).toBe(200);
    const answer = pushResponseSchema.parse(taken.body);
    expect(answer.results).toEqual([]);
    expect(answer.receipt).toMatchObject({ seq: 3, head: chain.entries[2]!.hash });
    expect(verifyAnchorReceipt(answer.receipt, serverPublicKey)).toBe(true);
    expect(answer.records.map((record) => record.id)).toEqual([`note-${chain.deviceId}-2`, `note-${chain.deviceId}-3`]);

    // An entry the office refuses is still answered in full, and so is the one after it that cannot chain.
    const honest = note(chain);
    const tampered: JournalEntry = structuredClone(honest);
    if (tampered.body.kind !== 'record') throw new Error('expected a record entry');
    tampered.body.ops = [{ op: 'set', field: 'body', value: 'written after signing' }];
    const after = note(chain);
    const refused = await push(credential, chain.deviceId, [tampered, after], { leanAnswer: true });
    expect(refused.body.results).toEqual([
      expect.objectContaining({ seq: 4, acknowledged: false, reason: 'hash-mismatch' }),
      expect.objectContaining({ seq: 5, acknowledged: false }),
    ]);
    expect(refused.body.receipt.seq).toBe(3);
    // A full answer, as older apps ask for it, still lists every entry.
    const full = await push(credential, chain.deviceId, [honest, after]);
    expect(full.body.results.map((result: { seq: number; outcome: string }) => [result.seq, result.outcome])).toEqual([
      [4, 'accepted'],
      [5, 'accepted'],
    ]);
  });

  it('stores each entry verbatim with device time, server-received time and their gap', async () => {
    const { chain, credential } = await enrolledChain('dev-push-times');
    const entry = note(chain);
    server.clock.ms = entry.body.deviceTime + 90_000;
    await push(credential, chain.deviceId, chain.entries);
    const [row] = await server.database.db
      .select()
      .from(journalEntries)
      .where(and(eq(journalEntries.deviceId, chain.deviceId), eq(journalEntries.seq, entry.body.seq)));
    expect(row).toMatchObject({ hash: entry.hash, signature: entry.signature, deviceTime: entry.body.deviceTime, receivedAt: server.clock.now(), gapMs: 90_000 });
    expect(JSON.parse(row!.body)).toEqual(entry.body);
  });

  it('refuses a tampered entry with the verifier reason, stores nothing and does not move the receipt', async () => {
    const { chain, credential } = await enrolledChain('dev-push-tamper');
    await push(credential, chain.deviceId, chain.entries);
    const honest = note(chain);
    const tampered: JournalEntry = structuredClone(honest);
    if (tampered.body.kind !== 'record') throw new Error('expected a record entry');
    tampered.body.ops = [{ op: 'set', field: 'body', value: 'written after signing' }, ...tampered.body.ops.slice(0, 2)];

    const rowsBefore = await countRows(server.database);
    const answer = await push(credential, chain.deviceId, [tampered]);
    expect(answer.status).toBe(200);
    expect(answer.body.results).toEqual([expect.objectContaining({ seq: 2, outcome: 'rejected', acknowledged: false, reason: 'hash-mismatch' })]);
    expect(answer.body.receipt.seq).toBe(1);
    expect(await countRows(server.database)).toEqual(rowsBefore);

    // Signed by the device identity key instead of the session key: refused with that reason.
    const bySigner = signEntry(honest.body, chain.deviceSigner);
    expect((await push(credential, chain.deviceId, [bySigner])).body.results[0].reason).toBe('signed-by-device-key');

    // The honest entry still goes through afterwards.
    const retry = await push(credential, chain.deviceId, [honest]);
    expect(retry.body.results[0]).toMatchObject({ outcome: 'accepted', acknowledged: true });
  });

  it('refuses a chain that does not extend the anchored head (fork, restore from backup) and flags the device', async () => {
    const { chain, credential } = await enrolledChain('dev-push-fork');
    note(chain);
    note(chain);
    const anchored = await push(credential, chain.deviceId, chain.entries);
    expect(anchored.body.receipt.seq).toBe(3);

    // The same device restored from a backup taken after entry 2: it writes a different entry 3 and 4.
    const restored = new TestChain(chain.deviceId);
    restored.openSession('op-ines');
    note(restored);
    expect(restored.entries.map((e) => e.hash)).toEqual(chain.entries.slice(0, 2).map((e) => e.hash));
    note(restored, { ops: [{ op: 'set', field: 'subjectType', value: 'workOrder' }, { op: 'set', field: 'subjectId', value: 'wo-9' }, { op: 'set', field: 'body', value: 'after restore' }] });
    note(restored);

    const rowsBefore = await countRows(server.database);
    const answer = await push(credential, chain.deviceId, restored.entries.slice(2));
    expect(answer.body.results).toEqual([
      expect.objectContaining({ seq: 3, outcome: 'rejected', acknowledged: false, reason: 'sequence-reused' }),
      expect.objectContaining({ seq: 4, outcome: 'rejected', acknowledged: false, reason: 'broken-link' }),
    ]);
    expect(answer.body.receipt.seq).toBe(3);
    expect((await deviceFlags(chain.deviceId)).map((flag) => [flag.kind, flag.seq])).toEqual([
      ['fork', 3],
      ['fork', 4],
    ]);
    const devices = (await call(server, 'GET', '/v1/admin/devices', { token: server.adminToken })).body.devices;
    expect(devices.find((d: { id: string }) => d.id === chain.deviceId).flagged).toBe(true);
    const rowsAfter = await countRows(server.database);
    expect({ ...rowsAfter, device_flags: rowsBefore.device_flags }).toEqual(rowsBefore);
  });

  it('refuses entries of another device and a body naming another device', async () => {
    const { chain, credential } = await enrolledChain('dev-push-own');
    const other = new TestChain('dev-push-other');
    other.openSession('op-ines');
    const answer = await push(credential, chain.deviceId, other.entries);
    expect(answer.body.results[0]).toMatchObject({ outcome: 'rejected', acknowledged: false, reason: 'wrong-device' });
    const mismatch = await push(credential, other.deviceId, other.entries);
    expect(mismatch.status).toBe(403);
    expect(mismatch.body.code).toBe('device-mismatch');
  });

  it('flags entries from a clock the device measured to be implausibly wrong and orders them by receipt; corrects a plausible offset', async () => {
    const { chain, credential } = await enrolledChain('dev-push-skew');
    const skewed = note(chain);
    const threeDays = 3 * 24 * 60 * 60 * 1000;
    const sentAt = skewed.body.deviceTime;
    server.clock.ms = sentAt + threeDays;
    // The device's last exchange showed the office three days ahead of it.
    const sample = { sentAt: sentAt - 10, officeReceivedAt: sentAt + threeDays - 9, officeRepliedAt: sentAt + threeDays - 8, answeredAt: sentAt - 7 };
    const answer = await push(credential, chain.deviceId, chain.entries, { sentAt, clockSample: sample });
    expect(answer.body.clock).toEqual({ correctionMs: threeDays - 1, flag: 'clock-skew' });
    const stored = await server.database.db.select().from(journalEntries).where(eq(journalEntries.deviceId, chain.deviceId));
    expect(stored.map((row) => [row.skewFlagged, row.effectiveTime])).toEqual([
      [true, server.clock.now()],
      [true, server.clock.now()],
    ]);
    expect((await deviceFlags(chain.deviceId)).map((flag) => flag.kind)).toEqual(['clock-skew']);

    // Five minutes behind, as the device measured on its last exchange, is plausible: entry times
    // are corrected by it, nothing is flagged.
    const late = note(chain);
    const lateSentAt = late.body.deviceTime + 1000;
    const fiveMinutes = 5 * 60 * 1000;
    server.clock.ms = lateSentAt + fiveMinutes;
    const measured = { sentAt: late.body.deviceTime - 20, officeReceivedAt: late.body.deviceTime - 20 + fiveMinutes, officeRepliedAt: late.body.deviceTime - 19 + fiveMinutes, answeredAt: late.body.deviceTime - 19 };
    const corrected = await push(credential, chain.deviceId, [late], { sentAt: lateSentAt, clockSample: measured });
    expect(corrected.body.clock).toEqual({ correctionMs: fiveMinutes, flag: null });
    expect(corrected.body.time).toEqual({ receivedAt: server.clock.now(), repliedAt: server.clock.now() });
    const [row] = await server.database.db
      .select()
      .from(journalEntries)
      .where(and(eq(journalEntries.deviceId, chain.deviceId), eq(journalEntries.seq, late.body.seq)));
    expect(row).toMatchObject({ skewFlagged: false, effectiveTime: late.body.deviceTime + fiveMinutes });
  });

  it('orders an entry dated ten years ahead by its receipt, flagged, so it cannot beat a later concurrent edit; and one dated before its own anchored chain', async () => {
    const order = await call(server, 'POST', '/v1/office/work-orders', { token: dispatcherToken, body: { siteId: 'site-north', title: 'Forged clock race', statusNote: 'new' } });
    const { chain: forger, credential: forgerCredential } = await enrolledChain('dev-push-forger');
    const { chain: honest, credential: honestCredential } = await enrolledChain('dev-push-honest');
    const tenYears = 10 * 365 * 24 * 60 * 60 * 1000;
    const edit = (value: string) => ({ recordType: 'workOrder', recordId: order.body.record.id, action: 'update' as const, baseVersion: 1, ops: [{ op: 'set' as const, field: 'statusNote', value }] });
    server.clock.ms = Math.max(server.clock.ms, forger.entries.at(-1)!.body.deviceTime, honest.entries.at(-1)!.body.deviceTime) + 60_000;

    const forged = forger.record(edit('forged: ten years ahead'), { deviceTime: server.clock.now() + tenYears });
    const answer = await push(forgerCredential, forger.deviceId, forger.entries);
    expect(answer.body.results.at(-1)).toMatchObject({ seq: forged.body.seq, outcome: 'accepted', acknowledged: true });
    expect(answer.body.clock).toEqual({ correctionMs: 0, flag: null });
    const [stored] = await server.database.db
      .select()
      .from(journalEntries)
      .where(and(eq(journalEntries.deviceId, forger.deviceId), eq(journalEntries.seq, forged.body.seq)));
    expect(stored).toMatchObject({ skewFlagged: true, effectiveTime: server.clock.now() });
    expect(await deviceFlags(forger.deviceId)).toEqual([
      expect.objectContaining({ kind: 'entry-time', seq: forged.body.seq, detail: expect.objectContaining({ entries: [{ seq: forged.body.seq, reason: 'time-in-future' }] }) }),
    ]);

    // A concurrent edit made a minute later, by an honest clock, is the last one and stays.
    server.clock.advance(60_000);
    honest.record(edit('honest: made last'), { deviceTime: server.clock.now() });
    await push(honestCredential, honest.deviceId, honest.entries);
    const kept = await call(server, 'GET', `/v1/office/records/workOrder/${order.body.record.id}`, { token: dispatcherToken });
    expect(kept.body.fields.statusNote).toBe('honest: made last');

    // An entry dated an hour before what the honest device's chain already anchored is backdated.
    server.clock.advance(60_000);
    const backdated = honest.record({ recordId: 'note-backdated' }, { deviceTime: server.clock.now() - 60 * 60 * 1000 });
    await push(honestCredential, honest.deviceId, [backdated]);
    const [late] = await server.database.db
      .select()
      .from(journalEntries)
      .where(and(eq(journalEntries.deviceId, honest.deviceId), eq(journalEntries.seq, backdated.body.seq)));
    expect(late).toMatchObject({ skewFlagged: true, effectiveTime: server.clock.now() });
    expect((await deviceFlags(honest.deviceId)).map((flag) => [flag.kind, (flag as { detail?: { entries?: unknown } }).detail?.entries])).toEqual([
      ['entry-time', [{ seq: backdated.body.seq, reason: 'time-before-anchor' }]],
    ]);
  });

  it('tells a client below the supported schema window to update, and a client above it that it is not supported', async () => {
    const { chain, credential } = await enrolledChain('dev-push-old');
    const rowsBefore = await countRows(server.database);
    const old = await push(credential, chain.deviceId, chain.entries, { schemaVersion: 0 });
    expect(old.status).toBe(426);
    expect(old.body).toMatchObject({ code: 'update-required', minimumVersion: 1, currentVersion: CURRENT_SCHEMA_VERSION });
    const pull = await call(server, 'POST', '/v1/sync/pull', { token: credential, body: { schemaVersion: 0, legacyShape: true } });
    expect(pull.status).toBe(426);
    const future = await push(credential, chain.deviceId, chain.entries, { schemaVersion: CURRENT_SCHEMA_VERSION + 1 });
    expect(future.status).toBe(400);
    expect(future.body.code).toBe('schema-version-unsupported');
    expect(await countRows(server.database)).toEqual(rowsBefore);
  });

  it('answers malformed pushes with 400 naming the problem and writes nothing', async () => {
    const { chain, credential } = await enrolledChain('dev-push-bad');
    const rowsBefore = await countRows(server.database);
    const cases: [string, unknown][] = [
      ['no entries', { schemaVersion: 1, deviceId: chain.deviceId, sentAt: 0, entries: [] }],
      ['sentAt as text', { schemaVersion: 1, deviceId: chain.deviceId, sentAt: 'now', entries: chain.entries }],
      ['an extra key', { schemaVersion: 1, deviceId: chain.deviceId, sentAt: 0, entries: chain.entries, admin: true }],
      ['an entry without a sequence number to answer it by', { schemaVersion: 1, deviceId: chain.deviceId, sentAt: 0, entries: [{ hash: chain.entries[0]!.hash }] }],
      [`${MAX_PUSH_ENTRIES + 1} entries`, { schemaVersion: 1, deviceId: chain.deviceId, sentAt: 0, entries: Array(MAX_PUSH_ENTRIES + 1).fill(chain.entries[0]) }],
    ];
    for (const [what, body] of cases) {
      const answer = await call(server, 'POST', '/v1/sync/push', { token: credential, body });
      expect(answer.status, what).toBe(400);
      expect(answer.body.code, what).toBe('invalid-request');
      expect(answer.body.message, what).toMatch(/^invalid request body: /);
    }
    const poisoned = await call(server, 'POST', '/v1/sync/push', {
      token: credential,
      rawBody: `{"schemaVersion":1,"deviceId":"${chain.deviceId}","sentAt":0,"entries":[],"__proto__":{"x":1}}`,
    });
    expect(poisoned.status).toBe(400);
    const truncated = await call(server, 'POST', '/v1/sync/push', { token: credential, rawBody: '{"schemaVersion":1,"entries":[' });
    expect(truncated.status).toBe(400);
    // An entry that names its place in the chain is answered on its own, and the request stands.
    const unsigned = await push(credential, chain.deviceId, [{ ...chain.entries[0], signature: undefined }]);
    expect(unsigned.status).toBe(200);
    expect(unsigned.body.results).toEqual([
      expect.objectContaining({ seq: 1, outcome: 'rejected', acknowledged: false, reason: 'malformed', message: expect.stringMatching(/^entry does not match the journal format: signature/) }),
    ]);
    expect(await countRows(server.database)).toEqual(rowsBefore);
  });
});

describe('conflict policies on push', () => {
  it('refuses a device edit of an office-owned field changed concurrently, and applies its own fields', async () => {
    const { chain, credential } = await enrolledChain('dev-policy-owner');
    const created = await call(server, 'POST', '/v1/office/work-orders', {
      token: dispatcherToken,
      body: { id: 'wo-owner', siteId: 'site-north', title: 'Brake check trailer 40', assignee: 'op-ines' },
    });
    expect(created.status).toBe(201);
    expect(created.body.record).toMatchObject({ version: 1, fields: { title: 'Brake check trailer 40', status: 'open', assignee: 'op-ines' } });

    // The office retitles it (version 2) while the device, still on version 1, edits title and status.
    const retitled = await call(server, 'PATCH', '/v1/office/work-orders/wo-owner', { token: dispatcherToken, body: { set: { title: 'Brake and light check' } } });
    expect(retitled.body).toMatchObject({ outcome: 'accepted', record: { version: 2 } });
    chain.record({
      recordType: 'workOrder',
      recordId: 'wo-owner',
      action: 'update',
      baseVersion: 1,
      ops: [
        { op: 'set', field: 'title', value: 'Device title' },
        { op: 'set', field: 'status', value: 'in-progress' },
      ],
    });
    const answer = await push(credential, chain.deviceId, chain.entries);
    const result = answer.body.results[1];
    expect(result).toMatchObject({ outcome: 'merged', acknowledged: true, record: { type: 'workOrder', id: 'wo-owner', version: 3 } });
    expect(result.fields.map((f: { field: string; outcome: string }) => [f.field, f.outcome])).toEqual([
      ['title', 'rejected'],
      ['status', 'applied'],
    ]);
    expect(answer.body.records[0]).toMatchObject({ version: 3, fields: { title: 'Brake and light check', status: 'in-progress' } });
  });

  it('refuses a correction naming an unknown or unsubmitted gate event (a device must not be trusted on this), and accepts one of a submitted event', async () => {
    const { chain, credential } = await enrolledChain('dev-policy-correction');
    const gateEvent = (recordId: string, correctsId: string | null) =>
      chain.record({
        recordType: 'gateEvent',
        recordId,
        ops: [
          { op: 'set', field: 'siteId', value: NORTH },
          { op: 'set', field: 'direction', value: 'in' },
          { op: 'set', field: 'truckPlate', value: 'TX-5150' },
          { op: 'set', field: 'carrier', value: 'Lone Star Drayage' },
          { op: 'set', field: 'containerNumber', value: 'CSQU3054383' },
          { op: 'set', field: 'recordedAt', value: server.clock.now() },
          { op: 'set', field: 'correctsId', value: correctsId },
        ],
      });
    gateEvent('gate-draft', null);
    gateEvent('gate-fixes-unknown', 'gate-never-recorded');
    gateEvent('gate-fixes-draft', 'gate-draft');
    chain.record({ recordType: 'gateEvent', recordId: 'gate-draft', action: 'submit', ops: [], baseVersion: 1 });
    gateEvent('gate-fixes-submitted', 'gate-draft');
    const answer = await push(credential, chain.deviceId, chain.entries);
    const outcomes = answer.body.results.slice(1).map((result: { outcome: string; reason?: string }) => [result.outcome, result.reason]);
    expect(outcomes).toEqual([
      ['accepted', undefined],
      ['rejected', 'invalid-correction'],
      ['rejected', 'invalid-correction'],
      ['accepted', undefined],
      ['accepted', undefined],
    ]);
    expect(answer.body.results[2].message).toMatch(/gate-never-recorded\) does not exist/);
    expect(answer.body.results[3].message).toMatch(/only a submitted gate event can be corrected/);
    const stored = await server.database.db.select({ id: records.id }).from(records).where(eq(records.type, 'gateEvent'));
    expect(stored.map((row) => row.id).filter((id) => id.startsWith('gate-')).sort()).toEqual(['gate-draft', 'gate-fixes-submitted']);
  });

  it('acknowledges but refuses an entry by an operator of another site', async () => {
    const chain = new TestChain('dev-policy-operator');
    const { credential } = await enrollDevice(server, chain);
    chain.openSession(SOUTH_INSPECTOR.operatorId);
    note(chain);
    const answer = await push(credential, chain.deviceId, chain.entries);
    expect(answer.body.results[1]).toMatchObject({ outcome: 'rejected', acknowledged: true, reason: 'operator-not-allowed' });
    expect(answer.body.receipt.seq).toBe(2);
    expect(await server.database.db.select().from(records).where(eq(records.id, 'note-dev-policy-operator-2'))).toEqual([]);
  });

  it('keeps a deleted work order deleted: a stale device update is refused, kept and filed for review', async () => {
    const { chain, credential } = await enrolledChain('dev-policy-tombstone');
    await call(server, 'POST', '/v1/office/work-orders', { token: dispatcherToken, body: { id: 'wo-gone', siteId: 'site-north', title: 'Reefer check' } });
    const deleted = await call(server, 'DELETE', '/v1/office/work-orders/wo-gone', { token: dispatcherToken });
    expect(deleted.body).toMatchObject({ outcome: 'accepted', record: { version: 2, deleted: true } });

    chain.record({ recordType: 'workOrder', recordId: 'wo-gone', action: 'update', baseVersion: 1, ops: [{ op: 'set', field: 'status', value: 'done' }] });
    const answer = await push(credential, chain.deviceId, chain.entries);
    expect(answer.body.results[1]).toMatchObject({ outcome: 'rejected', acknowledged: true, reason: 'record-deleted', record: { version: 2 } });
    expect(answer.body.records).toEqual([expect.objectContaining({ id: 'wo-gone', version: 2, deleted: true, fields: expect.objectContaining({ status: 'open' }) })]);
    const review = await server.database.db.select().from(reviewItems).where(eq(reviewItems.recordId, 'wo-gone'));
    expect(review).toEqual([expect.objectContaining({ field: '*', status: 'open', proposedValue: [{ op: 'set', field: 'status', value: 'done' }] })]);
  });
});
