/**
 * Realistic user actions for the storage tests, as the renderer would send them to
 * DeviceCore.perform.
 */
export const SITE = 'site-port-7';

export function gateEventCreate(fields: { truckPlate: string; carrier: string; driverName?: string; containerNumber?: string }) {
  return {
    recordType: 'gateEvent',
    action: 'create',
    ops: [
      { op: 'set', field: 'siteId', value: SITE },
      { op: 'set', field: 'direction', value: 'in' },
      { op: 'set', field: 'truckPlate', value: fields.truckPlate },
      { op: 'set', field: 'carrier', value: fields.carrier },
      { op: 'set', field: 'driverName', value: fields.driverName ?? 'Dana Driver' },
      { op: 'set', field: 'containerNumber', value: fields.containerNumber ?? 'CSQU3054383' },
      { op: 'add', field: 'sealNumbers', member: 'SEAL-0042' },
      { op: 'set', field: 'recordedAt', value: Date.UTC(2026, 10, 22, 8, 30) },
    ],
  };
}

export function submit(recordType: string, recordId: string) {
  return { recordType, recordId, action: 'submit', ops: [{ op: 'set', field: 'recordedAt', value: Date.UTC(2026, 10, 22, 8, 31) }] };
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
  return { recordType: 'note', recordId, action: 'update', ops: [{ op: 'set', field: 'body', value: body }] };
}

export function yardCountCreate(location: string) {
  return {
    recordType: 'yardCount',
    action: 'create',
    ops: [
      { op: 'set', field: 'siteId', value: SITE },
      { op: 'set', field: 'location', value: location },
      { op: 'set', field: 'itemCode', value: 'chassis-40ft' },
    ],
  };
}

export function tally(recordId: string, by: number) {
  return { recordType: 'yardCount', recordId, action: 'update', ops: [{ op: 'increment', field: 'tally', by }] };
}
