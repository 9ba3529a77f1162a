import { describe, expect, it } from 'vitest';
import type { HistoryWrite, RecordHistory } from '../../protocol/wire/audit.js';
import type { ReviewItem } from '../../protocol/wire/review.js';
import { competingVersions, differingFields, parseMergedValue, recordAttachments, versionAttachments, waitingAtLeast } from './review.js';

const HOUR = 3_600_000;

function item(id: number, createdAt: number, overrides: Partial<ReviewItem> = {}): ReviewItem {
  return {
    id,
    recordType: 'billingLine',
    recordId: 'bl-1',
    siteId: 'site-north',
    field: 'quantity',
    key: null,
    reason: 'concurrent',
    current: 3,
    proposed: 4,
    proposedBy: { origin: 'field', operatorId: 'op-gus', userId: null, deviceId: 'dev-b', seq: 2, deviceTime: createdAt, receivedAt: createdAt },
    status: 'open',
    createdAt,
    decision: null,
    ...overrides,
  };
}

function write(writeId: number, fields: HistoryWrite['fields'], reviewItemIds: number[] = []): HistoryWrite {
  return {
    writeId,
    kind: 'device-entry',
    action: 'update',
    author: { origin: 'field', operatorId: `op-${writeId}`, userId: null, deviceId: `dev-${writeId}`, seq: writeId, deviceTime: writeId, receivedAt: writeId, operatorName: null, userName: null },
    entryHash: null,
    entry: null,
    gapMs: 0,
    effectiveTime: writeId,
    skewFlagged: false,
    outcome: reviewItemIds.length ? 'conflict' : 'accepted',
    reason: null,
    message: null,
    fields,
    losingVersions: [],
    versionAfter: writeId,
    reviewItemIds,
    review: null,
  };
}

const applied = (field: string, value: unknown) => ({ field, op: 'set', outcome: 'applied' as const, written: value, before: null, after: value });

describe('the review queue', () => {
  it('keeps items waiting at least the chosen age, oldest first', () => {
    const now = 100 * HOUR;
    const items = [item(3, now - 2 * HOUR), item(1, now - 30 * HOUR), item(2, now - 10 * 60_000)];
    expect(waitingAtLeast(items, undefined, now).map((found) => found.id)).toEqual([1, 3, 2]);
    expect(waitingAtLeast(items, '1h', now).map((found) => found.id)).toEqual([1, 3]);
    expect(waitingAtLeast(items, '24h', now).map((found) => found.id)).toEqual([1]);
    expect(waitingAtLeast(items, '7d', now)).toEqual([]);
  });

  it("pairs each version with its write: the proposing one, and the last write before it that settled the field", () => {
    const history = { record: null, versions: [], writes: [write(1, [applied('quantity', 2), applied('description', 'pads')]), write(2, [applied('quantity', 3)]), write(3, [applied('description', 'pads, clips')]), write(4, [{ ...applied('quantity', 4), outcome: 'review' }], [9]), write(5, [applied('quantity', 6)])] } satisfies RecordHistory;
    const { current, proposed } = competingVersions(item(9, 0), history);
    expect([current.value, current.write?.writeId, proposed.value, proposed.write?.writeId]).toEqual([3, 2, 4, 4]);
    expect(competingVersions(item(8, 0), history).proposed.write).toBeNull();
  });

  it('names what differs: the field, or each key of a structured value', () => {
    expect(differingFields('quantity', 3, 4)).toEqual(['quantity']);
    expect(differingFields('quantity', 3, 3)).toEqual([]);
    expect(differingFields('*', { a: 1, b: [1], c: 'x' }, { a: 1, b: [2], d: 'y' })).toEqual(['*.b', '*.c', '*.d']);
  });

  it("shows with each version the attachment it proposes and the photos its author had added by then", () => {
    const [s1, s2, p0, p1, p2, p3, p4, p5] = ['51', '52', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5'].map((prefix) => prefix.padEnd(64, '0'));
    const on = (device: string, written: HistoryWrite) => ({ ...written, author: { ...written.author, deviceId: device, operatorId: `op-${device}` } });
    const photo = (member: string, after: boolean) => ({ field: 'photos', op: after ? 'add' : 'remove', outcome: 'applied' as const, written: member, before: !after, after });
    const history = {
      record: null,
      versions: [],
      writes: [
        on('cab', write(1, [applied('equipmentNumber', 'TRL-1'), photo(p0!, true)])),
        on('cab', write(2, [photo(p1!, true), applied('toSignature', s1)])),
        on('kiosk', write(3, [photo(p2!, true), photo(p3!, true)])),
        on('kiosk', write(4, [photo(p3!, false)])),
        on('kiosk', write(5, [{ ...applied('toSignature', s2), outcome: 'review' }, photo(p4!, true)], [9])),
        on('cab', write(6, [photo(p5!, true)])),
      ],
    } satisfies RecordHistory;
    const signatures = item(9, 0, { recordType: 'equipmentInterchange', recordId: 'ei-1', field: 'toSignature', current: s1, proposed: s2 });
    const { current, proposed } = competingVersions(signatures, history);
    expect(versionAttachments(signatures, current, history)).toEqual([
      { field: 'toSignature', sha256: s1 },
      { field: 'photos', sha256: p0 },
      { field: 'photos', sha256: p1 },
    ]);
    expect(versionAttachments(signatures, proposed, history)).toEqual([
      { field: 'toSignature', sha256: s2 },
      { field: 'photos', sha256: p2 },
      { field: 'photos', sha256: p4 },
    ]);
    // Without the history (a dispatcher): the competing values alone.
    expect(versionAttachments(signatures, { value: s2, write: null }, undefined)).toEqual([{ field: 'toSignature', sha256: s2 }]);
    // A value that is not an attachment shows none; an update refused for coming after a delete shows what it would have added.
    expect(versionAttachments(item(9, 0), { value: 4, write: null }, undefined)).toEqual([]);
    const afterDelete = item(10, 0, { recordType: 'equipmentInterchange', field: '*', current: { deleted: true }, proposed: [{ op: 'add', field: 'photos', member: p5 }] });
    expect(versionAttachments(afterDelete, { value: afterDelete.proposed, write: null }, undefined)).toEqual([{ field: 'photos', sha256: p5 }]);

    expect(recordAttachments('equipmentInterchange', { photos: [p0, p1], fromSignature: null, toSignature: s1 })).toEqual([
      { field: 'photos', sha256: p0 },
      { field: 'photos', sha256: p1 },
      { field: 'toSignature', sha256: s1 },
    ]);
  });

  it("takes a merged value only as the field's own schema allows", () => {
    expect(parseMergedValue('billingLine', 'quantity', '5')).toEqual({ ok: true, value: 5 });
    expect(parseMergedValue('billingLine', 'description', '12')).toEqual({ ok: true, value: '12' });
    expect(parseMergedValue('billingLine', 'partsUsed', '[{"part":"pad","quantity":2}]')).toEqual({ ok: true, value: [{ part: 'pad', quantity: 2 }] });
    expect(parseMergedValue('billingLine', 'quantity', '-1')).toMatchObject({ ok: false, message: expect.stringMatching(/quantity/) });
    expect(parseMergedValue('billingLine', 'quantity', 'five')).toMatchObject({ ok: false });
    expect(parseMergedValue('billingLine', 'nope', '1')).toMatchObject({ ok: false });
  });
});
