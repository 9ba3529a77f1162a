import { z } from 'zod';
import { defineRecordType, epochMs, field, id, longText, shortText } from './define.js';

export const workOrderStatus = z.enum(['open', 'in-progress', 'done', 'cancelled']);

export const workOrder = defineRecordType({
  type: 'workOrder',
  label: 'Work order',
  deletable: true,
  submittable: false,
  fields: {
    siteId: field.officeOwned(id, { required: true, immutable: true }),
    title: field.officeOwned(shortText, { required: true }),
    description: field.officeOwned(longText),
    equipmentNumber: field.officeOwned(shortText),
    assignee: field.officeOwned(id.nullable()),
    dueDate: field.officeOwned(epochMs.nullable()),
    priority: field.officeOwned(z.enum(['low', 'normal', 'high', 'urgent'])),
    status: field.lww(workOrderStatus, { required: true }),
    statusNote: field.lww(longText),
    location: field.lww(shortText),
    completionNote: field.fieldOwned(longText),
    completedAt: field.fieldOwned(epochMs.nullable()),
  },
});
