import { reportedDefects } from '../../protocol/maintenance.js';
import type { DefectRepair } from '../../protocol/records/repair-certification.js';
import type { StoredRecord } from '../../db/queries/records.js';

/** Why an inspector should look again before marking a work order done by hand. */
export type DoneCaution =
  | { kind: 'inspection-in-progress'; inspectionId: string; equipmentNumber: string }
  /** `defects`: the labels of what the inspection reported and no mechanic has certified repaired (or needing none). */
  | { kind: 'unresolved-defects'; inspectionId: string; equipmentNumber: string; defects: string[] };

/** A deferred defect is still on the unit, so only these settle one for the work order. */
const SETTLED = new Set(['repaired', 'no-repair-needed']);

/**
 * What the inspections started from the work order still leave open: one not submitted yet, or
 * one whose reported defects a mechanic has not certified. Empty when marking it done needs no second look.
 */
export function workOrderDoneCautions(workOrderId: string, inspections: readonly StoredRecord[], certifications: readonly StoredRecord[]): DoneCaution[] {
  return inspections
    .filter((inspection) => !inspection.deleted && inspection.fields.workOrderId === workOrderId)
    .flatMap((inspection): DoneCaution[] => {
      const equipmentNumber = String(inspection.fields.equipmentNumber ?? '');
      if (inspection.fields.status !== 'submitted') return [{ kind: 'inspection-in-progress', inspectionId: inspection.id, equipmentNumber }];
      const settled = new Set(
        certifications
          .filter((certification) => !certification.deleted && certification.fields.inspectionId === inspection.id)
          .flatMap((certification) => (Array.isArray(certification.fields.repairs) ? (certification.fields.repairs as DefectRepair[]) : []))
          .filter((repair) => SETTLED.has(repair.disposition))
          .map((repair) => repair.defect),
      );
      const open = reportedDefects(inspection.fields).filter((defect) => !settled.has(defect.key));
      return open.length === 0 ? [] : [{ kind: 'unresolved-defects', inspectionId: inspection.id, equipmentNumber, defects: open.map((defect) => defect.label) }];
    });
}
