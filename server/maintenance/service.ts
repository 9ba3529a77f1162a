import { certificationProblems, certifiedRepairs, reportedDefects, unitKey } from '../../protocol/maintenance.js';
import { repairCertificationId, signRepairCertification } from '../../protocol/maintenance-signature.js';
import type { CertificationSummary, CertifyRepairs, MaintenanceQueue, MaintenanceUnit, OfficeWriteResponse, UnitOutOfService } from '../../protocol/wire.js';
import { MAX_MAINTENANCE_INSPECTIONS, RECENT_CERTIFICATIONS } from '../../protocol/wire.js';
import type { DefectRepair } from '../../protocol/records/repair-certification.js';
import { assertOrganisationAccess } from '../auth.js';
import type { ServiceContext } from '../context.js';
import type { OfficeDb } from '../db/connect.js';
import { latestFieldWrites } from '../db/queries/board.js';
import type { OfficeUser } from '../db/queries/identity.js';
import { findSite } from '../db/queries/identity.js';
import { certificationOf, recentCertifications, uncertifiedDefectiveInspections } from '../db/queries/maintenance.js';
import { findRecord } from '../db/queries/records.js';
import type { ServerRecord } from '../db/schema.js';
import { ApiFailure, conflict, notFound } from '../errors.js';
import { setOperations, writeAsOffice } from '../sync/office-writes.js';

/**
 * Maintenance sign-off (49 CFR 396.11(a)(3)): the defects drivers reported, per unit, until a
 * mechanic certifies what was done about each; the certification is an office write of a
 * `repairCertification` record, signed with the office key, so it is journaled like any office
 * edit and reaches the unit's devices on their next pull.
 */

export async function maintenanceQueue(db: OfficeDb, user: OfficeUser, siteId?: string): Promise<MaintenanceQueue> {
  const filter = { organisationId: user.organisationId, ...(siteId ? { siteId } : {}) };
  const found = await uncertifiedDefectiveInspections(db, { ...filter, limit: MAX_MAINTENANCE_INSPECTIONS + 1 });
  const shown = found.slice(0, MAX_MAINTENANCE_INSPECTIONS);
  const submitters = await latestFieldWrites(db, 'inspection', shown.map((record) => record.id));
  const units = new Map<string, MaintenanceUnit>();
  for (const record of shown) {
    const equipmentNumber = unitOf(record);
    const unit = units.get(equipmentNumber) ?? { equipmentNumber, outOfService: false, inspections: [] };
    const defects = reportedDefects(record.fields);
    unit.outOfService ||= defects.some((defect) => defect.outOfService);
    unit.inspections.push({
      inspectionId: record.id,
      siteId: record.siteId,
      submittedAt: typeof record.fields.submittedAt === 'number' ? record.fields.submittedAt : null,
      submittedBy: submitters.get(record.id) ?? null,
      defects,
    });
    units.set(equipmentNumber, unit);
  }
  const certified = await recentCertifications(db, { ...filter, limit: RECENT_CERTIFICATIONS });
  return {
    // Out-of-service units first; otherwise the unit waiting longest.
    units: [...units.values()].sort((a, b) => Number(b.outOfService) - Number(a.outOfService)),
    truncated: found.length > MAX_MAINTENANCE_INSPECTIONS,
    certified: certified.map(({ record, reviewedByName }) => certificationSummary(record, reviewedByName)),
  };
}

/** Of `units` (equipment numbers on the dispatch board), those with an out-of-service defect not yet certified. */
export async function unitsOutOfService(db: OfficeDb, organisationId: string | null, units: readonly string[]): Promise<UnitOutOfService[]> {
  const inspections = await uncertifiedDefectiveInspections(db, { organisationId, units, limit: MAX_MAINTENANCE_INSPECTIONS });
  const out = new Map<string, UnitOutOfService>();
  for (const record of inspections) {
    const defects = reportedDefects(record.fields).filter((defect) => defect.outOfService);
    const equipmentNumber = unitOf(record);
    if (defects.length > 0 && !out.has(equipmentNumber)) out.set(equipmentNumber, { equipmentNumber, inspectionId: record.id, defects: defects.map((defect) => defect.label) });
  }
  return [...out.values()];
}

/** The signed-in mechanic certifies what was done about every defect one submitted inspection reported. */
export async function certifyRepairs(context: ServiceContext, user: OfficeUser, request: CertifyRepairs): Promise<OfficeWriteResponse> {
  const { db } = context.database;
  const inspection = await findRecord(db, 'inspection', request.inspectionId);
  const site = inspection ? await findSite(db, inspection.siteId) : null;
  if (!inspection || !site || inspection.deleted) throw notFound(`inspection ${request.inspectionId}`);
  assertOrganisationAccess(user, site.organisationId);
  if (inspection.fields.status !== 'submitted') throw conflict('this inspection is still a draft on the device: certify repairs once the driver has submitted it');
  const existing = await certificationOf(db, inspection.id);
  if (existing) throw conflict(`the repairs of this inspection were already certified by ${String(existing.fields.mechanicName)}`);
  const defects = reportedDefects(inspection.fields);
  if (defects.length === 0) throw conflict('this inspection reported no defects: there is nothing to certify');
  const problems = certificationProblems(defects, request.repairs);
  if (problems.length > 0) throw new ApiFailure(400, 'invalid-request', `The certification cannot be signed: ${problems.join('; ')}.`, { problems });
  const recordId = repairCertificationId(inspection.id);
  const certified = {
    siteId: inspection.siteId,
    equipmentNumber: unitOf(inspection),
    inspectionId: inspection.id,
    repairs: certifiedRepairs(defects, request.repairs),
    mechanicName: user.name,
    certifiedBy: user.id,
    certifiedAt: context.clock.now(),
  };
  const officeSignature = signRepairCertification(recordId, certified, context.serverSigner);
  return writeAsOffice(context, user, {
    recordType: 'repairCertification',
    recordId,
    action: 'create',
    ops: setOperations({ ...certified, officeSignature }),
  });
}

function unitOf(record: ServerRecord): string {
  return typeof record.fields.equipmentNumber === 'string' ? unitKey(record.fields.equipmentNumber) : '(no unit)';
}

function certificationSummary(record: ServerRecord, reviewedByName: string | null): CertificationSummary {
  const fields = record.fields;
  const numberOrNull = (value: unknown) => (typeof value === 'number' ? value : null);
  return {
    recordId: record.id,
    siteId: record.siteId,
    equipmentNumber: String(fields.equipmentNumber),
    inspectionId: String(fields.inspectionId),
    repairs: fields.repairs as DefectRepair[],
    mechanicName: String(fields.mechanicName),
    certifiedAt: Number(fields.certifiedAt),
    reviewedBy: typeof fields.reviewedBy === 'string' ? fields.reviewedBy : null,
    reviewedByName,
    reviewedAt: numberOrNull(fields.reviewedAt),
  };
}
