import { NORTH } from '../../support/server.js';

/** User actions at the north yard, as the renderer sends them to DeviceCore.perform. */
export function update(recordType: string, recordId: string, values: Record<string, unknown>) {
  return { recordType, recordId, action: 'update', ops: Object.entries(values).map(([field, value]) => ({ op: 'set', field, value })) };
}

export function remove(recordType: string, recordId: string) {
  return { recordType, recordId, action: 'delete', ops: [{ op: 'tombstone' }] };
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

export function gateEventCreate(truckPlate: string, seal: string) {
  return {
    recordType: 'gateEvent',
    action: 'create',
    ops: [
      { op: 'set', field: 'siteId', value: NORTH },
      { op: 'set', field: 'direction', value: 'in' },
      { op: 'set', field: 'truckPlate', value: truckPlate },
      { op: 'set', field: 'carrier', value: 'Lone Star Drayage' },
      { op: 'set', field: 'containerNumber', value: 'CSQU3054383' },
      { op: 'add', field: 'sealNumbers', member: seal },
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
