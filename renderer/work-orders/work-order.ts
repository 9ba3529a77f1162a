import type { DoneCautionView, RecordView } from '../../main/ipc/contract.js';

export type WorkOrderStatus = 'open' | 'in-progress' | 'done' | 'cancelled';
export type WorkOrderPriority = 'low' | 'normal' | 'high' | 'urgent';

/** A work order as the inspector's screen shows it. */
export interface WorkOrder {
  id: string;
  title: string;
  description: string | null;
  equipmentNumber: string | null;
  assignee: string | null;
  dueDate: number | null;
  priority: WorkOrderPriority;
  status: WorkOrderStatus;
  statusNote: string | null;
  /** The office has an edit of this order in front of a reviewer. */
  pendingReview: boolean;
  /** Changes made here that the office has not acknowledged yet. */
  unsent: boolean;
  deleted: boolean;
}

const PRIORITY_ORDER: Record<WorkOrderPriority, number> = { urgent: 0, high: 1, normal: 2, low: 3 };
const STATUS_ORDER: Record<WorkOrderStatus, number> = { 'in-progress': 0, open: 1, done: 2, cancelled: 3 };

export function readWorkOrder(record: RecordView): WorkOrder {
  const fields = record.fields;
  const text = (name: string) => (typeof fields[name] === 'string' && fields[name] !== '' ? (fields[name] as string) : null);
  return {
    id: record.id,
    title: text('title') ?? record.id,
    description: text('description'),
    equipmentNumber: text('equipmentNumber'),
    assignee: text('assignee'),
    dueDate: typeof fields.dueDate === 'number' ? fields.dueDate : null,
    priority: (text('priority') as WorkOrderPriority | null) ?? 'normal',
    status: (text('status') as WorkOrderStatus | null) ?? 'open',
    statusNote: text('statusNote'),
    pendingReview: record.pendingReview,
    unsent: record.syncState === 'pending' || record.syncState === 'local',
    deleted: record.deleted,
  };
}

/** The orders assigned to `operatorId` that still exist: unfinished first, then by priority and due date. */
export function assignedWorkOrders(records: RecordView[], operatorId: string): WorkOrder[] {
  return records
    .map(readWorkOrder)
    .filter((order) => !order.deleted && order.assignee === operatorId)
    .sort(
      (a, b) =>
        STATUS_ORDER[a.status] - STATUS_ORDER[b.status] ||
        PRIORITY_ORDER[a.priority] - PRIORITY_ORDER[b.priority] ||
        (a.dueDate ?? Infinity) - (b.dueDate ?? Infinity) ||
        a.title.localeCompare(b.title),
    );
}

/** A reason to confirm before marking an order done, as the confirmation names it. */
export function doneCautionText(caution: DoneCautionView): string {
  const unit = caution.equipmentNumber || 'the unit';
  if (caution.kind === 'inspection-in-progress') return `The inspection of ${unit} started from this work order is still in progress: it has not been submitted.`;
  const what = caution.defects.length === 1 ? 'a defect' : `${caution.defects.length} defects`;
  return `The inspection of ${unit} found ${what} no mechanic has certified as repaired: ${caution.defects.join('; ')}.`;
}
