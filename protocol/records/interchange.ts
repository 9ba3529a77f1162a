import { z } from 'zod';
import { defineRecordType, draftStatus, epochMs, field, id, longText, sha256, shortText } from './define.js';

export const equipmentInterchange = defineRecordType({
  type: 'equipmentInterchange',
  label: 'Equipment interchange',
  deletable: false,
  submittable: true,
  correctionField: 'correctsId',
  fields: {
    equipmentType: field.lww(z.enum(['trailer', 'container', 'chassis']), { required: true, immutable: true }),
    equipmentNumber: field.lww(shortText, { required: true }),
    fromCarrier: field.lww(shortText, { required: true }),
    toCarrier: field.lww(shortText, { required: true }),
    condition: field.lww(z.enum(['good', 'fair', 'damaged'])),
    conditionNote: field.lww(longText),
    damages: field.set(shortText),
    photos: field.set(sha256),
    fromSignature: field.review(sha256.nullable()),
    toSignature: field.review(sha256.nullable()),
    interchangedAt: field.lww(epochMs, { required: true }),
    status: field.fieldOwned(draftStatus, { required: true }),
    correctsId: field.lww(id.nullable(), { immutable: true }),
  },
  submitChecks: (state) => {
    const problems: string[] = [];
    if (!state.condition) problems.push('record the equipment condition');
    if (!state.fromSignature || !state.toSignature) problems.push('both carriers must sign the interchange');
    return problems;
  },
});
