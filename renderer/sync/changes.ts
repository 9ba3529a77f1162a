import type { FieldOperation } from '../../protocol/actions.js';
import type { ConflictView } from '../../main/ipc/contract.js';
import { shortHash } from '../format.js';

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

/** A field value as a short line of text. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined || value === '') return '(empty)';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string') return SHA256.test(value) ? `file ${shortHash(value)}` : value;
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return value.length === 0 ? '(none)' : value.map(formatValue).join(', ');
  if (typeof value === 'object') {
    const entries = Object.entries(value);
    return entries.length === 0 ? '(empty)' : entries.map(([key, item]) => `${key}: ${formatValue(item)}`).join('; ');
  }
  return String(value);
}

/** What one operation did, in words: the field (labelled) and the change. */
export function describeOperation(op: FieldOperation): { field: string; change: string } {
  switch (op.op) {
    case 'set':
      return { field: op.key === undefined ? fieldLabel(op.field) : `${fieldLabel(op.field)} › ${op.key}`, change: formatValue(op.value) };
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

/** The conflict as rows of the fields the change touched: sent vs kept. */
export function compareConflict(conflict: ConflictView): FieldComparison[] {
  const kept = conflict.serverKept;
  return (conflict.local?.ops ?? []).map((op) => {
    const { field, change } = describeOperation(op);
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
