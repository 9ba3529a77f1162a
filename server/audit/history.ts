import { canonicalize } from '../../protocol/canonical.js';
import { CURRENT_SCHEMA_VERSION, type HistoryWrite, type RecordHistory, type WriteAuthor } from '../../protocol/wire.js';
import type { FieldDecision, ServerRecord } from '../db/schema.js';
import type { ReviewItemView } from '../review/queries.js';
import { canonicalFor } from '../sync/canonical.js';
import type { RecordVersionRow, RecordWriteRow, WriteWithNames } from './queries.js';

/**
 * A record's full history for auditors: every write that reached it (device entries, office
 * edits, reviewers' decisions) with who, which device, device time, server time and their gap,
 * how each field's policy settled it, and the values that lost; plus every version devices saw.
 * Pure: built from rows the caller loaded.
 */
export interface HistorySources {
  record: ServerRecord | null;
  versions: readonly RecordVersionRow[];
  writes: readonly WriteWithNames[];
  reviews: readonly ReviewItemView[];
}

/** Field outcomes whose written value did not become the field's value. */
const LOSING_OUTCOMES = new Set<FieldDecision['outcome']>(['superseded', 'rejected', 'review', 'observed']);

export function buildRecordHistory({ record, versions, writes, reviews }: HistorySources): RecordHistory {
  return {
    record: record ? canonicalFor(record, CURRENT_SCHEMA_VERSION) : null,
    versions: versions.map(({ version, fields, deleted, pendingReview, writeId, createdAt }) => ({ version, fields, deleted, pendingReview, writeId, createdAt })),
    writes: writes.map((named) => historyWrite(named, reviews)),
  };
}

function historyWrite({ write, entryHash, sessionId, deviceChainSeq, deviceFlagged, operatorName, userName }: WriteWithNames, reviews: readonly ReviewItemView[]): HistoryWrite {
  const decided = reviews.find((view) => view.decision?.writeId === write.id);
  const review = decided?.decision ? { itemId: decided.item.id, choice: decided.decision.choice, reason: decided.decision.reason } : null;
  return {
    writeId: write.id,
    kind: review ? 'review-decision' : write.origin === 'field' ? 'device-entry' : 'office-edit',
    action: write.action,
    author: { ...writeAuthorOf(write), operatorName, userName },
    entryHash,
    entry:
      entryHash !== null && sessionId !== null && write.seq !== null
        ? { sessionId, seq: write.seq, anchored: (deviceChainSeq ?? 0) >= write.seq, deviceFlagged: deviceFlagged ?? false }
        : null,
    gapMs: write.gapMs,
    effectiveTime: write.effectiveTime,
    skewFlagged: write.skewFlagged,
    outcome: write.outcome,
    reason: write.reason,
    message: write.message,
    fields: write.decisions,
    losingVersions: decided ? notChosen(decided, write.decisions) : policyLosers(write.decisions),
    versionAfter: write.versionAfter,
    reviewItemIds: reviews.filter((view) => view.item.writeId === write.id).map((view) => view.item.id),
    review,
  };
}

export function writeAuthorOf(write: RecordWriteRow): WriteAuthor {
  return {
    origin: write.origin,
    operatorId: write.operatorId,
    userId: write.userId,
    deviceId: write.deviceId,
    seq: write.seq,
    deviceTime: write.deviceTime,
    receivedAt: write.receivedAt,
  };
}

function policyLosers(decisions: readonly FieldDecision[]): HistoryWrite['losingVersions'] {
  return decisions
    .filter((decision) => LOSING_OUTCOMES.has(decision.outcome))
    .map((decision) => ({ field: decision.field, ...keyOf(decision), outcome: decision.outcome, value: decision.written, kept: decision.after }));
}

/** The versions a reviewer did not keep: the one in place, the proposed one, or both for a value of their own. */
function notChosen(view: ReviewItemView, decisions: readonly FieldDecision[]): HistoryWrite['losingVersions'] {
  const decision = decisions[0];
  if (!decision) return [];
  const kept = canonicalize(decision.after);
  const seen = new Set([kept]);
  const losers: HistoryWrite['losingVersions'] = [];
  for (const value of [decision.before, view.item.proposedValue]) {
    const encoded = canonicalize(value);
    if (seen.has(encoded)) continue;
    seen.add(encoded);
    losers.push({ field: decision.field, ...keyOf(decision), outcome: 'not-chosen', value, kept: decision.after });
  }
  return losers;
}

function keyOf(decision: FieldDecision): { key?: string } {
  return decision.key !== undefined ? { key: decision.key } : {};
}
