import { and, asc, eq, gt, ne, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { operationListSchema } from '../../protocol/field-operations.js';
import { attachmentFields, attachmentsNamedBy } from '../../protocol/records/attachments.js';
import { recordTypeSpec } from '../../protocol/records/index.js';
import type { OfficeDb } from '../db/connect.js';
import { officeUsers, recordWrites, records, reviewDecisions, reviewItems, sites } from '../db/schema.js';
import { WHOLE_RECORD } from './decide.js';

/** The review queue: items with the write that proposed them and the decision, if any. */

export type ReviewItemRow = typeof reviewItems.$inferSelect;
export type ReviewDecisionRow = typeof reviewDecisions.$inferSelect;

export interface ReviewItemView {
  item: ReviewItemRow;
  siteId: string;
  organisationId: string;
  proposedBy: typeof recordWrites.$inferSelect;
  decision: (ReviewDecisionRow & { userName: string; version: number | null }) | null;
}

export interface ReviewItemFilter {
  /** null only for the bootstrap admin, who sees every organisation. */
  organisationId: string | null;
  status?: 'open' | 'resolved';
  siteId?: string;
  recordType?: string;
  afterId?: number;
  limit: number;
}

/** The office write that carried a decision to the record (record_writes again, under another name). */
const decisionWrites = alias(recordWrites, 'decision_writes');

function selectItems(db: OfficeDb, where: SQL | undefined) {
  return db
    .select({
      item: reviewItems,
      siteId: records.siteId,
      organisationId: sites.organisationId,
      proposedBy: recordWrites,
      decision: reviewDecisions,
      userName: officeUsers.name,
      decisionVersion: decisionWrites.versionAfter,
    })
    .from(reviewItems)
    .innerJoin(records, and(eq(records.type, reviewItems.recordType), eq(records.id, reviewItems.recordId)))
    .innerJoin(sites, eq(sites.id, records.siteId))
    .innerJoin(recordWrites, eq(recordWrites.id, reviewItems.writeId))
    .leftJoin(reviewDecisions, eq(reviewDecisions.reviewItemId, reviewItems.id))
    .leftJoin(officeUsers, eq(officeUsers.id, reviewDecisions.userId))
    .leftJoin(decisionWrites, eq(decisionWrites.id, reviewDecisions.writeId))
    .where(where)
    .orderBy(asc(reviewItems.id));
}

type SelectedItem = Awaited<ReturnType<typeof selectItems>>[number];

function toView(row: SelectedItem): ReviewItemView {
  const { item, siteId, organisationId, proposedBy, decision, userName, decisionVersion } = row;
  return {
    item,
    siteId,
    organisationId,
    proposedBy,
    decision: decision ? { ...decision, userName: userName ?? decision.userId, version: decisionVersion ?? null } : null,
  };
}

export async function listReviewItems(db: OfficeDb, filter: ReviewItemFilter): Promise<ReviewItemView[]> {
  const conditions: SQL[] = [];
  if (filter.organisationId !== null) conditions.push(eq(sites.organisationId, filter.organisationId));
  if (filter.status) conditions.push(eq(reviewItems.status, filter.status));
  if (filter.siteId) conditions.push(eq(records.siteId, filter.siteId));
  if (filter.recordType) conditions.push(eq(reviewItems.recordType, filter.recordType));
  if (filter.afterId !== undefined) conditions.push(gt(reviewItems.id, filter.afterId));
  const rows = await selectItems(db, and(...conditions)).limit(filter.limit);
  return rows.map(toView);
}

export async function findReviewItem(db: OfficeDb, id: number): Promise<ReviewItemView | null> {
  const [row] = await selectItems(db, eq(reviewItems.id, id));
  return row ? toView(row) : null;
}

export async function findReviewItemsOfRecord(db: OfficeDb, recordType: string, recordId: string): Promise<ReviewItemView[]> {
  const rows = await selectItems(db, and(eq(reviewItems.recordType, recordType), eq(reviewItems.recordId, recordId)));
  return rows.map(toView);
}

/** Locks the item for the rest of the transaction: one decision per item, even when two reviewers click at once. */
export async function lockReviewItem(db: OfficeDb, id: number): Promise<ReviewItemRow | null> {
  const [row] = await db.select().from(reviewItems).where(eq(reviewItems.id, id)).for('update');
  return row ?? null;
}

export async function countOtherOpenItems(db: OfficeDb, item: Pick<ReviewItemRow, 'id' | 'recordType' | 'recordId'>): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(reviewItems)
    .where(
      and(
        eq(reviewItems.recordType, item.recordType),
        eq(reviewItems.recordId, item.recordId),
        eq(reviewItems.status, 'open'),
        ne(reviewItems.id, item.id),
      ),
    );
  return Number(row?.n ?? 0);
}

export async function recordReviewDecision(db: OfficeDb, decision: ReviewDecisionRow): Promise<void> {
  await db.insert(reviewDecisions).values(decision);
  await db.update(reviewItems).set({ status: 'resolved' }).where(eq(reviewItems.id, decision.reviewItemId));
}

/**
 * Every attachment a record was ever written with, as its writes' field decisions keep it: values
 * and members of its attachment fields (the competing values of its review items among them) and
 * those in updates refused for coming after its delete. What its reviewers may be shown.
 */
export async function attachmentsWrittenTo(db: OfficeDb, recordType: string, recordId: string): Promise<Set<string>> {
  const spec = recordTypeSpec(recordType);
  if (!spec) return new Set();
  const fields = new Set(attachmentFields(spec).map((field) => field.name));
  const rows = await db
    .select({ decisions: recordWrites.decisions })
    .from(recordWrites)
    .where(and(eq(recordWrites.recordType, recordType), eq(recordWrites.recordId, recordId)));
  const named = new Set<string>();
  for (const { decisions } of rows) {
    for (const decision of decisions) {
      if (fields.has(decision.field) && typeof decision.written === 'string') named.add(decision.written);
      const refused = decision.field === WHOLE_RECORD ? operationListSchema.safeParse(decision.written) : null;
      if (refused?.success) for (const { sha256 } of attachmentsNamedBy(spec, refused.data)) named.add(sha256);
    }
  }
  return named;
}
