import { reportedDefects } from '../../protocol/maintenance.js';
import type { StoredRecord } from '../../db/queries/records.js';
import type { ActionInput } from './write-path.js';

const FINISHED = new Set(['done', 'cancelled']);

/**
 * Submitting an inspection: its submit and, when it was started from a work order that is still
 * open or in progress, that order marked done with what the inspection found. One transaction, so
 * the order never says done for an inspection that was not submitted, nor stays open after it was.
 */
export function inspectionSubmitActions(inspection: StoredRecord, workOrder: StoredRecord | null, submittedAt: number): ActionInput[] {
  const submit: ActionInput = { recordType: 'inspection', recordId: inspection.id, action: 'submit', ops: [{ op: 'set', field: 'submittedAt', value: submittedAt }] };
  if (!workOrder || workOrder.deleted || FINISHED.has(String(workOrder.fields.status))) return [submit];
  const defects = reportedDefects(inspection.fields);
  const found = defects.length === 0 ? 'no defects' : `${defects.length === 1 ? '1 defect' : `${defects.length} defects`}: ${defects.map((defect) => defect.label).join('; ')}`;
  const note = `Inspection of ${String(inspection.fields.equipmentNumber ?? 'the unit')} submitted, ${found}.`;
  return [
    submit,
    {
      recordType: 'workOrder',
      recordId: workOrder.id,
      action: 'update',
      ops: [
        { op: 'set', field: 'status', value: 'done' },
        { op: 'set', field: 'completedAt', value: submittedAt },
        { op: 'set', field: 'completionNote', value: note.slice(0, 5000) },
      ],
    },
  ];
}
