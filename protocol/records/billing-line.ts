import { z } from 'zod';
import { defineRecordType, field, id, shortText } from './define.js';

export const billingLine = defineRecordType({
  type: 'billingLine',
  label: 'Billing line',
  deletable: true,
  submittable: false,
  fields: {
    workOrderId: field.lww(id, { required: true, immutable: true }),
    description: field.review(shortText, { required: true }),
    quantity: field.review(z.number().nonnegative().max(1_000_000), { required: true }),
    unitPriceCents: field.review(z.number().int().nonnegative()),
    partsUsed: field.review(z.array(z.strictObject({ part: shortText, quantity: z.number().int().positive() })).max(100)),
  },
});
