import { z } from 'zod';
import { fieldOperationSchema, recordActionSchema } from '../../protocol/actions.js';
import { recordTypeSpec } from '../../protocol/records/index.js';
import type { DeviceCore } from '../core/device-core.js';
import type { DeviceSyncStatus } from '../core/sync/device-sync.js';
import type { FailedEntry } from '../core/sync/failed.js';
import type { ConflictRow } from '../../db/queries/sync.js';
import type { ConflictView, FailedEntryView, SyncStatusView } from './contract.js';

/**
 * The sync screens' views of what the core keeps: the status badge, the conflict inbox and the
 * failed list, in the shapes the IPC contract declares.
 */

/** What the status badge shows. `sync` is null while the device does not sync (not enrolled, no office). */
export function syncStatusView(core: DeviceCore, sync: DeviceSyncStatus | null): SyncStatusView {
  const enrollment = core.enrollment();
  const unseenConflicts = core.conflicts({ unseenOnly: true }).length;
  const site = enrollment && { organisationId: enrollment.organisationId, siteId: enrollment.siteId, kind: enrollment.kind };
  if (!sync) {
    const { pending, failed } = core.status().outbox;
    return {
      enrollment: site,
      active: false,
      syncing: false,
      online: false,
      live: false,
      lastSuccessAt: null,
      lastError: null,
      nextAttemptAt: null,
      pending,
      failed,
      unseenConflicts,
      updateRequired: null,
      revision: 0,
    };
  }
  return {
    enrollment: site,
    active: true,
    syncing: sync.running,
    online: sync.online,
    live: sync.live,
    lastSuccessAt: sync.lastSuccessAt,
    lastError: sync.lastError,
    nextAttemptAt: sync.nextAttemptAt,
    pending: sync.pending,
    failed: sync.failed,
    unseenConflicts,
    updateRequired: sync.updateRequired,
    revision: sync.revision,
  };
}

// The inbox columns are JSON the push path wrote; read back with a schema, a row that does not
// parse shows without that part rather than as something it is not.
const localValueSchema = z.object({ action: recordActionSchema, ops: z.array(fieldOperationSchema) });
const serverKeptSchema = z.object({ version: z.number(), deleted: z.boolean(), fields: z.record(z.string(), z.unknown()) });

export function conflictView(row: ConflictRow): ConflictView {
  return {
    id: row.id,
    seq: row.seq,
    recordType: row.recordType,
    recordLabel: recordLabel(row.recordType),
    recordId: row.recordId,
    outcome: row.outcome,
    whatHappened: row.whatHappened,
    local: localValueSchema.safeParse(row.localValue).data ?? null,
    serverKept: serverKeptSchema.safeParse(row.serverKept).data ?? null,
    createdAt: row.createdAt,
    seenAt: row.seenAt,
  };
}

export function failedEntryView(entry: FailedEntry, operatorName: string | null): FailedEntryView {
  const { hash: _hash, ...shown } = entry;
  return { ...shown, recordLabel: recordLabel(entry.recordType), operatorName };
}

function recordLabel(type: string): string {
  return recordTypeSpec(type)?.label ?? type;
}
