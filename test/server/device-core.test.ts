import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSigner } from '../../protocol/crypto/ed25519.js';
import { hexToBytes } from '../../protocol/crypto/hash.js';
import type { RecordType } from '../../protocol/records/index.js';
import { CURRENT_SCHEMA_VERSION, pushResponseSchema, verifyAnchorReceipt } from '../../protocol/wire.js';
import { INSPECTOR, openTestDevice, type TestDevice } from '../support/device.js';
import { NORTH, call, enrollDevice, seedOrganisation, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let device: TestDevice;

beforeAll(async () => {
  server = await startTestServer();
  await seedOrganisation(server);
  device = openTestDevice({ seed: 'server-device-core', clock: server.clock });
});
afterAll(async () => {
  device?.core.close();
  await server?.close();
});

async function pushJournal(credential: string, fromSeq: number) {
  const entries = device.core.journal({ fromSeq });
  const answer = await call(server, 'POST', '/v1/sync/push', {
    token: credential,
    body: { schemaVersion: CURRENT_SCHEMA_VERSION, deviceId: device.core.deviceId, sentAt: device.clock.now(), entries },
  });
  expect(answer.status).toBe(200);
  return { entries, response: pushResponseSchema.parse(answer.body) };
}

it('accepts what a real device core journaled, over HTTP, and agrees with the device on every record', async () => {
  const { core, keyStore } = device;
  const enrolled = await enrollDevice(server, { deviceId: core.deviceId, deviceSigner: createSigner(keyStore.deviceSeed(), 'tweetnacl') });
  expect(enrolled.siteId).toBe(NORTH);

  core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
  const gate = core.perform({
    recordType: 'gateEvent',
    action: 'create',
    ops: [
      { op: 'set', field: 'siteId', value: NORTH },
      { op: 'set', field: 'direction', value: 'in' },
      { op: 'set', field: 'truckPlate', value: ' 7XKZ215 ' },
      { op: 'set', field: 'carrier', value: 'Bayline Freight' },
      { op: 'set', field: 'containerNumber', value: 'CSQU3054383' },
      { op: 'set', field: 'recordedAt', value: device.clock.now() },
      { op: 'add', field: 'sealNumbers', member: 'SL-0042' },
    ],
  });
  device.clock.advance(30_000);
  core.perform({ recordType: 'gateEvent', recordId: gate.record.id, action: 'submit', ops: [{ op: 'add', field: 'sealNumbers', member: 'SL-0043' }] });
  const count = core.perform({
    recordType: 'yardCount',
    action: 'create',
    ops: [
      { op: 'set', field: 'siteId', value: NORTH },
      { op: 'set', field: 'location', value: 'Row C' },
      { op: 'set', field: 'itemCode', value: 'CHASSIS-40' },
      { op: 'increment', field: 'tally', by: 3 },
    ],
  });
  core.perform({ recordType: 'yardCount', recordId: count.record.id, action: 'update', ops: [{ op: 'increment', field: 'tally', by: 2 }] });

  const { entries, response } = await pushJournal(enrolled.credential, 1);
  expect(response.results.map((r) => [r.seq, r.outcome, r.acknowledged])).toEqual(entries.map((e) => [e.body.seq, 'accepted', true]));
  expect(verifyAnchorReceipt(response.receipt, hexToBytes(enrolled.serverPublicKey))).toBe(true);
  expect(response.receipt).toMatchObject({ seq: core.status().journal.lastSeq, head: core.status().journal.head });
  for (const record of response.records) {
    const local = core.getRecord(record.type as RecordType, record.id)!;
    expect(record.fields, `${record.type} ${record.id}`).toEqual(local.fields);
  }
  expect(response.records.find((r) => r.id === gate.record.id)?.fields).toMatchObject({
    truckPlate: '7XKZ215',
    status: 'submitted',
    sealNumbers: ['SL-0042', 'SL-0043'],
  });
  expect(response.records.find((r) => r.id === count.record.id)).toMatchObject({ version: 2, fields: { tally: 5 } });
  core.acknowledge(response.results.filter((r) => r.acknowledged).map((r) => r.seq));

  // Signing out journals a session.close; it extends the anchored chain and is accepted too.
  const before = core.status().journal.lastSeq;
  core.signOut();
  const closed = await pushJournal(enrolled.credential, before + 1);
  expect(closed.entries.map((e) => e.body.kind)).toEqual(['session.close']);
  expect(closed.response.results).toEqual([expect.objectContaining({ outcome: 'accepted', acknowledged: true })]);
  expect(closed.response.receipt.seq).toBe(before + 1);
});
