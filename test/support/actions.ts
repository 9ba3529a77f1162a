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
