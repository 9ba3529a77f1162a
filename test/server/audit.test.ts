import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex } from '../../protocol/crypto/hash.js';
import { AUDIT_EXPORT_CONTENT_TYPE, recordHistorySchema, signAnchorReceipt, type RecordHistory } from '../../protocol/wire.js';
import { verifyAuditExport } from '../../server/audit/verify-export.js';
import { seedFrom } from '../support/chain-fixtures.js';
import { forgedSessionChain, IDENTITY_POINT } from '../support/weak-keys.js';
import { tempDir } from '../support/device.js';
import { type FieldDevice, enrolledDevice, officeUser, officeWithReviewer } from '../support/field-devices.js';
import { NORTH, call, type TestServer } from '../support/server.js';

let server: TestServer;
let dispatcherToken: string;
let reviewerToken: string;

beforeAll(async () => {
  ({ server, dispatcherToken, reviewerToken } = await officeWithReviewer('user-audra'));
});
afterAll(async () => server?.close());

async function history(type: string, id: string, token = reviewerToken): Promise<RecordHistory> {
  const answer = await call(server, 'GET', `/v1/audit/records/${type}/${id}/history`, { token });
  expect(answer.status).toBe(200);
  return recordHistorySchema.parse(answer.body);
}

async function exportText(query: string, token = reviewerToken): Promise<{ status: number; text: string; contentType: string | null }> {
  const response = await fetch(`${server.url}/v1/audit/export?${query}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, text: await response.text(), contentType: response.headers.get('content-type') };
}

/** Runs the auditor's CLI on `text` as a file, the way an auditor would. */
function runCli(text: string, ...args: string[]): { status: number | null; stdout: string } {
  const file = join(tempDir('waypost-audit-'), 'export.jsonl');
  writeFileSync(file, text);
  const result = spawnSync('npm', ['run', '--silent', 'verify-audit', '--', file, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout };
}

/** A device with two sessions and several notes, all pushed: 1 open, 2-4 notes, 5 close, 6 open, 7-8 notes. */
async function deviceWithTwoSessions(deviceId: string): Promise<FieldDevice> {
  const device = await enrolledDevice(server, deviceId);
  for (let i = 0; i < 3; i++) device.chain.record({ recordId: `note-${deviceId}-${i}` });
  device.chain.close();
  device.chain.openSession('op-gus');
  for (let i = 3; i < 5; i++) device.chain.record({ recordId: `note-${deviceId}-${i}` });
  await device.push();
  return device;
}

const entryLine = (text: string, seq: number) => text.split('\n').findIndex((line) => line.includes('"type":"entry"') && line.includes(`"seq":${seq},`)) + 1;

describe('record history', () => {
  it('shows every write with who, device, device and server time, gap, outcome and the versions that lost', async () => {
    const cab = await enrolledDevice(server, 'dev-aud-owner');
    await call(server, 'POST', '/v1/office/work-orders', { token: dispatcherToken, body: { id: 'wo-aud', siteId: NORTH, title: 'Brake check', assignee: 'op-ines' } });
    await call(server, 'PATCH', '/v1/office/work-orders/wo-aud', { token: dispatcherToken, body: { set: { title: 'Brake and light check' } } });
    const edit = cab.chain.record({
      recordType: 'workOrder',
      recordId: 'wo-aud',
      action: 'update',
      baseVersion: 1,
      ops: [
        { op: 'set', field: 'title', value: 'Device title' },
        { op: 'set', field: 'status', value: 'in-progress' },
      ],
    });
    server.clock.ms = edit.body.deviceTime + 90_000;
    await cab.push();

    const { record, versions, writes } = await history('workOrder', 'wo-aud');
    expect(record).toMatchObject({ version: 3, fields: { title: 'Brake and light check', status: 'in-progress' } });
    expect(versions.map((version) => [version.version, version.fields.title])).toEqual([
      [1, 'Brake check'],
      [2, 'Brake and light check'],
      [3, 'Brake and light check'],
    ]);
    expect(writes.map((write) => [write.kind, write.action, write.outcome, write.versionAfter])).toEqual([
      ['office-edit', 'create', 'accepted', 1],
      ['office-edit', 'update', 'accepted', 2],
      ['device-entry', 'update', 'merged', 3],
    ]);
    expect(writes[0]!.author).toMatchObject({ origin: 'office', userId: 'user-dora', userName: 'Dora Dispatcher', deviceId: null });
    expect(writes[2]).toMatchObject({
      author: { origin: 'field', operatorId: 'op-ines', operatorName: 'Ines Inspector', deviceId: 'dev-aud-owner', seq: edit.body.seq, deviceTime: edit.body.deviceTime, receivedAt: server.clock.now() },
      entryHash: edit.hash,
      gapMs: 90_000,
      losingVersions: [{ field: 'title', outcome: 'rejected', value: 'Device title', kept: 'Brake and light check' }],
    });
  });

  it("shows a conflict's losing version and the reviewer's decision with what they did not keep", async () => {
    const cabA = await enrolledDevice(server, 'dev-aud-rev-a');
    const cabB = await enrolledDevice(server, 'dev-aud-rev-b');
    cabA.chain.record({
      recordType: 'billingLine',
      recordId: 'bl-aud',
      ops: [
        { op: 'set', field: 'workOrderId', value: 'wo-1' },
        { op: 'set', field: 'description', value: 'Brake pads' },
        { op: 'set', field: 'quantity', value: 2 },
      ],
    });
    await cabA.push();
    cabB.chain.record({ recordType: 'billingLine', recordId: 'bl-aud', action: 'update', baseVersion: 1, ops: [{ op: 'set', field: 'quantity', value: 3 }] });
    await cabB.push();
    cabA.chain.record({ recordType: 'billingLine', recordId: 'bl-aud', action: 'update', baseVersion: 1, ops: [{ op: 'set', field: 'quantity', value: 5 }] });
    await cabA.push();

    const filed = await history('billingLine', 'bl-aud');
    const conflict = filed.writes.at(-1)!;
    expect(conflict).toMatchObject({ kind: 'device-entry', outcome: 'conflict', losingVersions: [{ field: 'quantity', outcome: 'review', value: 5, kept: 3 }] });
    expect(conflict.reviewItemIds).toHaveLength(1);

    const decided = await call(server, 'POST', `/v1/office/review-items/${conflict.reviewItemIds[0]}/resolve`, {
      token: reviewerToken,
      body: { choice: 'merged', value: 4, reason: 'one pallet was returned' },
    });
    expect(decided.status).toBe(200);
    const { writes, versions } = await history('billingLine', 'bl-aud');
    expect(writes.at(-1)).toMatchObject({
      kind: 'review-decision',
      author: { origin: 'office', userId: 'user-audra', userName: 'reviewer user-audra' },
      review: { itemId: conflict.reviewItemIds[0], choice: 'merged', reason: 'one pallet was returned' },
      losingVersions: [
        { field: 'quantity', outcome: 'not-chosen', value: 3, kept: 4 },
        { field: 'quantity', outcome: 'not-chosen', value: 5, kept: 4 },
      ],
      versionAfter: 4,
    });
    expect(versions.map((version) => [version.version, version.fields.quantity, version.pendingReview])).toEqual([
      [1, 2, false],
      [2, 3, false],
      [3, 3, true],
      [4, 4, false],
    ]);
  });

  it('is for reviewers and admins of the organisation, and names unknown records as such', async () => {
    expect((await call(server, 'GET', '/v1/audit/records/workOrder/wo-aud/history', { token: dispatcherToken })).status).toBe(403);
    expect((await call(server, 'GET', '/v1/audit/records/workOrder/wo-never/history', { token: reviewerToken })).status).toBe(404);
    expect((await call(server, 'GET', '/v1/audit/records/planet/wo-aud/history', { token: reviewerToken })).status).toBe(404);
    await call(server, 'POST', '/v1/admin/organisations', { token: server.adminToken, body: { id: 'org-elsewhere', name: 'Elsewhere' } });
    const outsider = await officeUser(server, 'user-aud-outsider', 'reviewer', 'org-elsewhere');
    expect((await call(server, 'GET', '/v1/audit/records/workOrder/wo-aud/history', { token: outsider })).status).toBe(403);
    expect((await exportText('deviceId=dev-aud-owner', outsider)).status).toBe(403);
  });
});

describe('audit export', () => {
  it('exports a device journal that the offline CLI verifies, and names the entry of a one-byte tamper', async () => {
    const device = await deviceWithTwoSessions('dev-aud-cli');
    const exported = await exportText(`deviceId=${device.chain.deviceId}`);
    expect(exported.status).toBe(200);
    expect(exported.contentType).toContain(AUDIT_EXPORT_CONTENT_TYPE);
    const lines = exported.text.trim().split('\n').map((line) => JSON.parse(line));
    expect(lines.map((line) => line.type)).toEqual(['header', 'device', ...Array(8).fill('entry'), 'receipt']);
    expect(lines.filter((line) => line.type === 'entry').map((line) => line.entry)).toEqual(device.chain.entries);

    const pinned = bytesToHex(server.serverSigner.publicKey);
    const verified = runCli(exported.text, '--server-key', pinned);
    expect(verified.status).toBe(0);
    expect(verified.stdout).toContain('dev-aud-cli: OK (entries 1..8: 8 verified; server receipt verified)');

    // One byte of a note's text changed after signing: that entry fails, by sequence number and line.
    const target = entryLine(exported.text, 3);
    const tampered = exported.text.replace('"observation 2"', '"observation 3"');
    expect(tampered).not.toBe(exported.text);
    const failed = runCli(tampered, '--server-key', pinned);
    expect(failed.status).toBe(1);
    expect(failed.stdout).toContain(`dev-aud-cli: FAILED at entry 3 (line ${target}): hash-mismatch`);
    expect(failed.stdout).toContain('verdict: FAILED');
  });

  it('verifies a range that starts inside a session from the certificate in force, and a time range over several devices', async () => {
    server.clock.advance(60_000);
    const pushedAt = server.clock.now();
    const first = await deviceWithTwoSessions('dev-aud-range-1');
    server.clock.advance(60_000);
    const second = await deviceWithTwoSessions('dev-aud-range-2');

    // Entries 7..8 are signed by the session opened at 6; the export carries its certificate.
    const partial = await exportText(`deviceId=${first.chain.deviceId}&fromSeq=7&toSeq=8`);
    const device = JSON.parse(partial.text.split('\n')[1]!);
    expect(device.start).toMatchObject({ seq: 6, head: first.chain.entry(6).hash, session: { closed: false, certificate: { certificate: { operatorId: 'op-gus' } } } });
    expect(verifyAuditExport(partial.text).devices).toEqual([expect.objectContaining({ deviceId: first.chain.deviceId, ok: true, entriesVerified: 2 })]);
    // Right after a close, the next entry must open a session: 6 alone verifies from a closed start.
    expect(verifyAuditExport((await exportText(`deviceId=${first.chain.deviceId}&fromSeq=6&toSeq=6`)).text).ok).toBe(true);

    const window = await exportText(`from=${pushedAt}&to=${server.clock.now() + 1}`);
    const verdict = verifyAuditExport(window.text, { serverPublicKeyHex: bytesToHex(server.serverSigner.publicKey) });
    expect(verdict.devices.map((d) => [d.deviceId, d.ok, d.fromSeq, d.toSeq])).toEqual([
      [first.chain.deviceId, true, 1, 8],
      [second.chain.deviceId, true, 1, 8],
    ]);
    expect(verdict.ok).toBe(true);
    const later = await exportText(`from=${pushedAt + 1}&to=${server.clock.now() + 1}`);
    expect(verifyAuditExport(later.text).devices.map((d) => d.deviceId)).toEqual([second.chain.deviceId]);
  });

  it('catches a forged signature, a removed entry, a cut-off end, a foreign receipt key and a swapped start certificate', async () => {
    const device = await deviceWithTwoSessions('dev-aud-tamper');
    const { text } = await exportText(`deviceId=${device.chain.deviceId}`);
    const lines = text.trim().split('\n');
    const failureOf = (changed: string, options?: { serverPublicKeyHex?: string }) => {
      const verdict = verifyAuditExport(changed, options);
      expect(verdict.ok).toBe(false);
      return verdict.devices[0]!.failure;
    };

    const signed = JSON.parse(lines[entryLine(text, 4) - 1]!);
    signed.entry.signature = `${signed.entry.signature[0] === 'A' ? 'B' : 'A'}${signed.entry.signature.slice(1)}`;
    const forged = lines.map((line, index) => (index === entryLine(text, 4) - 1 ? JSON.stringify(signed) : line)).join('\n');
    expect(failureOf(forged)).toMatchObject({ seq: 4, code: 'bad-signature', line: entryLine(text, 4) });

    const withoutFive = lines.filter((_, index) => index !== entryLine(text, 5) - 1).join('\n');
    expect(failureOf(withoutFive)).toMatchObject({ seq: 6, code: 'sequence-gap' });

    const cutOff = lines.filter((_, index) => index !== entryLine(text, 8) - 1).join('\n');
    expect(failureOf(cutOff)).toMatchObject({ code: 'incomplete' });

    const foreignKey = bytesToHex(seedFrom('not the server'));
    expect(failureOf(text, { serverPublicKeyHex: foreignKey })).toMatchObject({ code: 'bad-receipt' });

    // A start certificate signed by another device key cannot vouch for the entries after it.
    const partial = (await exportText(`deviceId=${device.chain.deviceId}&fromSeq=7`)).text.split('\n');
    const other = await deviceWithTwoSessions('dev-aud-other');
    const otherStart = JSON.parse((await exportText(`deviceId=${other.chain.deviceId}&fromSeq=7`)).text.split('\n')[1]!).start;
    const swapped = JSON.parse(partial[1]!);
    swapped.start.session = otherStart.session;
    partial[1] = JSON.stringify(swapped);
    expect(failureOf(partial.join('\n'))).toMatchObject({ code: 'bad-start' });

    const garbage = verifyAuditExport(`${lines.slice(0, 3).join('\n')}\n{"type":"entry",\n${lines.slice(3).join('\n')}`);
    expect(garbage.ok).toBe(false);
    expect(garbage.problems).toEqual([expect.objectContaining({ line: 4, message: expect.stringContaining('not JSON') })]);
  });

  it('fails an export whose entries run in a session certified for the identity point, naming the entry and the weak key', async () => {
    // The office now refuses these entries, so the export an office fooled by them would have
    // written is made here: a genuine export of the same device with its entries swapped for the
    // forged ones, and a receipt the server key signed over the forged head.
    const honest = await enrolledDevice(server, 'dev-aud-weak');
    honest.chain.record({ recordId: 'note-dev-aud-weak-0' });
    honest.chain.record({ recordId: 'note-dev-aud-weak-1' });
    await honest.push();
    const honestText = (await exportText(`deviceId=dev-aud-weak`)).text;
    const lines = honestText.trim().split('\n').map((line) => JSON.parse(line));
    const forged = forgedSessionChain('dev-aud-weak', 2);
    const entryLines = lines.filter((line) => line.type === 'entry');
    expect(entryLines.map((line) => line.seq)).toEqual(forged.entries.map((entry) => entry.body.seq));
    for (const [i, line] of entryLines.entries()) line.entry = forged.entries[i];
    const receiptLine = lines.find((line) => line.type === 'receipt');
    receiptLine.receipt = signAnchorReceipt({ ...receiptLine.receipt, head: forged.head }, server.serverSigner);
    const text = lines.map((line) => JSON.stringify(line)).join('\n');
    const pinned = bytesToHex(server.serverSigner.publicKey);

    const verdict = verifyAuditExport(text, { serverPublicKeyHex: pinned });

    expect(verdict.ok).toBe(false);
    expect(verdict.devices[0]!.failure).toMatchObject({ seq: 1, line: entryLine(text, 1), code: 'bad-certificate', message: expect.stringMatching(/session key .* weak .* small order/) });
    const cli = runCli(text, '--server-key', pinned);
    expect(cli.status).toBe(1);
    expect(cli.stdout).toContain(`dev-aud-weak: FAILED at entry 1 (line ${entryLine(text, 1)}): bad-certificate: the session key the certificate names is weak`);

    // The same weak session as the start of a range, a weak device key and a weak receipt key are each named too.
    const deviceIndex = lines.findIndex((line) => line.type === 'device');
    const withStart = structuredClone(lines);
    const opening = forged.entry(1).body;
    if (opening.kind !== 'session.open') throw new Error('the forged chain opens with its session');
    withStart[deviceIndex].start = { seq: 1, head: forged.entry(1).hash, session: { certificate: opening.certificate, closed: false } };
    withStart[deviceIndex].fromSeq = 2;
    const fromTwo = withStart.filter((line) => line.type !== 'entry' || line.seq > 1).map((line) => JSON.stringify(line)).join('\n');
    expect(verifyAuditExport(fromTwo, { serverPublicKeyHex: pinned }).devices[0]!.failure).toMatchObject({
      code: 'bad-start',
      message: expect.stringMatching(/session key .* weak .* small order/),
    });
    const weakDevice = structuredClone(lines);
    weakDevice[deviceIndex].publicKey = bytesToHex(IDENTITY_POINT);
    expect(verifyAuditExport(weakDevice.map((line) => JSON.stringify(line)).join('\n')).devices[0]!.failure).toMatchObject({
      code: 'weak-device-key',
      message: expect.stringMatching(/small order/),
    });
    expect(verifyAuditExport(honestText, { serverPublicKeyHex: bytesToHex(IDENTITY_POINT) }).devices[0]!.failure).toMatchObject({
      code: 'bad-receipt',
      message: expect.stringMatching(/server key .* small order/),
    });
  });

  it('refuses exports it cannot make, without a partial file', async () => {
    const device = await deviceWithTwoSessions('dev-aud-refuse');
    const cases: [string, number, string?][] = [
      [`deviceId=${device.chain.deviceId}&fromSeq=5&toSeq=4`, 400],
      [`deviceId=${device.chain.deviceId}&toSeq=99`, 400],
      [`deviceId=${device.chain.deviceId}&fromSeq=0`, 400],
      ['deviceId=dev-nobody', 404],
      ['from=10&to=10', 400],
      ['from=10', 400],
      ['deviceId=x&from=1&to=2', 400],
      [`deviceId=${device.chain.deviceId}`, 403, dispatcherToken],
    ];
    for (const [query, status, token] of cases) {
      const answer = await exportText(query, token);
      expect(answer.status, query).toBe(status);
      expect(JSON.parse(answer.text).code, query).toBeTypeOf('string');
    }
  });
});
