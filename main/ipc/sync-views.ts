import { z } from 'zod';
import { fieldOperationSchema, recordActionSchema } from '../../protocol/actions.js';
import type { ChecklistTemplate } from '../../protocol/checklists.js';
import { fieldOutcomeSchema } from '../../protocol/wire/push.js';
import { recordTitle } from './record-titles.js';
import { recordTypeSpec } from '../../protocol/records/index.js';
import type { DeviceCore } from '../core/device-core.js';
import type { UploadPassReport } from '../core/sync/attachment-upload.js';
import type { DeviceSyncStatus } from '../core/sync/device-sync.js';
import type { FailedEntry } from '../core/sync/failed.js';
import type { ConflictRow } from '../../db/queries/sync.js';
import { countPendingChanges } from '../../db/queries/outbox.js';
import type { ConflictView, FailedEntryView, SyncStatusView } from './contract.js';

/**
 * The sync screens' views of what the core keeps: the status badge, the conflict inbox and the
 * failed list, in the shapes the IPC contract declares.
 */

/** What the status badge shows. `sync` is null while the device does not sync (not enrolled, no office). */
export function syncStatusView(core: DeviceCore, sync: DeviceSyncStatus | null): SyncStatusView {
  const enrollment = core.enrollment();
  // The signed-in operator's own: a colleague's conflicts are not theirs to look at.
  const operatorId = core.sessions.current?.operatorId;
  const unseenConflicts = operatorId === undefined ? 0 : core.conflicts({ unseenOnly: true, operatorId }).length;
  const changesWaiting = countPendingChanges(core.database.db);
  const uploads = uploadsView(core.uploads());
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
      changesWaiting,
      failed,
      unseenConflicts,
      updateRequired: null,
      revision: 0,
      uploads,
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
    changesWaiting,
    failed: sync.failed,
    unseenConflicts,
    updateRequired: sync.updateRequired,
    revision: sync.revision,
    uploads,
  };
}

/** What stopped the last upload pass, or what it left for later, as an operator can act on it. */
const UPLOAD_PROBLEMS: Record<string, string> = {
  network: 'The office could not be reached. They go as soon as the connection is back.',
  unavailable: 'The office is busy or down for a moment. They go at the next sync.',
  'device-revoked': 'The office revoked this device, so they cannot be sent. Ask your supervisor.',
  unauthorized: 'The office no longer knows this device, so they cannot be sent. Ask your supervisor to enroll it again.',
  'update-required': 'This version of the app is too old for the office. Update the app to send them.',
  'attachment-damaged': 'A photo or signature file on this device is damaged and cannot be sent. Ask your supervisor.',
  conflict: 'Another device is sending the same photo. This one waits until that upload is done.',
};
const OTHER_UPLOAD_PROBLEM = 'The last try to send them did not get through. They are tried again at each sync.';

function uploadsView({ waiting, lastPass }: { waiting: number; lastPass: UploadPassReport | null }): SyncStatusView['uploads'] {
  const trouble = lastPass?.stoppedBy ?? lastPass?.deferred[0];
  if (waiting === 0 || !trouble) return { waiting, problem: null };
  return { waiting, problem: UPLOAD_PROBLEMS[trouble.code] ?? OTHER_UPLOAD_PROBLEM };
}

// The inbox columns are JSON the push path wrote; read back with a schema, a row that does not
// parse shows without that part rather than as something it is not.
const localValueSchema = z.object({ action: recordActionSchema, ops: z.array(fieldOperationSchema) });
const serverKeptSchema = z.object({ version: z.number(), deleted: z.boolean(), fields: z.record(z.string(), z.unknown()) });
// The office's reason per field is for auditors (ids, timestamps): the screen words the outcome itself.
const fieldOutcomesSchema = z.array(z.object(fieldOutcomeSchema.pick({ field: true, key: true, outcome: true }).shape));

/** What a view needs to name a record and its parts in words: the record as held here, and the checklists. */
export interface NamingContext {
  record(type: string, id: string): Record<string, unknown> | null;
  templates: readonly ChecklistTemplate[];
}

/** `operatorId`: who is looking (the inbox shows only theirs, and items from before items had an owner). */
export function conflictView(row: ConflictRow, operatorId: string, naming: NamingContext): ConflictView {
  const fields = naming.record(row.recordType, row.recordId);
  return {
    id: row.id,
    seq: row.seq,
    recordType: row.recordType,
    recordLabel: recordLabel(row.recordType),
    recordId: row.recordId,
    recordTitle: recordTitle(row.recordType, fields),
    outcome: row.outcome,
    fieldOutcomes: fieldOutcomesSchema.safeParse(row.fieldOutcomes).data ?? null,
    yours: row.operatorId === operatorId,
    keyLabels: keyLabels(fields, naming.templates),
    local: localValueSchema.safeParse(row.localValue).data ?? null,
    serverKept: serverKeptSchema.safeParse(row.serverKept).data ?? null,
    createdAt: row.createdAt,
    seenAt: row.seenAt,
  };
}

export function failedEntryView(entry: FailedEntry, operatorName: string | null, naming: NamingContext): FailedEntryView {
  const { hash: _hash, ...shown } = entry;
  const fields = naming.record(entry.recordType, entry.recordId);
  return {
    ...shown,
    recordLabel: recordLabel(entry.recordType),
    recordTitle: recordTitle(entry.recordType, fields),
    keyLabels: keyLabels(fields, naming.templates),
    operatorName,
  };
}

function recordLabel(type: string): string {
  return recordTypeSpec(type)?.label ?? type;
}

/** A checklist answer is stored under its item's id: the inspection's template says what the item is called. */
function keyLabels(fields: Record<string, unknown> | null, templates: readonly ChecklistTemplate[]): Record<string, string> {
  const template = templates.find((candidate) => candidate.id === fields?.templateId);
  return Object.fromEntries((template?.items ?? []).map((item) => [item.id, item.label]));
}
