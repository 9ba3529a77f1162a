import { CURRENT_SCHEMA_VERSION, type ResolveReviewItem, type ReviewItem } from '../../protocol/wire.js';
import type { ServiceContext } from '../context.js';
import { assertOrganisationAccess } from '../auth.js';
import { appendChanges } from '../db/queries/changes.js';
import { transactionWithRetry } from '../db/retry.js';
import { type OfficeUser, findSite } from '../db/queries/identity.js';
import { lockRecords, recordKey, reserveWriteIds } from '../db/queries/records.js';
import type { ServerRecord } from '../db/schema.js';
import { ApiFailure, conflict, notFound } from '../errors.js';
import { notifySites } from '../sync/notifier.js';
import { persistResolvedWrites } from '../sync/persist.js';
import type { RecordWriteInput } from '../sync/resolve.js';
import { writeAuthorOf } from '../audit/history.js';
import { WHOLE_RECORD, decideReviewItem } from './decide.js';
import { type ReviewItemView, countOtherOpenItems, findReviewItem, lockReviewItem, recordReviewDecision } from './queries.js';

/**
 * Settles a review item in one transaction: the item and the record are locked, the decision is
 * applied to the record as an office write by the reviewer (kept in the write history like every
 * other write), the decision itself is kept with the reviewer's reason, and the new version goes
 * on the change feed of every site that sees the record.
 */
export async function resolveReviewItem(
  context: ServiceContext,
  user: OfficeUser,
  itemId: number,
  request: ResolveReviewItem,
): Promise<{ item: ReviewItem; record: ServerRecord }> {
  const now = context.clock.now();
  const record = await transactionWithRetry(context.database.db, async (tx) => {
    const item = await lockReviewItem(tx, itemId);
    if (!item) throw notFound(`review item ${itemId}`);
    const current = (await lockRecords(tx, [{ type: item.recordType, id: item.recordId }])).get(recordKey(item.recordType, item.recordId));
    const site = current ? await findSite(tx, current.siteId) : null;
    if (!current || !site) throw notFound(`${item.recordType} ${item.recordId}`);
    assertOrganisationAccess(user, site.organisationId);
    if (item.status !== 'open') throw conflict(`review item ${itemId} was already decided`);
    if (request.expectedVersion !== undefined && request.expectedVersion !== current.version) {
      throw conflict(`${item.recordType} ${item.recordId} changed since version ${request.expectedVersion} (it is at ${current.version}); look at it again`);
    }

    const outcome = decideReviewItem(current, item, request, { reviewer: user, now, otherOpenItems: await countOtherOpenItems(tx, item) });
    if (!outcome.ok) throw new ApiFailure(outcome.status, outcome.status === 409 ? 'conflict' : 'invalid-request', outcome.message);

    const input: RecordWriteInput = {
      recordType: item.recordType,
      recordId: item.recordId,
      action: 'update',
      ops: item.field === WHOLE_RECORD ? [] : [{ op: 'set', field: item.field, value: outcome.value }],
      baseVersion: current.version,
      origin: 'office',
      author: { operatorId: user.id, deviceId: null, seq: null },
      effectiveTime: now,
      receivedAt: now,
      clientSchemaVersion: CURRENT_SCHEMA_VERSION,
    };
    const [writeId] = await reserveWriteIds(tx, 1);
    const changes = await persistResolvedWrites(
      tx,
      [
        {
          input,
          resolution: { outcome: 'accepted', fields: [{ field: item.field, outcome: 'applied' }], decisions: [outcome.decision], next: outcome.next, reviews: [] },
          before: current,
          device: null,
          userId: user.id,
          skewFlagged: false,
        },
      ],
      [writeId!],
    );
    await recordReviewDecision(tx, {
      reviewItemId: item.id,
      choice: request.choice,
      value: outcome.value ?? null,
      reason: request.reason,
      userId: user.id,
      writeId: writeId!,
      decidedAt: now,
    });
    await appendChanges(tx, changes);
    await notifySites(tx, context.notifier.channel, changes.map((change) => change.siteId), now);
    return outcome.next ?? current;
  });
  const view = await findReviewItem(context.database.db, itemId);
  if (!view) throw new Error(`review item ${itemId} vanished after its decision`);
  return { item: reviewItemOf(view), record };
}

export function reviewItemOf({ item, siteId, proposedBy, decision }: ReviewItemView): ReviewItem {
  return {
    id: item.id,
    recordType: item.recordType,
    recordId: item.recordId,
    siteId,
    field: item.field,
    key: item.key,
    reason: item.reason,
    current: item.currentValue,
    proposed: item.proposedValue,
    proposedBy: writeAuthorOf(proposedBy),
    status: item.status,
    createdAt: item.createdAt,
    decision: decision
      ? {
          choice: decision.choice,
          value: decision.value,
          reason: decision.reason,
          userId: decision.userId,
          userName: decision.userName,
          decidedAt: decision.decidedAt,
          version: decision.version,
        }
      : null,
  };
}
