import { and, asc, eq, gt, ne, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { OfficeDb } from '../db/connect.js';
import { officeUsers, recordWrites, records, reviewDecisions, reviewItems, sites } from '../db/schema.js';

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
