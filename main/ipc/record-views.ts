import type { FieldOperation } from '../../protocol/actions.js';
import type { ChecklistTemplate } from '../../protocol/checklists.js';
import { RECORD_TYPES, type RecordType } from '../../protocol/records/index.js';
import { fieldPresentation } from '../../protocol/records/presentation.js';
import type { StoredRecord, TimedRecord } from '../../db/queries/records.js';
import { type ConflictRow, readOutboxStates } from '../../db/queries/sync.js';
import type { DeviceCore } from '../core/device-core.js';
import { recordTitle } from './record-titles.js';
import type { NamingContext } from './sync-views.js';
import {
  type ChecklistAnswerView,
  type HistoryEntryView,
  type RecordDetailView,
  type RecordLinkView,
  type RecordRowView,
  type RecordSyncView,
  type RecordValueView,
  SEARCHABLE_RECORD_TYPES,
  type SearchableRecordType,
} from './contract.js';

/**
 * The Records screens' views of what the core keeps: rows of a search, an opened record with every
 * field labelled, and its history in the same words, in the shapes the IPC contract declares.
 */

/** What a view needs besides the record: names of other records and checklist items, operators, rejected changes. */
export interface RecordViewContext extends NamingContext {
  operatorName(operatorId: string): string | null;
  /** Ids of records with a change the office rejected and nobody has retried or discarded yet. */
  rejected: ReadonlySet<string>;
}

export function recordRowView(type: SearchableRecordType, { record, at }: TimedRecord, context: RecordViewContext): RecordRowView {
  return {
    recordType: type,
    recordId: record.id,
    title: recordTitle(type, record.fields),
    at,
    // Records that came by sync carry no local operator (settle.ts): the office's history names them.
    who: context.operatorName(record.createdBy),
    sync: syncView(record, context.rejected),
    status: record.fields.status === 'submitted' ? 'submitted' : 'draft',
    correction: typeof record.fields.correctsId === 'string',
  };
}

function syncView(record: StoredRecord, rejected: ReadonlySet<string>): RecordSyncView {
  if (record.pendingReview || record.syncState === 'conflict' || rejected.has(record.id)) return 'needs-review';
  return record.syncState === 'synced' ? 'sent' : 'on-device';
}

export function recordDetailView(
  type: SearchableRecordType,
  { found, corrections }: { found: TimedRecord; corrections: TimedRecord[] },
  context: RecordViewContext,
): RecordDetailView {
  const { fields } = found.record;
  const row = recordRowView(type, found, context);
  return {
    row,
    kind: RECORD_TYPES[type].label,
    fields: Object.keys(RECORD_TYPES[type].fields).map((field) => ({ field, label: fieldPresentation(type, field).label, value: valueView(type, field, fields[field], fields, context) })),
    correctedBy: corrections.map(({ record }) => linkView(type, record.id, context)),
    correctable: row.status === 'submitted' && corrections.length === 0,
  };
}

/** A field's value as the screen shows it; `fields` is the whole record (a checklist's answers need its template). */
function valueView(type: RecordType, field: string, value: unknown, fields: Record<string, unknown> | null, context: NamingContext): RecordValueView {
  const { as, words } = fieldPresentation(type, field);
  switch (as) {
    case 'time':
      return { kind: 'time', at: typeof value === 'number' ? value : null };
    case 'number':
      return { kind: 'number', value: typeof value === 'number' ? value : null };
    case 'photos':
      return { kind: 'photos', sha256: strings(value) };
    case 'signature':
      return { kind: 'signature', sha256: typeof value === 'string' ? value : null };
    case 'checklist':
      return { kind: 'checklist', answers: checklistAnswers(templateOf(fields, context), value) };
    case 'template':
      return { kind: 'text', text: context.templates.find((template) => template.id === value)?.title ?? (typeof value === 'string' ? value : null) };
    case 'workOrder':
      return { kind: 'record', record: typeof value === 'string' ? linkView('workOrder', value, context) : null };
    case 'correction':
      return { kind: 'record', record: typeof value === 'string' ? linkView(type, value, context) : null };
    case undefined:
      if (Array.isArray(value)) return { kind: 'list', items: value.map(String) };
      if (typeof value === 'number') return { kind: 'number', value };
      return { kind: 'text', text: typeof value === 'string' ? (words?.[value] ?? value) : null };
  }
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((member): member is string => typeof member === 'string') : [];
}

function templateOf(fields: Record<string, unknown> | null, context: NamingContext): ChecklistTemplate | undefined {
  return context.templates.find((template) => template.id === fields?.templateId);
}

/** Every item of the checklist in its order, answered or not; answers to items the checklist no longer has follow, by their id. */
function checklistAnswers(template: ChecklistTemplate | undefined, items: unknown): ChecklistAnswerView[] {
  const answers = (items !== null && typeof items === 'object' ? items : {}) as Record<string, unknown>;
  const listed = template?.items ?? [];
  const others = Object.keys(answers).filter((id) => !listed.some((item) => item.id === id));
  return [...listed.map((item) => item.id), ...others].map((id) => answerView(itemLabel(template, id), answers[id]));
}

function itemLabel(template: ChecklistTemplate | undefined, id: string): string {
  return template?.items.find((item) => item.id === id)?.label ?? id;
}

function answerView(label: string, answer: unknown): ChecklistAnswerView {
  const { result, note } = (answer ?? {}) as { result?: unknown; note?: unknown };
  return {
    label,
    result: result === 'pass' || result === 'fail' || result === 'na' ? result : null,
    note: typeof note === 'string' && note.trim() !== '' ? note.trim() : null,
  };
}

function isSearchable(type: string): type is SearchableRecordType {
  return (SEARCHABLE_RECORD_TYPES as readonly string[]).includes(type);
}

function linkView(type: RecordType, id: string, context: NamingContext): RecordLinkView {
  const fields = context.record(type, id);
  const title = recordTitle(type, fields);
  return fields !== null && isSearchable(type) ? { recordType: type, recordId: id, title, openable: true } : { recordType: type, recordId: id, title, openable: false };
}

/**
 * The record's entries still in this device's journal, oldest first, each with who made it, what
 * changed in words and what the office made of it: not sent yet, accepted, merged with another
 * change, sent to review, or rejected (the office's reason kept, even once retried or discarded).
 */
export function recordHistoryView(core: DeviceCore, type: RecordType, id: string, context: RecordViewContext): HistoryEntryView[] {
  const entries = core.recordHistory(type, id).flatMap(({ body, hash }) => (body.kind === 'record' ? [{ ...body, hash }] : []));
  const states = readOutboxStates(core.database.db, entries.map((entry) => entry.seq));
  const failed = new Map(core.failedEntries().map((entry) => [entry.seq, entry.message]));
  const reviewed = new Map<number, ConflictRow>();
  // Newest first: the office's latest word on an entry is the one kept.
  for (const conflict of core.conflicts()) if (conflict.seq !== null && !reviewed.has(conflict.seq)) reviewed.set(conflict.seq, conflict);
  const fields = core.getRecord(type, id)?.fields ?? null;
  return entries.map(({ seq, action, ops, operatorId, sessionId, deviceTime, hash }) => {
    const conflict = reviewed.get(seq);
    const office: HistoryEntryView['office'] =
      states.get(seq) === 'pending'
        ? { outcome: 'not-sent', message: null }
        : failed.has(seq) || conflict?.outcome === 'rejected'
          ? { outcome: 'rejected', message: failed.get(seq) ?? conflict?.whatHappened ?? null }
          : { outcome: conflict?.outcome ?? 'accepted', message: null };
    return {
      seq,
      action,
      ops,
      operatorId,
      operatorName: context.operatorName(operatorId),
      sessionId,
      deviceTime,
      hash,
      changes: ops.map((op) => changeView(type, op, fields, context)),
      office,
    };
  });
}

function changeView(type: RecordType, op: FieldOperation, fields: Record<string, unknown> | null, context: NamingContext): HistoryEntryView['changes'][number] {
  const { label, as } = fieldPresentation(type, op.op === 'tombstone' ? '' : op.field);
  switch (op.op) {
    case 'set':
      if (op.key === undefined) return { label, change: 'set', value: valueView(type, op.field, op.value, fields, context) };
      // One answer of a map field: the checklist item it answers, by its label.
      return { label, change: 'set', value: { kind: 'checklist', answers: [answerView(itemLabel(templateOf(fields, context), op.key), op.value)] } };
    case 'add':
    case 'remove':
      return { label, change: op.op, value: as === 'photos' ? { kind: 'photos', sha256: [op.member] } : { kind: 'list', items: [op.member] } };
    case 'increment':
      return { label, change: 'increment', value: { kind: 'number', value: op.by } };
    case 'tombstone':
      return { label: 'Record', change: 'delete', value: { kind: 'text', text: null } };
  }
}
