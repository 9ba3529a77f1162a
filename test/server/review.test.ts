import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reviewItemPageSchema, resolvedReviewItemSchema, type ReviewItem } from '../../protocol/wire.js';
import { type FieldDevice, enrolledDevice, latestRecords, officeUser, officeWithReviewer } from '../support/field-devices.js';
import { SOUTH, call, countRows, type TestServer } from '../support/server.js';

let server: TestServer;
let dispatcherToken: string;
let reviewerToken: string;

beforeAll(async () => {
  ({ server, dispatcherToken, reviewerToken } = await officeWithReviewer('user-rita'));
});
afterAll(async () => server?.close());

/** A billing line made by `creator`, then edited concurrently on version 1 by each editor in turn. */
async function concurrentBillingEdits(lineId: string, creator: FieldDevice, field: 'quantity' | 'description', values: [FieldDevice, unknown][]) {
  creator.chain.record({
    recordType: 'billingLine',
    recordId: lineId,
    ops: [
      { op: 'set', field: 'workOrderId', value: 'wo-1' },
      { op: 'set', field: 'description', value: 'Brake pads' },
      { op: 'set', field: 'quantity', value: 2 },
    ],
  });
  await creator.push();
  const outcomes = [];
  for (const [editor, value] of values) {
    editor.chain.record({ recordType: 'billingLine', recordId: lineId, action: 'update', baseVersion: 1, ops: [{ op: 'set', field, value }] });
    const answer = await editor.push();
    outcomes.push(answer.results.at(-1)!.outcome);
  }
  return outcomes;
}

async function openItems(recordId: string): Promise<ReviewItem[]> {
  const answer = await call(server, 'GET', '/v1/office/review-items?status=open&recordType=billingLine', { token: reviewerToken });
  expect(answer.status).toBe(200);
  return reviewItemPageSchema.parse(answer.body).items.filter((item) => item.recordId === recordId);
}

const resolve = (id: number, body: unknown, token = reviewerToken) => call(server, 'POST', `/v1/office/review-items/${id}/resolve`, { token, body });

describe('review queue', () => {
  it("a reviewer's choice settles a conflict; the record leaves pending review and devices pull the decision", async () => {
    const cabA = await enrolledDevice(server, 'dev-rev-a');
    const cabB = await enrolledDevice(server, 'dev-rev-b');
    const outcomes = await concurrentBillingEdits('bl-rev-1', cabA, 'quantity', [
      [cabB, 3],
      [cabA, 5],
    ]);
    expect(outcomes).toEqual(['accepted', 'conflict']);
    expect(latestRecords(await cabB.pull()).get('bl-rev-1')).toMatchObject({ version: 3, pendingReview: true, fields: { quantity: 3 } });

    const [item] = await openItems('bl-rev-1');
    expect(item).toMatchObject({ field: 'quantity', current: 3, proposed: 5, status: 'open', decision: null, proposedBy: { deviceId: 'dev-rev-a', origin: 'field' } });

    // A dispatcher may read the queue but not decide; a decision without a reason or with an invalid value is refused.
    const rowsBefore = await countRows(server.database);
    expect((await resolve(item!.id, { choice: 'proposed', reason: 'looks right' }, dispatcherToken)).status).toBe(403);
    expect((await resolve(item!.id, { choice: 'proposed', reason: '  ' })).status).toBe(400);
    const invalid = await resolve(item!.id, { choice: 'merged', value: 'a few', reason: 'guess' });
    expect([invalid.status, invalid.body.message]).toEqual([400, expect.stringContaining('not a valid value of quantity')]);
    expect((await resolve(item!.id, { choice: 'proposed', reason: 'stale', expectedVersion: 2 })).status).toBe(409);
    expect(await countRows(server.database)).toEqual(rowsBefore);

    const decided = await resolve(item!.id, { choice: 'proposed', reason: 'A counted after the second pallet arrived', expectedVersion: 3 });
    expect(decided.status).toBe(200);
    const { item: settled, record } = resolvedReviewItemSchema.parse(decided.body);
    expect(record).toMatchObject({ version: 4, pendingReview: false, fields: { quantity: 5 } });
    expect(settled).toMatchObject({ status: 'resolved', decision: { choice: 'proposed', value: 5, userId: 'user-rita', version: 4 } });

    // Both devices get the decided version on their next pull.
    expect(latestRecords(await cabB.pull()).get('bl-rev-1')).toMatchObject({ version: 4, pendingReview: false, fields: { quantity: 5 } });
    expect(latestRecords(await cabA.pull()).get('bl-rev-1')).toMatchObject({ version: 4, pendingReview: false });

    const again = await resolve(item!.id, { choice: 'current', reason: 'second thoughts' });
    expect([again.status, again.body.code]).toEqual([409, 'conflict']);
    expect(await openItems('bl-rev-1')).toEqual([]);
  });

  it('keeps the record pending while another item of it is open, and takes a merged value once all are decided', async () => {
    const [cabA, cabB, cabC] = await Promise.all(['dev-rev-c1', 'dev-rev-c2', 'dev-rev-c3'].map((id) => enrolledDevice(server, id)));
    const outcomes = await concurrentBillingEdits('bl-rev-2', cabA!, 'description', [
      [cabB!, 'Brake pads, front'],
      [cabA!, 'Brake pads, rear'],
      [cabC!, 'Brake shoes'],
    ]);
    expect(outcomes).toEqual(['accepted', 'conflict', 'conflict']);
    const items = await openItems('bl-rev-2');
    expect(items.map((item) => item.proposed)).toEqual(['Brake pads, rear', 'Brake shoes']);
    const before = latestRecords(await cabB!.pull()).get('bl-rev-2')!;

    // Keeping the value in place while another item is open changes nothing devices see: no new version.
    const first = await resolve(items[0]!.id, { choice: 'current', reason: 'front is what was fitted' });
    expect(first.body.record).toMatchObject({ version: before.version, pendingReview: true, fields: { description: 'Brake pads, front' } });
    expect(first.body.item.decision).toMatchObject({ choice: 'current', version: null });
    expect(latestRecords(await cabB!.pull()).has('bl-rev-2')).toBe(false);

    const second = await resolve(items[1]!.id, { choice: 'merged', value: 'Brake pads, front; shoes checked', reason: 'both were done' });
    expect(second.body.record).toMatchObject({ version: before.version + 1, pendingReview: false, fields: { description: 'Brake pads, front; shoes checked' } });
    expect(latestRecords(await cabB!.pull()).get('bl-rev-2')).toMatchObject({ pendingReview: false, fields: { description: 'Brake pads, front; shoes checked' } });
  });

  it('lets the delete stand for an update that arrived after it, and refuses to revive the record', async () => {
    const cabA = await enrolledDevice(server, 'dev-rev-d1');
    const cabB = await enrolledDevice(server, 'dev-rev-d2');
    const ops = [
      { op: 'set', field: 'subjectType', value: 'workOrder' },
      { op: 'set', field: 'subjectId', value: 'wo-1' },
      { op: 'set', field: 'body', value: 'Tyre worn' },
    ] as const;
    cabA.chain.record({ recordId: 'note-rev-deleted', ops: [...ops] });
    await cabA.push();
    cabB.chain.record({ recordId: 'note-rev-deleted', action: 'delete', baseVersion: 1, ops: [{ op: 'tombstone' }] });
    await cabB.push();
    cabA.chain.record({ recordId: 'note-rev-deleted', action: 'update', baseVersion: 1, ops: [{ op: 'set', field: 'body', value: 'Tyre replaced' }] });
    expect((await cabA.push()).results.at(-1)).toMatchObject({ outcome: 'rejected', reason: 'record-deleted' });

    const page = reviewItemPageSchema.parse((await call(server, 'GET', '/v1/office/review-items?status=open&recordType=note', { token: reviewerToken })).body);
    const item = page.items.find((candidate) => candidate.recordId === 'note-rev-deleted')!;
    expect(item).toMatchObject({ field: '*', current: { deleted: true } });
    const revive = await resolve(item.id, { choice: 'proposed', reason: 'the tyre was replaced' });
    expect([revive.status, revive.body.message]).toEqual([409, expect.stringContaining('delete stands')]);
    const kept = await resolve(item.id, { choice: 'current', reason: 'the note was deleted on purpose' });
    expect(kept.status).toBe(200);
    expect(kept.body.record).toMatchObject({ deleted: true, version: 2 });
  });

  it('filters the queue by status, site and record type, pages it, and hides other organisations', async () => {
    const all = reviewItemPageSchema.parse((await call(server, 'GET', '/v1/office/review-items', { token: reviewerToken })).body);
    expect(all.items.length).toBeGreaterThanOrEqual(4);
    expect(all.items.map((item) => item.id)).toEqual([...all.items.map((item) => item.id)].sort((a, b) => a - b));

    const resolved = reviewItemPageSchema.parse((await call(server, 'GET', '/v1/office/review-items?status=resolved', { token: reviewerToken })).body);
    expect(resolved.items.every((item) => item.status === 'resolved' && item.decision !== null)).toBe(true);
    const south = reviewItemPageSchema.parse((await call(server, 'GET', `/v1/office/review-items?siteId=${SOUTH}`, { token: reviewerToken })).body);
    expect(south.items).toEqual([]);
    const notes = reviewItemPageSchema.parse((await call(server, 'GET', '/v1/office/review-items?recordType=note', { token: reviewerToken })).body);
    expect(notes.items.map((item) => item.recordType)).toEqual(['note']);

    const seen: number[] = [];
    let after: number | null = 0;
    for (let page = 0; page < 20 && after !== null; page++) {
      const answer = reviewItemPageSchema.parse((await call(server, 'GET', `/v1/office/review-items?limit=1&after=${after}`, { token: reviewerToken })).body);
      seen.push(...answer.items.map((item) => item.id));
      after = answer.nextAfter;
    }
    expect(seen).toEqual(all.items.map((item) => item.id));

    for (const query of ['status=closed', 'limit=0', 'limit=1000', 'after=-1', 'after=1e3', 'colour=red', 'status=open&status=resolved']) {
      const answer = await call(server, 'GET', `/v1/office/review-items?${query}`, { token: reviewerToken });
      expect(answer.status, query).toBe(400);
    }

    await call(server, 'POST', '/v1/admin/organisations', { token: server.adminToken, body: { id: 'org-other', name: 'Other Haulage' } });
    const outsider = await officeUser(server, 'user-outsider', 'reviewer', 'org-other');
    const theirs = reviewItemPageSchema.parse((await call(server, 'GET', '/v1/office/review-items', { token: outsider })).body);
    expect(theirs.items).toEqual([]);
    const openItem = all.items.find((item) => item.status === 'open');
    if (openItem) expect((await resolve(openItem.id, { choice: 'current', reason: 'not mine' }, outsider)).status).toBe(403);
    expect((await resolve(999_999, { choice: 'current', reason: 'no such item' })).status).toBe(404);
  });
});
