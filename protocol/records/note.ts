import { defineRecordType, field, id, longText } from './define.js';

export const note = defineRecordType({
  type: 'note',
  label: 'Note',
  deletable: true,
  submittable: false,
  fields: {
    subjectType: field.lww(id, { required: true, immutable: true }),
    subjectId: field.lww(id, { required: true, immutable: true }),
    body: field.lww(longText.min(1), { required: true }),
  },
});
