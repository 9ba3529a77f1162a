import type { FieldOperation, RecordAction } from '../../protocol/journal.js';
import { CURRENT_SCHEMA_VERSION, type OfficeWriteResponse } from '../../protocol/wire.js';
import type { ServiceContext } from '../context.js';
import { assertOrganisationAccess } from '../auth.js';
import type { OfficeDb } from '../db/connect.js';
import { appendChanges } from '../db/queries/changes.js';
import { transactionWithRetry } from '../db/retry.js';
import { type OfficeUser, findOperatorsByIds, findSite } from '../db/queries/identity.js';
import { lockRecords, recordKey } from '../db/queries/records.js';
import type { ServerRecord } from '../db/schema.js';
import { ApiFailure, notFound } from '../errors.js';
import { canonicalFor } from './canonical.js';
import { notifySites } from './notifier.js';
import { persistResolvedWrites } from './persist.js';
import { type WriteResolution, resolveRecordWrite } from './resolve.js';
import { assigneesIn } from './scope.js';

/**
 * Office edits (dispatchers in the console) go through the same registry validation and conflict
 * policies as device entries, with office origin; they are kept in the same write history and
 * reach devices through the same change feed. Invalid edits are refused with a 4xx and leave no
 * trace; edits the policies refuse are kept like a device's.
 */
export interface OfficeWrite {
  recordType: string;
  recordId: string;
  action: RecordAction;
  ops: FieldOperation[];
  /** The version the user edited; without it the edit is taken as made on the latest version. */
  baseVersion?: number;
}

const KEPT_REFUSALS = new Set(['policy-rejected', 'record-deleted']);

export async function writeAsOffice(context: ServiceContext, user: OfficeUser, write: OfficeWrite): Promise<OfficeWriteResponse> {
  const now = context.clock.now();
  return transactionWithRetry(context.database.db, async (tx) => {
    const key = recordKey(write.recordType, write.recordId);
    const current = (await lockRecords(tx, [{ type: write.recordType, id: write.recordId }])).get(key) ?? null;
    await assertRecordInReach(tx, user, current, write);
    const operatorSites = await assigneeSites(tx, user, write, current);
    const input = {
      recordType: write.recordType,
      recordId: write.recordId,
      action: write.action,
      ops: write.ops,
      baseVersion: write.baseVersion ?? current?.version ?? null,
      origin: 'office' as const,
      author: { operatorId: user.id, deviceId: null, seq: null },
      effectiveTime: now,
      receivedAt: now,
      clientSchemaVersion: CURRENT_SCHEMA_VERSION,
    };
    const resolution = resolveRecordWrite(current, input, { deviceSiteId: null, operatorSite: (id) => operatorSites.get(id), faults: context.faults });
    if (resolution.outcome === 'rejected' && !KEPT_REFUSALS.has(resolution.reason ?? '')) throw refusalOf(resolution);
    const changes = await persistResolvedWrites(tx, [{ input, resolution, before: current, device: null, userId: user.id, skewFlagged: false }]);
    await appendChanges(tx, changes);
    await notifySites(tx, context.notifier.channel, changes.map((change) => change.siteId), now);
    const record = resolution.next ?? current;
    return {
      outcome: resolution.outcome,
      ...(resolution.reason ? { reason: resolution.reason } : {}),
      ...(resolution.message ? { message: resolution.message } : {}),
      fields: resolution.fields,
      record: record ? canonicalFor(record, CURRENT_SCHEMA_VERSION) : null,
    };
  });
}

/** The record (or, for a create, the site it names) must belong to the user's organisation. */
async function assertRecordInReach(db: OfficeDb, user: OfficeUser, current: ServerRecord | null, write: OfficeWrite): Promise<void> {
  const siteId = current?.siteId ?? siteNamedBy(write.ops);
  if (!siteId) {
    if (write.action !== 'create') throw notFound(`${write.recordType} ${write.recordId}`);
    throw new ApiFailure(400, 'invalid-request', 'an office-created record needs siteId');
  }
  const site = await findSite(db, siteId);
  if (!site) throw notFound(`site ${siteId}`);
  assertOrganisationAccess(user, site.organisationId);
}

function siteNamedBy(ops: readonly FieldOperation[]): string | null {
  const set = ops.find((op) => op.op === 'set' && op.field === 'siteId');
  return set?.op === 'set' && typeof set.value === 'string' ? set.value : null;
}

/** Sites of the assignees involved; an assignee must be an operator of the user's organisation. */
async function assigneeSites(db: OfficeDb, user: OfficeUser, write: OfficeWrite, current: ServerRecord | null): Promise<Map<string, string>> {
  const written = write.ops.flatMap((op) => (op.op === 'set' ? [{ [op.field]: op.value }] : []));
  const named = assigneesIn(write.recordType, written);
  const operators = await findOperatorsByIds(db, [...named, ...assigneesIn(write.recordType, current ? [current.fields] : [])]);
  const sites = new Map(operators.map((operator) => [operator.id, operator.siteId]));
  for (const id of named) {
    const siteId = sites.get(id);
    if (!siteId) throw new ApiFailure(400, 'invalid-request', `no operator ${id} to assign`);
    const site = await findSite(db, siteId);
    if (site) assertOrganisationAccess(user, site.organisationId);
  }
  return sites;
}

function refusalOf(resolution: WriteResolution): ApiFailure {
  const message = resolution.message ?? 'the edit was refused';
  if (resolution.reason === 'record-exists') return new ApiFailure(409, 'conflict', message);
  if (resolution.reason === 'unknown-record') return new ApiFailure(404, 'not-found', message);
  return new ApiFailure(400, 'invalid-request', message, { reason: resolution.reason });
}

/** A `set` of each given field (undefined ones left out), as a form's values become an office write. */
export function setOperations(values: Record<string, unknown>): FieldOperation[] {
  return Object.entries(values)
    .filter(([, value]) => value !== undefined)
    .map(([field, value]) => ({ op: 'set', field, value }) as FieldOperation);
}
