import { z } from 'zod';
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
    if (Object.keys(items).length === 0) problems.push('no checklist item has been answered');
    for (const [item, answer] of Object.entries(items)) {
      if (answer.result === 'fail' && !answer.note?.trim()) problems.push(`failed item ${item} needs a note`);
    }
    if (!state.signature) problems.push('the inspection must be signed');
    return problems;
  },
});
