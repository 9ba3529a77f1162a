import { canonicalBytes } from './canonical.js';
import { SIGNATURE_DOMAINS, type Signer, signInDomain, verifyInDomain } from './crypto/ed25519.js';
import { base64ToBytes, bytesToBase64, sha256Hex } from './crypto/hash.js';
import type { RecordFields } from './records/define.js';
import type { DefectRepair } from './records/repair-certification.js';

/** The office's signature on a repair certification (protocol/maintenance.ts), and its record id. */

/** The certification record for an inspection: one per inspection, so two mechanics cannot both certify it. */
export function repairCertificationId(inspectionId: string): string {
  return `repairs-${sha256Hex(inspectionId).slice(0, 32)}`;
}

/** The fields the office signs: everything the mechanic certified, bound to the record's id. */
export interface CertifiedFields {
  siteId: string;
  equipmentNumber: string;
  inspectionId: string;
  repairs: DefectRepair[];
  mechanicName: string;
  certifiedBy: string;
  certifiedAt: number;
}

function signedPayload(recordId: string, fields: CertifiedFields): Uint8Array {
  const { siteId, equipmentNumber, inspectionId, repairs, mechanicName, certifiedBy, certifiedAt } = fields;
  return canonicalBytes({ recordId, siteId, equipmentNumber, inspectionId, repairs, mechanicName, certifiedBy, certifiedAt });
}

export function signRepairCertification(recordId: string, fields: CertifiedFields, officeSigner: Signer): string {
  return bytesToBase64(signInDomain(officeSigner, SIGNATURE_DOMAINS.repairCertification, signedPayload(recordId, fields)));
}

/** Whether the certification's office signature holds for what it says, under the office key a device was enrolled with. */
export function repairCertificationVerifies(recordId: string, fields: RecordFields, officePublicKey: Uint8Array): boolean {
  if (typeof fields.officeSignature !== 'string') return false;
  try {
    const signature = base64ToBytes(fields.officeSignature);
    return verifyInDomain(officePublicKey, SIGNATURE_DOMAINS.repairCertification, signedPayload(recordId, fields as unknown as CertifiedFields), signature);
  } catch {
    return false;
  }
}

