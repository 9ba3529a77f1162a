import type { FieldOperation, RecordAction } from '../../protocol/actions.js';
import type { ConflictView } from '../../main/ipc/contract.js';

/** One field of a change, side by side: what this device sent and what the office kept. */
export interface FieldComparison {
  field: string;
  sent: string;
  /** Null when the office kept no record at all. */
  kept: string | null;
}

/** "statusNote" → "Status note". */
export function fieldLabel(name: string): string {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const SHA256 = /^[0-9a-f]{64}$/;
const RESULTS: Record<string, string> = { pass: 'Pass', fail: 'Fail', na: 'N/A' };

/** A field value as a short line of text. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined || value === '') return '(empty)';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  // Photos and signatures are stored under their hash: nobody reads a hash.
  if (typeof value === 'string') return SHA256.test(value) ? 'an image' : value;
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return value.length === 0 ? '(none)' : value.map(formatValue).join(', ');
  if (typeof value === 'object') return formatObject(value as Record<string, unknown>);
  return String(value);
}

/** A checklist answer reads "Fail: soft pedal"; other objects as their fields. */
function formatObject(value: Record<string, unknown>): string {
  const { result, note } = value;
  if (typeof result === 'string' && result in RESULTS) return typeof note === 'string' && note.trim() ? `${RESULTS[result]}: ${note.trim()}` : RESULTS[result]!;
  const entries = Object.entries(value);
  return entries.length === 0 ? '(empty)' : entries.map(([key, item]) => `${fieldLabel(key)}: ${formatValue(item)}`).join('; ');
}

/** What one operation did, in words: the field (labelled, a checklist item by its label) and the change. */
export function describeOperation(op: FieldOperation, keyLabels: Readonly<Record<string, string>> = {}): { field: string; change: string } {
  switch (op.op) {
    case 'set':
      return { field: op.key === undefined ? fieldLabel(op.field) : (keyLabels[op.key] ?? fieldLabel(op.key)), change: formatValue(op.value) };
    case 'increment':
      return { field: fieldLabel(op.field), change: `${op.by >= 0 ? 'add' : 'subtract'} ${Math.abs(op.by)}` };
    case 'add':
      return { field: fieldLabel(op.field), change: `add ${formatValue(op.member)}` };
    case 'remove':
      return { field: fieldLabel(op.field), change: `remove ${formatValue(op.member)}` };
    case 'tombstone':
      return { field: 'Record', change: 'delete it' };
  }
}

const ACTIONS: Record<RecordAction, string> = { create: 'Created', update: 'Changed', submit: 'Submitted', delete: 'Deleted' };

/** A change as one line: "Changed: Status note → brakes checked; Horn → Pass". */
export function describeChange(action: RecordAction, ops: readonly FieldOperation[], keyLabels: Readonly<Record<string, string>>): string {
  const parts = ops.map((op) => describeOperation(op, keyLabels)).map(({ field, change }) => `${field} → ${change}`);
  return parts.length > 0 ? `${ACTIONS[action]}: ${parts.join('; ')}` : ACTIONS[action];
}

/** The conflict as rows of the fields the change touched: sent vs kept. */
export function compareConflict(conflict: Pick<ConflictView, 'local' | 'serverKept' | 'keyLabels'>): FieldComparison[] {
  const kept = conflict.serverKept;
  return (conflict.local?.ops ?? []).map((op) => {
    const { field, change } = describeOperation(op, conflict.keyLabels);
    if (!kept) return { field, sent: change, kept: null };
    if (op.op === 'tombstone') return { field, sent: change, kept: kept.deleted ? 'deleted' : 'kept the record' };
    return { field, sent: change, kept: keptFieldValue(kept.fields[op.field], op) };
  });
}

/** A map field (checklist answers) comes back whole; show the key the change was about. */
function keptFieldValue(value: unknown, op: FieldOperation): string {
  if (op.op === 'set' && op.key !== undefined && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return formatValue((value as Record<string, unknown>)[op.key]);
  }
  return formatValue(value);
}

export interface ConflictSummary {
  tag: string;
  tone: 'warn' | 'draft' | 'muted';
  /** What happened, in a sentence that names the record. */
  sentence: string;
}

const LOST = new Set(['superseded', 'rejected', 'observed']);

/**
 * The tag and sentence of an inbox item, from what the office did with each field: a change the
 * office merged but whose every field lost to a later one was not kept, whatever the entry's outcome.
 */
export function summarizeConflict(conflict: Pick<ConflictView, 'outcome' | 'fieldOutcomes' | 'yours' | 'recordTitle'>): ConflictSummary {
  const whose = conflict.yours ? 'Your change' : 'A change made on this device';
  const record = conflict.recordTitle;
  if (conflict.outcome === 'conflict') {
    return {
      tag: 'Waiting for review',
      tone: 'draft',
      sentence: `${whose} to ${record} and another one made at the same time disagree. A reviewer at the office decides which stays; until then the record shows as pending review.`,
    };
  }
  if (conflict.outcome === 'rejected') {
    return { tag: 'Not accepted', tone: 'warn', sentence: `The office did not accept ${lower(whose)} to ${record}. It is listed under “Rejected by the office”, where you can retry or discard it.` };
  }
  const outcomes = (conflict.fieldOutcomes ?? []).map((field) => field.outcome);
  const lost = outcomes.filter((outcome) => LOST.has(outcome)).length;
  if (outcomes.length > 0 && lost === outcomes.length) {
    return {
      tag: 'Not kept',
      tone: 'warn',
      sentence: `${whose} to ${record} was not kept: a later change made elsewhere at the same time was kept instead. Yours stays in the record's history.`,
    };
  }
  if (lost > 0) {
    return { tag: 'Partly kept', tone: 'warn', sentence: `Part of ${lower(whose)} to ${record} was not kept: for some fields, a later change made elsewhere at the same time was kept instead.` };
  }
  return { tag: 'Combined', tone: 'muted', sentence: `${whose} to ${record} was combined with a change made elsewhere at the same time.` };
}

function lower(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
