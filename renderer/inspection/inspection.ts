import type { RecordView } from '../../main/ipc/contract.js';
import type { ChecklistTemplate } from '../../protocol/checklists.js';
import { inspection as inspectionSpec } from '../../protocol/records/inspection.js';

export type ChecklistResult = 'pass' | 'fail' | 'na';

export interface ChecklistAnswer {
  result: ChecklistResult;
  note?: string;
}

/** An inspection as the inspector sees it (protocol/records/inspection.ts holds the rules). */
export type Inspection = {
  id: string;
  templateId: string;
  equipmentNumber: string;
  odometer: number | null;
  items: Record<string, ChecklistAnswer>;
  defects: string[];
  /** Defect photos, by the hash the core stored them under. */
  photos: string[];
  signature: string | null;
  remarks: string | null;
  status: 'draft' | 'submitted';
  submittedAt: number | null;
  startedAt: number;
};

export function readInspection(record: RecordView): Inspection {
  // The core validated every field against the inspection schema when it was written.
  return { id: record.id, startedAt: record.createdAt, ...(record.fields as Omit<Inspection, 'id' | 'startedAt'>) };
}

export interface ChecklistProgress {
  answered: number;
  total: number;
  failed: number;
}

export function checklistProgress(inspection: Inspection, template: ChecklistTemplate): ChecklistProgress {
  const answers = template.items.map((item) => inspection.items[item.id]).filter((answer) => answer !== undefined);
  return { answered: answers.length, total: template.items.length, failed: answers.filter((answer) => answer.result === 'fail').length };
}

/** What still stops the submit: the same checks the core runs, so the inspector sees them first. */
export function submitProblems(inspection: Inspection): string[] {
  return inspectionSpec.submitChecks?.(inspection) ?? [];
}
