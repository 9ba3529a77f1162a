import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../protocol/crypto/hash.js';
import { CURRENT_SCHEMA_VERSION, reviewItemPageSchema } from '../../protocol/wire.js';
import { consoleAccount, signIn } from '../support/console.js';
import { type FieldDevice, enrolledDevice, officeUser, officeWithReviewer } from '../support/field-devices.js';
import { signaturePng } from '../support/inspection.js';
import { makePng } from '../support/png.js';
import { call, type TestServer } from '../support/server.js';

let server: TestServer;
let dispatcherToken: string;
let reviewerToken: string;

beforeAll(async () => {
  ({ server, dispatcherToken, reviewerToken } = await officeWithReviewer('user-rita'));
});
afterAll(async () => server?.close());

function file(bytes: Uint8Array): { bytes: Uint8Array; sha256: string } {
  return { bytes, sha256: sha256Hex(bytes) };
}

/** Sends the files whole, as a device's upload pass sends signatures and small photos. */
async function upload(device: FieldDevice, files: { bytes: Uint8Array; sha256: string }[]): Promise<void> {
  const attachments = files.map(({ bytes, sha256 }) => ({ sha256, size: bytes.byteLength, mimeType: 'image/png', content: Buffer.from(bytes).toString('base64') }));
  const answer = await call(server, 'POST', '/v1/attachments/batch', { token: device.credential, body: { schemaVersion: CURRENT_SCHEMA_VERSION, attachments } });
  expect(answer.body.attachments.every((status: { stored?: boolean }) => status.stored)).toBe(true);
}

async function photoOf(itemId: number, sha256: string, headers: Record<string, string>): Promise<{ status: number; type: string | null; headers: Headers; sha256: string }> {
  const response = await fetch(`${server.url}/v1/office/review-items/${itemId}/attachments/${sha256}`, { headers });
  return { status: response.status, type: response.headers.get('content-type'), headers: response.headers, sha256: sha256Hex(new Uint8Array(await response.arrayBuffer())) };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe("a review item's photos", () => {
  it('are served to those who see the review queue: the bytes once uploaded, 204 before, 404 for what the record never named, 403 to other roles and organisations', async () => {
    const cab = await enrolledDevice(server, 'dev-photo-cab');
    const kiosk = await enrolledDevice(server, 'dev-photo-kiosk');
    const cabSignature = file(signaturePng('cab'));
    const kioskSignature = file(signaturePng('kiosk'));
    const damage = file(makePng({ width: 64, height: 48, rgb: [150, 90, 40] }));
    const notSent = file(makePng({ width: 64, height: 48, rgb: [40, 90, 150] }));
    const elsewhere = file(makePng({ rgb: [1, 2, 3] }));
    await upload(cab, [cabSignature, damage, elsewhere]);
    await upload(kiosk, [kioskSignature]);

    cab.chain.record({
      recordType: 'inspection',
      recordId: 'insp-photos',
      ops: [
        { op: 'set', field: 'templateId', value: 'dvir-power-unit' },
        { op: 'set', field: 'equipmentNumber', value: 'TRK-2040' },
      ],
    });
    await cab.push();
    // Both sign version 1; the second signature waits for a reviewer. The kiosk's photo is journaled, its bytes not sent yet.
    cab.chain.record({ recordType: 'inspection', recordId: 'insp-photos', action: 'update', baseVersion: 1, ops: [{ op: 'add', field: 'photos', member: damage.sha256 }, { op: 'set', field: 'signature', value: cabSignature.sha256 }] });
    expect((await cab.push()).results.at(-1)!.outcome).toBe('accepted');
    kiosk.chain.record({ recordType: 'inspection', recordId: 'insp-photos', action: 'update', baseVersion: 1, ops: [{ op: 'add', field: 'photos', member: notSent.sha256 }, { op: 'set', field: 'signature', value: kioskSignature.sha256 }] });
    expect((await kiosk.push()).results.at(-1)!.outcome).toBe('conflict');
    const page = reviewItemPageSchema.parse((await call(server, 'GET', '/v1/office/review-items?recordType=inspection', { token: reviewerToken })).body);
    const item = page.items.find((candidate) => candidate.recordId === 'insp-photos')!;
    expect(item).toMatchObject({ field: 'signature', current: cabSignature.sha256, proposed: kioskSignature.sha256 });

    for (const shown of [cabSignature, kioskSignature, damage]) {
      const answer = await photoOf(item.id, shown.sha256, bearer(reviewerToken));
      expect([answer.status, answer.type, answer.sha256]).toEqual([200, 'image/png', shown.sha256]);
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
      expect(answer.headers.get('cache-control')).toBe('no-store');
    }
    expect((await photoOf(item.id, notSent.sha256, bearer(reviewerToken))).status).toBe(204);
    await upload(kiosk, [notSent]);
    expect(await photoOf(item.id, notSent.sha256, bearer(reviewerToken))).toMatchObject({ status: 200, sha256: notSent.sha256 });
    // Held by the organisation, but not by this record: not this item's to show.
    expect((await photoOf(item.id, elsewhere.sha256, bearer(reviewerToken))).status).toBe(404);
    expect((await photoOf(999_999, damage.sha256, bearer(reviewerToken))).status).toBe(404);
    expect((await photoOf(item.id, 'not-a-hash', bearer(reviewerToken))).status).toBe(400);

    // Everyone who reads the queue, by token or by console session; nobody else.
    const auditor = await consoleAccount(server, 'aldo', 'auditor');
    const mechanic = await consoleAccount(server, 'max', 'maintenance');
    expect((await photoOf(item.id, damage.sha256, bearer(dispatcherToken))).status).toBe(200);
    expect((await photoOf(item.id, damage.sha256, bearer(auditor.token))).status).toBe(200);
    const session = await signIn(server, auditor);
    expect((await photoOf(item.id, damage.sha256, { cookie: session.cookie })).status).toBe(200);
    const refused = await photoOf(item.id, damage.sha256, bearer(mechanic.token));
    expect(refused.status).toBe(403);
    expect(refused.sha256).not.toBe(damage.sha256);
    expect((await photoOf(item.id, damage.sha256, bearer(cab.credential))).status).toBe(401);
    expect((await photoOf(item.id, damage.sha256, {})).status).toBe(401);
    await call(server, 'POST', '/v1/admin/organisations', { token: server.adminToken, body: { id: 'org-photos-other', name: 'Other Haulage' } });
    const outsider = await officeUser(server, 'user-photos-outsider', 'reviewer', 'org-photos-other');
    expect((await photoOf(item.id, damage.sha256, bearer(outsider))).status).toBe(403);
  });
});
