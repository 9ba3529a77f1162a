import { repairCertificationVerifies } from '../../protocol/maintenance-signature.js';
import type { DefectRepair } from '../../protocol/records/repair-certification.js';
import type { ActionInput } from './write-path.js';
import type { StoredRecord } from '../../db/queries/records.js';
import { CoreError } from './errors.js';

/**
 * The next driver's review of a mechanic's repair certification (49 CFR 396.11(a)(3)(iii)): the
 * device shows the certifications of its site not yet reviewed, checks the office's signature on
 * each, and records the review as the signed-in driver's own signed entry.
 */
export interface RepairToReview {
  recordId: string;
  equipmentNumber: string;
  inspectionId: string;
  repairs: DefectRepair[];
  mechanicName: string;
  certifiedAt: number;
  /** The office's signature holds under the key this device was enrolled with. */
  verified: boolean;
}

/** Certifications nobody has reviewed yet, newest first; `officePublicKey` null before enrollment (none verify). */
export function repairsToReview(certifications: readonly StoredRecord[], officePublicKey: Uint8Array | null): RepairToReview[] {
  return certifications
    .filter((record) => !record.deleted && typeof record.fields.reviewedAt !== 'number')
    .map((record) => ({
      recordId: record.id,
      equipmentNumber: String(record.fields.equipmentNumber ?? ''),
      inspectionId: String(record.fields.inspectionId ?? ''),
      repairs: Array.isArray(record.fields.repairs) ? (record.fields.repairs as DefectRepair[]) : [],
      mechanicName: String(record.fields.mechanicName ?? ''),
      certifiedAt: typeof record.fields.certifiedAt === 'number' ? record.fields.certifiedAt : 0,
      verified: officeSigned(record, officePublicKey),
    }))
    .sort((a, b) => b.certifiedAt - a.certifiedAt);
}

/** The action that records `operatorId`'s review of a certification, refused when it cannot be trusted or is done. */
export function reviewAction(certification: StoredRecord | null, officePublicKey: Uint8Array | null, operatorId: string, now: number): ActionInput {
  if (!certification || certification.deleted) throw new CoreError('invalid-input', 'this repair certification is not on the device', 'recordId');
  if (typeof certification.fields.reviewedAt === 'number') throw new CoreError('invalid-input', 'these repairs were already reviewed by a driver', 'recordId');
  if (!officeSigned(certification, officePublicKey)) throw new CoreError('invalid-input', "the office's signature on this certification does not check out: do not drive the unit, and call the office", 'recordId');
  return {
    recordType: 'repairCertification',
    recordId: certification.id,
    action: 'update',
    ops: [
      { op: 'set', field: 'reviewedBy', value: operatorId },
      { op: 'set', field: 'reviewedAt', value: now },
    ],
  };
}

/** Whether the office's signature on the certification holds; none does before enrollment (no office key). */
function officeSigned(certification: StoredRecord, officePublicKey: Uint8Array | null): boolean {
  return officePublicKey !== null && repairCertificationVerifies(certification.id, certification.fields, officePublicKey);
}
