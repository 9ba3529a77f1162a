import { workOrder, workOrderStatus } from '../../protocol/records/work-order.js';

/**
 * Who may edit a work-order field, from the record type's own policies (protocol/records): the
 * office owns assignment and planning, the field owns completion, and both may set the shared
 * (latest-wins) status fields.
 */
export type Ownership = 'office' | 'field' | 'shared';

export function ownershipOf(field: string): Ownership {
  const spec = workOrder.fields[field as keyof typeof workOrder.fields];
  if (!spec) throw new Error(`a work order has no field ${field}`);
  if (spec.policy.kind === 'owner') return spec.policy.owner;
  return 'shared';
}

export const OWNERSHIP_LABEL: Record<Ownership, string> = {
  office: 'Office-owned',
  field: 'Field-owned: set on the device, read-only here',
  shared: 'Shared: the latest edit wins',
};

/** The fields a dispatcher edits, in the order the form shows them (siteId is set once, at creation). */
export const EDITABLE_FIELDS = ['title', 'description', 'equipmentNumber', 'assignee', 'dueDate', 'priority', 'status', 'statusNote', 'location'] as const;
export type EditableField = (typeof EDITABLE_FIELDS)[number];
export const FIELD_OWNED = Object.keys(workOrder.fields).filter((field) => ownershipOf(field) === 'field');

export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export const STATUSES = workOrderStatus.options;

export type Draft = Record<EditableField, string>;

/** The form's text for each field of a work order. */
export function draftOf(fields: Record<string, unknown>): Draft {
  const text = (value: unknown) => (value === null || value === undefined ? '' : String(value));
  const due = fields.dueDate;
  return {
    title: text(fields.title),
    description: text(fields.description),
    equipmentNumber: text(fields.equipmentNumber),
    assignee: text(fields.assignee),
    dueDate: typeof due === 'number' ? new Date(due).toISOString().slice(0, 10) : '',
    priority: text(fields.priority) || 'normal',
    status: text(fields.status) || 'open',
    statusNote: text(fields.statusNote),
    location: text(fields.location),
  };
}

/** A form value as the office API takes it (empty optional text is left out; empty assignee or due date clears it). */
function wireValue(field: EditableField, value: string): unknown {
  if (field === 'assignee') return value === '' ? null : value;
  if (field === 'dueDate') return value === '' ? null : Date.parse(`${value}T00:00:00Z`);
  return value.trim();
}

/** What changed between the order as loaded and the form: the `set` of a PATCH; empty when nothing did. */
export function changedFields(before: Draft, after: Draft): Record<string, unknown> {
  const set: Record<string, unknown> = {};
  for (const field of EDITABLE_FIELDS) if (before[field] !== after[field]) set[field] = wireValue(field, after[field]);
  return set;
}

/** The body of a create: every field given a value. */
export function createdFields(draft: Draft): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const field of EDITABLE_FIELDS) {
    if (draft[field] === '' && field !== 'title') continue;
    values[field] = wireValue(field, draft[field]);
  }
  return values;
}
