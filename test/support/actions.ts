import type { FieldOperation, RecordType } from '../../protocol/index.js';
import { checklistTemplate } from '../../protocol/checklists.js';

/** The items of the driver vehicle inspection the valid inspection below follows. */
const DVIR_ITEMS = checklistTemplate('dvir-power-unit')!.items.map((item) => item.id);

/**
 * Realistic user actions, as the renderer sends them to DeviceCore.perform. Records are at the
 * north yard, the site the office test harness seeds (test/support/server.ts).
 */
export const NORTH = 'site-north';

export function update(recordType: string, recordId: string, values: Record<string, unknown>) {
  return { recordType, recordId, action: 'update', ops: Object.entries(values).map(([field, value]) => ({ op: 'set', field, value })) };
}

export function submit(recordType: string, recordId: string) {
  return { recordType, recordId, action: 'submit', ops: [] };
}

export function remove(recordType: string, recordId: string) {
  return { recordType, recordId, action: 'delete', ops: [{ op: 'tombstone' }] };
}

export function gateEventCreate(fields: { truckPlate: string; carrier?: string; seal?: string; driverName?: string; containerNumber?: string }) {
  return {
    recordType: 'gateEvent',
    action: 'create',
    ops: [
      { op: 'set', field: 'siteId', value: NORTH },
      { op: 'set', field: 'direction', value: 'in' },
      { op: 'set', field: 'truckPlate', value: fields.truckPlate },
      { op: 'set', field: 'carrier', value: fields.carrier ?? 'Lone Star Drayage' },
      { op: 'set', field: 'driverName', value: fields.driverName ?? 'Dana Driver' },
      { op: 'set', field: 'containerNumber', value: fields.containerNumber ?? 'CSQU3054383' },
      { op: 'add', field: 'sealNumbers', member: fields.seal ?? 'SEAL-0042' },
      { op: 'set', field: 'recordedAt', value: Date.UTC(2026, 10, 22, 8, 30) },
    ],
  };
}

export function addSeal(recordId: string, seal: string) {
  return { recordType: 'gateEvent', recordId, action: 'update', ops: [{ op: 'add', field: 'sealNumbers', member: seal }] };
}

export function removeSeal(recordId: string, seal: string) {
  return { recordType: 'gateEvent', recordId, action: 'update', ops: [{ op: 'remove', field: 'sealNumbers', member: seal }] };
}

export function noteCreate(body: string, subjectId = 'wo-1') {
  return {
    recordType: 'note',
    action: 'create',
    ops: [
      { op: 'set', field: 'subjectType', value: 'workOrder' },
      { op: 'set', field: 'subjectId', value: subjectId },
      { op: 'set', field: 'body', value: body },
    ],
  };
}

export function noteEdit(recordId: string, body: string) {
  return update('note', recordId, { body });
}

export function yardCountCreate(location: string, siteId = NORTH) {
  return {
    recordType: 'yardCount',
    action: 'create',
    ops: [
      { op: 'set', field: 'siteId', value: siteId },
      { op: 'set', field: 'location', value: location },
      { op: 'set', field: 'itemCode', value: 'chassis-40ft' },
    ],
  };
}

export function tally(recordId: string, by: number) {
  return { recordType: 'yardCount', recordId, action: 'update', ops: [{ op: 'increment', field: 'tally', by }] };
}

export function billingLineCreate(workOrderId: string, quantity: number) {
  return {
    recordType: 'billingLine',
    action: 'create',
    ops: [
      { op: 'set', field: 'workOrderId', value: workOrderId },
      { op: 'set', field: 'description', value: 'Brake chamber replaced' },
      { op: 'set', field: 'quantity', value: quantity },
      { op: 'set', field: 'unitPriceCents', value: 12_500 },
    ],
  };
}

/** A valid create of every record type, with more than the required fields (the device's write-path tests). */
export const VALID_CREATES: Record<RecordType, FieldOperation[]> = {
  workOrder: [
    { op: 'set', field: 'siteId', value: 'site-oak' },
    { op: 'set', field: 'title', value: 'Replace brake chamber' },
    { op: 'set', field: 'status', value: 'open' },
    { op: 'set', field: 'priority', value: 'high' },
  ],
  inspection: [
    { op: 'set', field: 'templateId', value: 'dvir-power-unit' },
    { op: 'set', field: 'equipmentNumber', value: 'TRK-104' },
    { op: 'set', field: 'items', key: 'parking-brake', value: { result: 'fail', note: 'does not hold on grade' } },
    { op: 'add', field: 'defects', member: 'parking brake' },
    // Every other item of the checklist, so that a signature is all it takes to submit it.
    ...DVIR_ITEMS.filter((item) => item !== 'parking-brake').map((key): FieldOperation => ({ op: 'set', field: 'items', key, value: { result: 'pass' } })),
  ],
  gateEvent: [
    { op: 'set', field: 'siteId', value: 'site-oak' },
    { op: 'set', field: 'direction', value: 'in' },
    { op: 'set', field: 'truckPlate', value: '7ABC123' },
    { op: 'set', field: 'carrier', value: 'Blue Line Drayage' },
    { op: 'set', field: 'recordedAt', value: Date.UTC(2026, 10, 22, 8) },
    { op: 'set', field: 'containerNumber', value: 'CSQU3054383' },
    { op: 'add', field: 'sealNumbers', member: 'SEAL-0042' },
  ],
  equipmentInterchange: [
    { op: 'set', field: 'equipmentType', value: 'chassis' },
    { op: 'set', field: 'equipmentNumber', value: 'DCLZ 402211' },
    { op: 'set', field: 'fromCarrier', value: 'Blue Line Drayage' },
    { op: 'set', field: 'toCarrier', value: 'Harbor Haulers' },
    { op: 'set', field: 'interchangedAt', value: Date.UTC(2026, 10, 22, 9) },
    { op: 'add', field: 'damages', member: 'left marker lamp broken' },
  ],
  yardCount: [
    { op: 'set', field: 'siteId', value: 'site-oak' },
    { op: 'set', field: 'location', value: 'row C' },
    { op: 'set', field: 'itemCode', value: 'chassis-40ft' },
    { op: 'increment', field: 'tally', by: 3 },
  ],
  billingLine: [
    { op: 'set', field: 'workOrderId', value: 'wo-1' },
    { op: 'set', field: 'description', value: 'Brake chamber, type 30' },
    { op: 'set', field: 'quantity', value: 2 },
    { op: 'set', field: 'unitPriceCents', value: 4250 },
  ],
  repairCertification: [
    { op: 'set', field: 'siteId', value: 'site-oak' },
    { op: 'set', field: 'equipmentNumber', value: 'TRK-104' },
    { op: 'set', field: 'inspectionId', value: 'inspection-1' },
    { op: 'set', field: 'repairs', value: [{ defect: 'item:parking-brake', label: 'Parking brake', disposition: 'repaired' }] },
    { op: 'set', field: 'mechanicName', value: 'Max Mechanic' },
    { op: 'set', field: 'certifiedBy', value: 'user-max' },
    { op: 'set', field: 'certifiedAt', value: Date.UTC(2026, 10, 22, 10) },
    { op: 'set', field: 'officeSignature', value: `${'A'.repeat(86)}==` },
  ],
  note: [
    { op: 'set', field: 'subjectType', value: 'workOrder' },
    { op: 'set', field: 'subjectId', value: 'wo-1' },
    { op: 'set', field: 'body', value: 'Gate 3 camera is down' },
  ],
};
