import type { OfficeDb } from '../db/connect.js';
import type { PendingChange } from '../db/queries/changes.js';
import {
  insertRecordVersions,
  insertRecordWrites,
  insertReviewItems,
  recordKey,
  reserveWriteIds,
  upsertRecords,
} from '../db/queries/records.js';
import type { ServerRecord } from '../db/schema.js';
import type { RecordWriteInput, WriteResolution } from './resolve.js';

/**
 * Writes what the resolver decided, for a batch of writes in one transaction: the write history
 * (every write, applied or not, each with what it changed), review items, and for each record its
 * final state, one version snapshot of that state and the change-feed entries for the sites that
 * must hear of it. A batch that edits a record many times (an inspection answered item by item)
 * thus stores and publishes it once: the versions in between are told by their writes' decisions,
 * and no device could have seen them. The caller appends the returned changes last (see
 * appendChanges) and notifies after.
 */
export interface ResolvedWrite {
  input: RecordWriteInput;
  resolution: WriteResolution;
  /** The record before this write (null if it did not exist). */
  before: ServerRecord | null;
  device: { deviceId: string; seq: number; deviceTime: number; gapMs: number } | null;
  userId: string | null;
  skewFlagged: boolean;
}

export async function persistResolvedWrites(
  db: OfficeDb,
  writes: readonly ResolvedWrite[],
  /** Ids the caller reserved (reserveWriteIds) to name the writes elsewhere, one per write. */
  reservedIds?: readonly number[],
): Promise<PendingChange[]> {
  const ids = reservedIds ?? (await reserveWriteIds(db, writes.length));
  const finalStates = new Map<string, { record: ServerRecord; writeId: number; at: number; sites: Set<string> }>();
  const reviews = [];

  for (const [index, { input, resolution, before }] of writes.entries()) {
    const writeId = ids[index]!;
    const next = resolution.next;
    if (next) {
      const key = recordKey(next.type, next.id);
      // Sites that lose sight of the record (reassigned elsewhere) still hear of the version that did it.
      const sites = finalStates.get(key)?.sites ?? new Set(before?.audience ?? []);
      for (const siteId of next.audience) sites.add(siteId);
      finalStates.set(key, { record: next, writeId, at: input.receivedAt, sites });
    }
    for (const review of resolution.reviews) {
      reviews.push({
        recordType: input.recordType,
        recordId: input.recordId,
        field: review.field,
        key: review.key ?? null,
        writeId,
        currentValue: review.current ?? null,
        proposedValue: review.proposed ?? null,
        reason: review.reason,
        createdAt: input.receivedAt,
      });
    }
  }

  await insertRecordWrites(
    db,
    writes.map(({ input, resolution, device, userId, skewFlagged }, index) => ({
      id: ids[index]!,
      recordType: input.recordType,
      recordId: input.recordId,
      origin: input.origin,
      action: input.action,
      operatorId: input.origin === 'field' ? input.author.operatorId : null,
      userId,
      deviceId: device?.deviceId ?? null,
      seq: device?.seq ?? null,
      deviceTime: device?.deviceTime ?? null,
      receivedAt: input.receivedAt,
      gapMs: device?.gapMs ?? null,
      effectiveTime: input.effectiveTime,
      skewFlagged,
      outcome: resolution.outcome,
      reason: resolution.reason ?? null,
      message: resolution.message ?? null,
      decisions: resolution.decisions,
      versionAfter: resolution.next?.version ?? null,
    })),
  );
  const finals = [...finalStates.values()];
  // A record another transaction created meanwhile collides on its version's primary key below,
  // which aborts this transaction for a retry that sees the record (transactionWithRetry).
  await upsertRecords(db, finals.map(({ record }) => record));
  await insertRecordVersions(
    db,
    finals.map(({ record, writeId, at }) => ({
      type: record.type,
      id: record.id,
      version: record.version,
      fields: record.fields,
      deleted: record.deleted,
      pendingReview: record.pendingReview,
      writeId,
      createdAt: at,
    })),
  );
  await insertReviewItems(db, reviews);
  return finals.flatMap(({ record, sites }) =>
    [...sites].sort().map((siteId): PendingChange => ({ kind: 'record', siteId, recordType: record.type, recordId: record.id, version: record.version })),
  );
}
