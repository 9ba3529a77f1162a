import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textProblem } from '../../protocol/text.js';
import { verifyAuditExport } from '../../server/audit/verify-export.js';
import { journalEntries, recordWrites, records } from '../../server/db/schema.js';
import { enrolledDevice, officeUser } from '../support/field-devices.js';
import { NORTH, SOUTH, call, countRows, seedOrganisation, startTestServer, type TestServer } from '../support/server.js';

/**
 * Text no string may hold (NUL, unpaired surrogates: protocol/text.ts) and writes outside a
 * device's scope, sent to the office in validly signed entries and in office API calls. Nothing
 * may answer 5xx, nothing may stop the entries after it, and nothing of it may reach a record.
 */
let server: TestServer;
let dispatcherToken: string;
let auditorToken: string;

beforeAll(async () => {
  server = await startTestServer();
  ({ dispatcherToken } = await seedOrganisation(server));
  auditorToken = await officeUser(server, 'user-audit-text', 'reviewer');
});
afterAll(async () => server?.close());

const HOSTILE_TEXT: [string, string][] = [
  ['a NUL character', 'brake line \u0000 chafed'],
  ['a lone high surrogate', 'brake line \ud800 chafed'],
  ['a lone low surrogate', '\udc00'],
];

async function storedEntries(deviceId: string) {
  return server.database.db.select().from(journalEntries).where(eq(journalEntries.deviceId, deviceId));
}

describe('a signed entry holding text no string may hold', () => {
  it.each(HOSTILE_TEXT)('with %s in a note is chained and refused on its own; the entries around it go through and the audit export verifies', async (label, hostile) => {
    const deviceId = `dev-text-${label.replaceAll(' ', '-')}`;
    const device = await enrolledDevice(server, deviceId);
    device.chain.record({ recordId: `${deviceId}-before` });
    const bad = device.chain.record({
      recordId: `${deviceId}-bad`,
      ops: [
        { op: 'set', field: 'subjectType', value: 'workOrder' },
        { op: 'set', field: 'subjectId', value: 'wo-1' },
        { op: 'set', field: 'body', value: hostile },
      ],
    });
    device.chain.record({ recordId: `${deviceId}-after` });

    const answer = await device.push();

    expect(answer.results.map((result) => [result.seq, result.outcome, result.acknowledged, result.reason ?? null])).toEqual([
      [1, 'accepted', true, null],
      [2, 'accepted', true, null],
      [bad.body.seq, 'rejected', true, 'invalid-text'],
      [4, 'accepted', true, null],
    ]);
    expect(answer.results[2]!.message).toBe('body.ops.2.value: text may not contain NUL characters or broken Unicode (unpaired surrogates)');
    expect(answer.receipt.seq).toBe(4);
    expect(answer.records.map((record) => record.id)).toEqual([`${deviceId}-before`, `${deviceId}-after`]);
    // The entry is kept verbatim in the device's trail; no record and no record history heard of it.
    expect((await storedEntries(deviceId)).map((row) => row.seq).sort()).toEqual([1, 2, 3, 4]);
    expect(await server.database.db.select().from(records).where(eq(records.id, `${deviceId}-bad`))).toEqual([]);
    expect(await server.database.db.select().from(recordWrites).where(eq(recordWrites.recordId, `${deviceId}-bad`))).toEqual([]);

    // A resend gets the same answers; the auditor's offline check agrees with the office's chain.
    expect((await call(server, 'POST', '/v1/sync/push', { token: device.credential, body: { schemaVersion: 1, deviceId, sentAt: server.clock.now(), entries: device.chain.entries } })).body.results).toEqual(answer.results);
    const exported = await fetch(`${server.url}/v1/audit/export?deviceId=${deviceId}`, { headers: { authorization: `Bearer ${auditorToken}` } });
    expect(exported.status).toBe(200);
    const verdict = verifyAuditExport(await exported.text());
    expect(verdict.problems).toEqual([]);
    expect(verdict.ok).toBe(true);
  });

  it('in a map key or an object key is refused for its content, and in a set member for its text', async () => {
    const device = await enrolledDevice(server, 'dev-text-keys');
    device.chain.record({ recordId: 'insp-text-keys', recordType: 'inspection', ops: [{ op: 'set', field: 'items', key: 'brakes\u0000', value: { result: 'pass' } }] });
    device.chain.record({ recordId: 'insp-text-keys-2', recordType: 'inspection', ops: [{ op: 'set', field: 'items', key: 'brakes', value: { result: 'pass', ['no\ud800te']: 'x' } }] });
    device.chain.record({ recordId: 'insp-text-keys-3', recordType: 'inspection', ops: [{ op: 'add', field: 'defects', member: 'cracked \u0000 lens' }] });
    device.chain.record({ recordId: 'dev-text-keys-after' });
    const answer = await device.push();
    expect(answer.results.slice(1).map((result) => [result.outcome, result.acknowledged, result.reason])).toEqual([
      ['rejected', true, 'invalid-content'],
      ['rejected', true, 'invalid-text'],
      ['rejected', true, 'invalid-text'],
      ['accepted', true, undefined],
    ]);
    for (const result of answer.results) expect(textProblem(result.message ?? '')).toBeNull();
  });
});

describe('writes outside the device scope', () => {
  it('are refused as out of scope without telling the other site record version or touching its history; the attempt stays in the device trail', async () => {
    await call(server, 'POST', '/v1/office/work-orders', { token: dispatcherToken, body: { id: 'wo-south-only', siteId: SOUTH, title: 'South yard only' } });
    await call(server, 'PATCH', '/v1/office/work-orders/wo-south-only', { token: dispatcherToken, body: { set: { statusNote: 'second version' } } });
    const device = await enrolledDevice(server, 'dev-text-scope');
    const attempt = device.chain.record({ recordType: 'workOrder', recordId: 'wo-south-only', action: 'update', baseVersion: 2, ops: [{ op: 'set', field: 'statusNote', value: 'from the north' }] });
    const answer = await device.push();
    const result = answer.results.find((entry) => entry.seq === attempt.body.seq)!;
    expect(result).toEqual({
      seq: attempt.body.seq,
      hash: attempt.hash,
      outcome: 'rejected',
      acknowledged: true,
      reason: 'out-of-scope',
      message: "out of scope: this record is not shared with this device's site",
    });
    expect(answer.records).toEqual([]);
    const history = await server.database.db.select().from(recordWrites).where(eq(recordWrites.recordId, 'wo-south-only'));
    expect(history.map((write) => write.origin)).toEqual(['office', 'office']);
    const [trail] = await server.database.db
      .select()
      .from(journalEntries)
      .where(and(eq(journalEntries.deviceId, 'dev-text-scope'), eq(journalEntries.seq, attempt.body.seq)));
    expect(trail?.result).toEqual(result);
  });
});

/** Percent-encoding as a client would send it, lone surrogates as their three generalized UTF-8 bytes. */
function percentEncoded(value: string): string {
  return [...value]
    .map((char) => {
      const unit = char.charCodeAt(0);
      if (unit < 0xd800 || unit > 0xdfff) return encodeURIComponent(char);
      return [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)].map((byte) => `%${byte.toString(16).toUpperCase()}`).join('');
    })
    .join('');
}

describe('the office API', () => {
  const admin = () => ({ token: server.adminToken });
  const dispatcher = () => ({ token: dispatcherToken });

  it.each(HOSTILE_TEXT)('refuses %s in any text with a 400 naming where, and writes nothing', async (_label, hostile) => {
    const before = await countRows(server.database);
    const attempts: [string, string, string, { token: string; body?: unknown }][] = [
      ['site name', 'POST', '/v1/admin/sites', { ...admin(), body: { organisationId: 'org-1', name: `Yard ${hostile}` } }],
      ['operator name', 'POST', '/v1/admin/operators', { ...admin(), body: { siteId: NORTH, badgeId: 'B900', displayName: hostile, role: 'inspector', pin: '2580' } }],
      ['work-order title', 'POST', '/v1/office/work-orders', { ...dispatcher(), body: { siteId: NORTH, title: hostile } }],
      ['work-order note', 'PATCH', '/v1/office/work-orders/wo-south-only', { ...dispatcher(), body: { set: { statusNote: hostile } } }],
      ['a key of a body', 'POST', '/v1/office/work-orders', { ...dispatcher(), body: { siteId: NORTH, title: 'ok', [hostile]: 1 } }],
      ['a record id in the path', 'GET', `/v1/office/records/workOrder/wo${percentEncoded(hostile)}`, dispatcher()],
      ['a query parameter', 'GET', `/v1/audit/export?deviceId=${percentEncoded(hostile)}`, { token: auditorToken }],
    ];
    for (const [what, method, path, options] of attempts) {
      const answer = await call(server, method, path, options);
      expect(answer.status, what).toBe(400);
      expect(answer.body.code, what).toBe('invalid-request');
      // A query string decodes broken bytes to U+FFFD, which the identifier rule then refuses.
      expect(answer.body.message, what).toMatch(what === 'a query parameter' ? /^invalid query: deviceId/ : /text may not contain NUL characters or broken Unicode/);
    }
    expect(await countRows(server.database)).toEqual(before);
  });
});
