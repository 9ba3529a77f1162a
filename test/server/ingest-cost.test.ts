import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changes, recordVersions, recordWrites } from '../../server/db/schema.js';
import { enrolledDevice } from '../support/field-devices.js';
import { seedOrganisation, startTestServer, type TestServer } from '../support/server.js';

/**
 * What the office keeps and publishes for an inspection answered item by item, one entry per
 * answer as the app sends them: its cost per entry must not grow with the number of answers.
 */
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  await seedOrganisation(server);
});
afterAll(async () => server?.close());

function answer(item: number) {
  return item % 5 === 3 ? { result: 'fail', note: `worn; measured ${item} mm on the left side` } : { result: 'pass' };
}

async function answeredInspection(deviceId: string, answers: number) {
  const device = await enrolledDevice(server, deviceId);
  const recordId = `insp-${deviceId}`;
  device.chain.record({
    recordType: 'inspection',
    recordId,
    ops: [
      { op: 'set', field: 'templateId', value: 'dvir-power-unit' },
      { op: 'set', field: 'equipmentNumber', value: 'TRK-104' },
    ],
  });
  for (let item = 0; item < answers; item++) {
    device.chain.record({ recordType: 'inspection', recordId, action: 'update', baseVersion: null, ops: [{ op: 'set', field: 'items', key: `item-${item}`, value: answer(item) }] });
  }
  await device.push();
  const writes = await server.database.db.select().from(recordWrites).where(eq(recordWrites.recordId, recordId)).orderBy(asc(recordWrites.id));
  return { device, recordId, writes };
}

describe('an inspection pushed one answer per entry', () => {
  it('keeps per answer only the item it wrote, before and after, so a decision does not grow with the answers before it', async () => {
    const { writes } = await answeredInspection('dev-cost-20', 20);
    const answers = writes.slice(1);
    expect(answers).toHaveLength(20);
    for (const [item, write] of answers.entries()) {
      expect(write.decisions).toEqual([{ field: 'items', key: `item-${item}`, op: 'set', outcome: 'applied', written: answer(item), before: null, after: answer(item) }]);
    }
    // Equal answers cost the same whatever came before them (but for the digits of the item's key).
    const passes = answers.filter((_, item) => answer(item).result === 'pass').map((write) => JSON.stringify(write.decisions).length);
    expect(Math.max(...passes) - Math.min(...passes)).toBeLessThanOrEqual(2);
  });

  it('stores one version of the record and publishes it once per site for the whole batch; every write still says which version it made', async () => {
    const { recordId, writes } = await answeredInspection('dev-cost-once', 12);
    const versions = await server.database.db.select().from(recordVersions).where(eq(recordVersions.id, recordId));
    expect(versions.map((version) => [version.version, Object.keys(version.fields.items as object).length, version.writeId])).toEqual([[13, 12, writes.at(-1)!.id]]);
    const published = await server.database.db.select().from(changes).where(and(eq(changes.recordId, recordId), eq(changes.kind, 'record')));
    expect(published.map((change) => [change.siteId, change.version])).toEqual([['site-north', 13]]);
    expect(writes.map((write) => write.versionAfter)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
  });
});
