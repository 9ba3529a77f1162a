import { z } from 'zod';
import { identifier } from '../field-operations.js';
import { workOrderStatus } from '../records/work-order.js';
import { deviceKindSchema, operatorRoleSchema } from './shapes.js';
import { officeRoleSchema } from './office.js';
import { canonicalRecordSchema } from './records.js';

/**
 * The dispatch board and what the console needs around it (office users of any role read them).
 *
 * GET /v1/office/directory                      → `officeDirectorySchema` (the user, sites, operators)
 * GET /v1/office/work-orders?siteId=&status=    → `workOrderBoardSchema`, most recently changed first
 * GET /v1/office/events                          Server-Sent Events for office users: `ready`, then
 *     `changes` (`syncEventDataSchema`) when something for one of the organisation's sites commits.
 */
export const MAX_BOARD_ORDERS = 500;

export const workOrderBoardQuerySchema = z.strictObject({
  siteId: identifier.optional(),
  status: workOrderStatus.optional(),
});

/** The field's latest write to a work order: who, on which device, when, and when that device last synced. */
export const fieldActivitySchema = z.strictObject({
  operatorId: identifier,
  operatorName: z.string().nullable(),
  deviceId: identifier,
  deviceLabel: z.string().nullable(),
  deviceTime: z.number().int().nullable(),
  receivedAt: z.number().int(),
  deviceLastSeenAt: z.number().int().nullable(),
});
export type FieldActivity = z.infer<typeof fieldActivitySchema>;

/** A unit named by a shown work order that has an out-of-service defect no mechanic has certified (protocol/maintenance.ts). */
export const unitOutOfServiceSchema = z.strictObject({
  equipmentNumber: z.string(),
  inspectionId: identifier,
  defects: z.array(z.string()),
});
export type UnitOutOfService = z.infer<typeof unitOutOfServiceSchema>;

export const workOrderBoardSchema = z.strictObject({
  orders: z.array(z.strictObject({ record: canonicalRecordSchema, updatedAt: z.number().int(), field: fieldActivitySchema.nullable() })),
  unitsOutOfService: z.array(unitOutOfServiceSchema),
  /** True when more orders matched than the board shows. */
  truncated: z.boolean(),
});
export type WorkOrderBoard = z.infer<typeof workOrderBoardSchema>;

export const officeDirectorySchema = z.strictObject({
  user: z.strictObject({ id: identifier, name: z.string(), role: officeRoleSchema, organisationId: identifier.nullable() }),
  sites: z.array(z.strictObject({ id: identifier, name: z.string(), organisationId: identifier })),
  operators: z.array(z.strictObject({ id: identifier, siteId: identifier, displayName: z.string(), role: operatorRoleSchema, active: z.boolean() })),
  devices: z.array(z.strictObject({ id: identifier, siteId: identifier, kind: deviceKindSchema, label: z.string().nullable(), lastSeenAt: z.number().int().nullable() })),
});
export type OfficeDirectory = z.infer<typeof officeDirectorySchema>;
