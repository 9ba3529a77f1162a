import { z } from 'zod';
import { checkContainerNumber } from '../iso6346.js';
import { defineRecordType, draftStatus, epochMs, field, id, sha256, shortText } from './define.js';

export const containerNumber = z.string().superRefine((value, ctx) => {
  const check = checkContainerNumber(value);
  if (!check.ok) ctx.addIssue({ code: 'custom', message: `container number ${value}: ${check.reason}` });
  else if (check.value !== value) ctx.addIssue({ code: 'custom', message: `container number must be written ${check.value}` });
});

export const gateEvent = defineRecordType({
  type: 'gateEvent',
  label: 'Gate event',
  deletable: false,
  submittable: true,
  correctionField: 'correctsId',
  fields: {
    siteId: field.lww(id, { required: true, immutable: true }),
    direction: field.lww(z.enum(['in', 'out']), { required: true }),
    truckPlate: field.lww(shortText, { required: true }),
    carrier: field.lww(shortText, { required: true }),
    driverName: field.lww(shortText.nullable()),
    containerNumber: field.lww(containerNumber.nullable()),
    chassisNumber: field.lww(shortText.nullable()),
    sealNumbers: field.set(shortText),
    photos: field.set(sha256),
    recordedAt: field.lww(epochMs, { required: true }),
    status: field.fieldOwned(draftStatus, { required: true }),
    correctsId: field.lww(id.nullable(), { immutable: true }),
  },
  submitChecks: (state) =>
    !state.containerNumber && !state.chassisNumber ? ['a gate event needs a container or a chassis number'] : [],
});
