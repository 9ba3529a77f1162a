import { describe, expect, it } from 'vitest';
import type { HistoryWrite, RecordHistory } from '../../protocol/wire/audit.js';
import type { ReviewItem } from '../../protocol/wire/review.js';
import { competingVersions, differingFields, parseMergedValue, waitingAtLeast } from './review.js';

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

  it("takes a merged value only as the field's own schema allows", () => {
    expect(parseMergedValue('billingLine', 'quantity', '5')).toEqual({ ok: true, value: 5 });
    expect(parseMergedValue('billingLine', 'description', '12')).toEqual({ ok: true, value: '12' });
    expect(parseMergedValue('billingLine', 'partsUsed', '[{"part":"pad","quantity":2}]')).toEqual({ ok: true, value: [{ part: 'pad', quantity: 2 }] });
    expect(parseMergedValue('billingLine', 'quantity', '-1')).toMatchObject({ ok: false, message: expect.stringMatching(/quantity/) });
    expect(parseMergedValue('billingLine', 'quantity', 'five')).toMatchObject({ ok: false });
    expect(parseMergedValue('billingLine', 'nope', '1')).toMatchObject({ ok: false });
  });
});
