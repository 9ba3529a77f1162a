import { deltaWeight, diffFields, fieldsWeight } from '../../protocol/record-delta.js';
import { type CanonicalRecord, DEFAULT_PULL_LIMIT, type Change, type PullRequest, type PullResponse } from '../../protocol/wire.js';
import type { OfficeDb } from '../db/connect.js';
import { type ChangeRow, readChangesAfter, readToldVersions, type ToldVersion } from '../db/queries/changes.js';
import { recordKey } from '../db/queries/records.js';
import { type Device, findSite } from '../db/queries/identity.js';
import { canonicalFor } from './canonical.js';
import { decodeCursor, encodeCursor } from './cursor.js';

/**
 * Pull: the device's site's change feed after its cursor, one page at a time. Feed ids become
 * visible in commit order (see appendChanges), so paging by id while others write neither skips
 * nor repeats a change. A page sends each record once, at the last version the page holds, and
 * leaves out what the device already holds: the current version of a record it wrote itself,
 * which its push answer carried (the office answers a resent push with the current state too).
 * A device that takes deltas gets a record it was told of before as what changed since.
 */
export async function pullChanges(db: OfficeDb, device: Device, request: PullRequest, clientVersion: number): Promise<Omit<PullResponse, 'time'>> {
  const afterId = decodeCursor(request.cursor);
  const limit = request.limit ?? DEFAULT_PULL_LIMIT;
  const rows = await readChangesAfter(db, device.siteId, afterId, limit + 1);
  const page = rows.slice(0, limit);
  const site = await findSite(db, device.siteId);
  if (!site) throw new Error(`device ${device.id} belongs to site ${device.siteId}, which does not exist`);
  const sent = leanPage(page, device);
  const told = request.deltas ? await readToldVersions(db, device.siteId, afterId, sent.flatMap((row) => (row.record ? [row.record] : []))) : new Map<string, ToldVersion>();
  return {
    changes: sent.flatMap((row) => toChange(row, clientVersion, told)),
    cursor: encodeCursor(page.at(-1)?.id ?? afterId),
    hasMore: rows.length > limit,
    site: { pinMinLength: site.pinMinLength },
  };
}

function leanPage(page: readonly ChangeRow[], device: Device): ChangeRow[] {
  const lastOfRecord = new Map<string, number>();
  for (const [index, row] of page.entries()) if (row.record) lastOfRecord.set(recordKey(row.record.type, row.record.id), index);
  return page.filter((row, index) => {
    const record = row.record;
    if (!record) return true;
    if (lastOfRecord.get(recordKey(record.type, record.id)) !== index) return false;
    const ownCurrent = record.authorDeviceId === device.id && record.current?.version === record.version && record.current.audience.includes(device.siteId);
    return !ownCurrent;
  });
}

function toChange(row: ChangeRow, clientVersion: number, told: ReadonlyMap<string, ToldVersion>): Change[] {
  if (row.record) {
    const record = canonicalFor(row.record, clientVersion);
    const base = told.get(recordKey(record.type, record.id));
    return [base && base.version < record.version ? againstBase(record, base, clientVersion) : { kind: 'record', record }];
  }
  if (row.operator) {
    const { id, badgeId, displayName, role, pinVerifier, active } = row.operator;
    return [{ kind: 'operator', operator: { operatorId: id, badgeId, displayName, role, pinVerifier, active } }];
  }
  return [];
}

/** The record as a delta against the version the device was told of, unless the delta would carry most of it anyway. */
function againstBase(record: CanonicalRecord, base: ToldVersion, clientVersion: number): Change {
  const baseFields = canonicalFor({ ...record, fields: base.fields }, clientVersion).fields;
  const { set, unset, entries } = diffFields(baseFields, record.fields);
  if (deltaWeight({ set, unset, entries }) * 2 >= fieldsWeight(record.fields)) return { kind: 'record', record };
  const { type, id, version, deleted, pendingReview } = record;
  return { kind: 'recordDelta', delta: { type, id, version, baseVersion: base.version, deleted, pendingReview, set, unset, entries } };
}
