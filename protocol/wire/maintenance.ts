import { z } from 'zod';
import { identifier } from '../field-operations.js';
import { defectKey, defectRepairSchema, repairDisposition } from '../records/repair-certification.js';
import { longText } from '../records/define.js';
import { fieldActivitySchema } from './dispatch.js';

/**
 * Maintenance sign-off (office: maintenance and admin certify; dispatchers read the queue).
 *
 * GET  /v1/office/maintenance?siteId=            → `maintenanceQueueSchema`: units with defects no
 *      mechanic has certified yet (out-of-service units first), and the latest certifications
 * POST /v1/office/maintenance/certifications     (`certifyRepairsSchema`) → `officeWriteResponseSchema`
 *      with the new `repairCertification` record, signed by the office; it reaches the unit's site's devices on pull.
 */
export const MAX_MAINTENANCE_INSPECTIONS = 500;
export const RECENT_CERTIFICATIONS = 50;

export const maintenanceQuerySchema = z.strictObject({ siteId: identifier.optional() });

export const reportedDefectSchema = z.strictObject({
  key: defectKey,
  label: z.string(),
  note: z.string().nullable(),
  outOfService: z.boolean(),
});

export const defectiveInspectionSchema = z.strictObject({
  inspectionId: identifier,
  siteId: identifier,
  submittedAt: z.number().int().nullable(),
  /** Who submitted it, on which device, and when that device last synced. */
  submittedBy: fieldActivitySchema.nullable(),
  defects: z.array(reportedDefectSchema),
});

export const maintenanceUnitSchema = z.strictObject({
  equipmentNumber: z.string(),
  outOfService: z.boolean(),
  /** Oldest first: the order a mechanic works through them. */
  inspections: z.array(defectiveInspectionSchema),
});
export type MaintenanceUnit = z.infer<typeof maintenanceUnitSchema>;

export const certificationSummarySchema = z.strictObject({
  recordId: identifier,
  siteId: identifier,
  equipmentNumber: z.string(),
  inspectionId: identifier,
  repairs: z.array(defectRepairSchema),
  mechanicName: z.string(),
  certifiedAt: z.number().int(),
  reviewedBy: identifier.nullable(),
  reviewedByName: z.string().nullable(),
  reviewedAt: z.number().int().nullable(),
});
export type CertificationSummary = z.infer<typeof certificationSummarySchema>;

export const maintenanceQueueSchema = z.strictObject({
  units: z.array(maintenanceUnitSchema),
  /** True when more defective inspections waited than the queue shows. */
  truncated: z.boolean(),
  certified: z.array(certificationSummarySchema),
});
export type MaintenanceQueue = z.infer<typeof maintenanceQueueSchema>;

export const certifyRepairsSchema = z.strictObject({
  inspectionId: identifier,
  repairs: z
    .array(z.strictObject({ defect: defectKey, disposition: repairDisposition, reason: longText.optional() }))
    .min(1, 'decide every defect')
    .max(250),
});
export type CertifyRepairs = z.infer<typeof certifyRepairsSchema>;
