import { z } from 'zod';
import { defineRecordType, epochMs, field, id, longText, shortText } from './define.js';
import { text } from '../text.js';

/** What a mechanic decided about one reported defect (49 CFR 396.11(a)(3)). */
export const REPAIR_DISPOSITIONS = ['repaired', 'deferred', 'no-repair-needed'] as const;
export const repairDisposition = z.enum(REPAIR_DISPOSITIONS);
export type RepairDisposition = z.infer<typeof repairDisposition>;

/** A defect named as protocol/maintenance.ts names it: `item:<checklist item>` or `defect:<text>`. */
export const defectKey = text().min(1).max(220);

export const defectRepairSchema = z.strictObject({
  defect: defectKey,
  /** The defect as the inspector reported it, kept so the certification reads on its own. */
  label: shortText,
  disposition: repairDisposition,
  /** Why a defect is deferred, or anything else the mechanic notes. */
  reason: longText.optional(),
});
export type DefectRepair = z.infer<typeof defectRepairSchema>;

/** An Ed25519 signature in base64 (64 bytes). */
const signatureBase64 = z.string().regex(/^[A-Za-z0-9+/]{86}==$/, 'a signature is 64 bytes in base64');

/**
 * A mechanic's certification of the defects one inspection reported on a unit: made in the office,
 * signed by the office key (its public key is on every enrolled device), never edited afterwards.
 * The next driver of the unit reviews it on the device: the field-owned review fields, set by the
 * driver's own signed journal entry, which is their signature.
 */
export const repairCertification = defineRecordType({
  type: 'repairCertification',
  label: 'Repair certification',
  deletable: false,
  submittable: false,
  fields: {
    siteId: field.officeOwned(id, { required: true, immutable: true }),
    equipmentNumber: field.officeOwned(shortText, { required: true, immutable: true }),
    inspectionId: field.officeOwned(id, { required: true, immutable: true }),
    repairs: field.officeOwned(z.array(defectRepairSchema).min(1).max(250), { required: true, immutable: true }),
    mechanicName: field.officeOwned(shortText, { required: true, immutable: true }),
    certifiedBy: field.officeOwned(id, { required: true, immutable: true }),
    certifiedAt: field.officeOwned(epochMs, { required: true, immutable: true }),
    officeSignature: field.officeOwned(signatureBase64, { required: true, immutable: true }),
    reviewedBy: field.fieldOwned(id.nullable()),
    reviewedAt: field.fieldOwned(epochMs.nullable()),
  },
});
