import { z } from 'zod';
import { defineRecordType, field, id, shortText } from './define.js';

export const yardCount = defineRecordType({
  type: 'yardCount',
  label: 'Yard count',
  deletable: true,
  submittable: false,
  fields: {
    siteId: field.lww(id, { required: true, immutable: true }),
    location: field.lww(shortText, { required: true }),
    itemCode: field.lww(shortText, { required: true, immutable: true }),
    /** Tally taken in the yard; concurrent tallies from several clerks add up. */
    tally: field.counter(),
    /** The office's inventory figure; a device's value is kept as an observation only. */
    onHand: field.serverAuthoritative(z.number().int().nonnegative()),
  },
});
