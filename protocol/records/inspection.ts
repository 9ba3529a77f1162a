import { z } from 'zod';
import { checklistTemplate } from '../checklists.js';
import { defineRecordType, draftStatus, epochMs, field, id, longText, sha256, shortText } from './define.js';

export const checklistResult = z.strictObject({
  result: z.enum(['pass', 'fail', 'na']),
  note: longText.optional(),
});

export const inspection = defineRecordType({
  type: 'inspection',
  label: 'Inspection',
  deletable: false,
  submittable: true,
  correctionField: 'correctsId',
  fields: {
    workOrderId: field.lww(id.nullable(), { immutable: true }),
    templateId: field.lww(id, { required: true, immutable: true }),
    equipmentNumber: field.lww(shortText, { required: true }),
    odometer: field.lww(z.number().int().nonnegative()),
    /** Checklist item id → result; each item is its own field for conflicts. */
    items: field.lwwMap(checklistResult),
    defects: field.set(shortText),
    photos: field.set(sha256),
    signature: field.review(sha256.nullable()),
    remarks: field.lww(longText),
    status: field.fieldOwned(draftStatus, { required: true }),
    submittedAt: field.fieldOwned(epochMs.nullable()),
    correctsId: field.lww(id.nullable(), { immutable: true }),
  },
  submitChecks: (state) => {
    const problems: string[] = [];
    const items = (state.items ?? {}) as Record<string, z.infer<typeof checklistResult>>;
    const template = checklistTemplate(state.templateId);
    // Every item of the checklist needs an answer (N/A is one); a checklist the device does not know can only be held to one answer.
    const unanswered = template ? template.items.filter((item) => !items[item.id]).length : Object.keys(items).length === 0 ? 1 : 0;
    if (template && unanswered > 0) problems.push(`${unanswered} of ${template.items.length} checklist items ${unanswered === 1 ? 'is' : 'are'} not answered yet`);
    if (!template && unanswered > 0) problems.push('no checklist item has been answered');
    for (const [item, answer] of Object.entries(items)) {
      const label = template?.items.find((candidate) => candidate.id === item)?.label ?? item;
      if (answer.result === 'fail' && !answer.note?.trim()) problems.push(`failed item “${label}” needs a note saying what is wrong`);
    }
    if (!state.signature) problems.push('the inspection must be signed');
    return problems;
  },
});
