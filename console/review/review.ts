import { operationListSchema } from '../../protocol/field-operations.js';
import { type AttachmentReference, attachmentFields, attachmentsNamedBy } from '../../protocol/records/attachments.js';
import type { RecordTypeSpec } from '../../protocol/records/define.js';
import { recordTypeSpec } from '../../protocol/records/index.js';
import type { HistoryWrite, RecordHistory } from '../../protocol/wire/audit.js';
import type { ReviewItem } from '../../protocol/wire/review.js';

/** The queue's age filter: items waiting at least this long. */
export const REVIEW_AGES = ['1h', '24h', '7d'] as const;
export type ReviewAge = (typeof REVIEW_AGES)[number];
const AGE_MS: Record<ReviewAge, number> = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 };

/** Open items waiting at least `age`, oldest first (the office lists them in filing order already). */
export function waitingAtLeast(items: readonly ReviewItem[], age: ReviewAge | undefined, now: number): ReviewItem[] {
  const cutoff = age ? now - AGE_MS[age] : Infinity;
  return items.filter((item) => item.createdAt <= cutoff).sort((a, b) => a.createdAt - b.createdAt || a.id - b.id);
}

export interface Side {
  value: unknown;
  /** The write that put this value forward; null when the history does not show it (a value from before the record's first write). */
  write: HistoryWrite | null;
}

/**
 * The two competing versions of an item, each with the write that made it: the proposed one is the
 * write that filed the item; the one in place is the last write before it that settled the field.
 */
export function competingVersions(item: ReviewItem, history: RecordHistory): { current: Side; proposed: Side } {
  const proposing = history.writes.find((write) => write.reviewItemIds.includes(item.id)) ?? null;
  const before = proposing ? history.writes.filter((write) => write.writeId < proposing.writeId) : history.writes;
  const settling = before.findLast((write) =>
    write.fields.some((decision) => (item.field === '*' || decision.field === item.field) && (decision.outcome === 'applied' || decision.outcome === 'merged')),
  );
  return { current: { value: item.current, write: settling ?? null }, proposed: { value: item.proposed, write: proposing } };
}

/**
 * What a version puts before the reviewer as images: the competing value itself when it is an
 * attachment (two signatures), then the photos its author had added to the record by that write
 * (the evidence each side brought). Without the write (history not readable) only the value can be shown.
 */
export function versionAttachments(item: ReviewItem, side: Side, history: RecordHistory | undefined): AttachmentReference[] {
  const spec = recordTypeSpec(item.recordType);
  if (!spec) return [];
  const value = valueAttachments(spec, item.field, side.value);
  const photos = side.write && history ? photosAddedBy(spec, side.write, history) : [];
  return [...value, ...photos.filter((photo) => !value.some((shown) => shown.sha256 === photo.sha256))];
}

/** The photos the author of `write` added to the record by then (on that device, or as that office user) and had not seen removed. */
function photosAddedBy(spec: RecordTypeSpec, write: HistoryWrite, history: RecordHistory): AttachmentReference[] {
  const sets = new Set(attachmentFields(spec).filter((field) => field.kind === 'set').map((field) => field.name));
  const photos = new Map<string, AttachmentReference>();
  for (const earlier of history.writes) {
    if (earlier.writeId > write.writeId || !sameAuthor(earlier, write)) continue;
    for (const decision of earlier.fields) {
      if (!sets.has(decision.field) || typeof decision.written !== 'string') continue;
      // A set decision keeps whether the record holds the member afterwards: a remove the office let stand takes it away.
      if (decision.after === true) photos.set(decision.written, { field: decision.field, sha256: decision.written });
      else photos.delete(decision.written);
    }
  }
  return [...photos.values()];
}

/** The attachments a competing value names: an attachment field's value, or those an update that came after a delete would have added. */
function valueAttachments(spec: RecordTypeSpec, field: string, value: unknown): AttachmentReference[] {
  if (field === '*') {
    const ops = operationListSchema.safeParse(value);
    return ops.success ? attachmentsNamedBy(spec, ops.data) : [];
  }
  const sha256 = attachmentValue(spec.type, field, value);
  return sha256 ? [{ field, sha256 }] : [];
}

/** The attachment a competing value is, when its field holds one (a signature); else null. */
export function attachmentValue(recordType: string, field: string, value: unknown): string | null {
  const spec = recordTypeSpec(recordType);
  const named = spec ? attachmentFields(spec).find((candidate) => candidate.name === field) : undefined;
  return named?.kind === 'scalar' && typeof value === 'string' ? value : null;
}

function sameAuthor(a: HistoryWrite, b: HistoryWrite): boolean {
  if (a.author.origin !== b.author.origin) return false;
  return a.author.origin === 'field' ? a.author.deviceId === b.author.deviceId && a.author.operatorId === b.author.operatorId : a.author.userId === b.author.userId;
}

/** The attachments a record's fields hold, each with its field. */
export function recordAttachments(recordType: string, fields: Record<string, unknown>): AttachmentReference[] {
  const spec = recordTypeSpec(recordType);
  if (!spec) return [];
  return attachmentFields(spec).flatMap(({ name, kind }) => {
    const value = fields[name];
    const hashes = kind === 'set' ? (Array.isArray(value) ? value : []) : [value];
    return hashes.filter((sha256): sha256 is string => typeof sha256 === 'string').map((sha256) => ({ field: name, sha256 }));
  });
}

/**
 * What differs between the two versions of `field`: for structured values (a whole record's
 * fields, maps) each top-level key that differs, as `field.key`; for plain values the field itself.
 */
export function differingFields(field: string, current: unknown, proposed: unknown): string[] {
  if (isPlainObject(current) && isPlainObject(proposed)) {
    const keys = new Set([...Object.keys(current), ...Object.keys(proposed)]);
    return [...keys].filter((key) => JSON.stringify(current[key]) !== JSON.stringify(proposed[key])).sort().map((key) => `${field}.${key}`);
  }
  return JSON.stringify(current) === JSON.stringify(proposed) ? [] : [field];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A reviewer's merged value as typed, checked by the field's own schema: text fields take the text
 * as typed, others take JSON (a number, a list of parts).
 */
export function parseMergedValue(recordType: string, field: string, typed: string): { ok: true; value: unknown } | { ok: false; message: string } {
  const spec = recordTypeSpec(recordType)?.fields[field];
  if (!spec) return { ok: false, message: `${recordType} has no field ${field}` };
  const candidates: unknown[] = [typed];
  try {
    candidates.unshift(JSON.parse(typed));
  } catch {
    // Not JSON: only the text itself is a candidate.
  }
  for (const candidate of candidates) if (spec.schema.safeParse(candidate).success) return { ok: true, value: candidate };
  const problem = spec.schema.safeParse(candidates.at(-1)).error?.issues[0]?.message ?? 'not a value this field takes';
  return { ok: false, message: `The merged value is not valid for ${field}: ${problem}` };
}

