import type { RecordTypeSpec } from './define.js';
import { billingLine } from './billing-line.js';
import { gateEvent } from './gate-event.js';
import { inspection } from './inspection.js';
import { equipmentInterchange } from './interchange.js';
import { note } from './note.js';
import { repairCertification } from './repair-certification.js';
import { workOrder } from './work-order.js';
import { yardCount } from './yard-count.js';

export * from './define.js';
export * from './attachments.js';
export * from './repair-certification.js';
export { billingLine, equipmentInterchange, gateEvent, inspection, note, workOrder, yardCount };

/** Every record type both sides know, by name. Adding a type here is a protocol change. */
export const RECORD_TYPES = {
  workOrder,
  inspection,
  gateEvent,
  equipmentInterchange,
  yardCount,
  billingLine,
  note,
  repairCertification,
} as const satisfies Record<string, RecordTypeSpec>;

export type RecordType = keyof typeof RECORD_TYPES;
export const RECORD_TYPE_NAMES = Object.keys(RECORD_TYPES) as RecordType[];

export function recordTypeSpec(type: string): RecordTypeSpec | undefined {
  return Object.hasOwn(RECORD_TYPES, type) ? (RECORD_TYPES[type as RecordType] as RecordTypeSpec) : undefined;
}

/** The policy a field is settled by, in the words the console shows ('lww', 'owner: office', 'set'...). */
export function policyOf(recordType: string, field: string): string {
  const policy = recordTypeSpec(recordType)?.fields[field]?.policy;
  if (!policy) return field === '*' ? 'tombstone: deletes win, later edits are kept for review' : 'unknown';
  return policy.kind === 'owner' ? `owner: ${policy.owner}` : policy.kind;
}
