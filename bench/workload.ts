import type { ActionInput, ActionResult } from '../main/core/write-path.js';
import { CLERK, openTestDevice, type TestDevice } from '../test/support/device.js';

/**
 * The gate clerk's day as benchmark load: gate events created as drafts, then edited with a
 * couple of field operations each. Seal numbers cycle through a few values so the record stays the
 * size a real one has however many edits the benchmark makes.
 */
export function createGateEvent(i: number): ActionInput {
  return {
    recordType: 'gateEvent',
    action: 'create',
    ops: [
      { op: 'set', field: 'siteId', value: 'site-north' },
      { op: 'set', field: 'direction', value: i % 2 === 0 ? 'in' : 'out' },
      { op: 'set', field: 'truckPlate', value: `TX-${1000 + (i % 9000)}` },
      { op: 'set', field: 'carrier', value: 'Prairie Freight' },
      { op: 'set', field: 'containerNumber', value: 'CSQU3054383' },
      { op: 'set', field: 'recordedAt', value: Date.UTC(2026, 10, 22, 8, 0, 0) + i * 1000 },
    ],
  };
}

export function updateGateEvent(recordId: string, i: number): ActionInput {
  return {
    recordType: 'gateEvent',
    recordId,
    action: 'update',
    ops: [
      { op: 'set', field: 'driverName', value: `Driver ${i % 500}` },
      { op: 'add', field: 'sealNumbers', member: `SEAL-${i % 4}` },
    ],
  };
}

/** Milliseconds the clock moves per action: a busy gate, well inside the idle lock. */
const ACTION_SPACING_MS = 1500;

export interface GateWorkload {
  device: TestDevice;
  /** Performs the i-th action of the workload. */
  perform(i: number): ActionResult;
}

/**
 * A device on a real encrypted file (the same one the tests use: WAL, synchronous=FULL) with the
 * clerk signed in and `records` gate events created; every later action edits one of them.
 */
export function openGateWorkload(dir: string, records = 50): GateWorkload {
  const device = openTestDevice({ dir, seed: 'bench' });
  device.core.signIn(CLERK.badgeId, CLERK.pin);
  const ids: string[] = [];
  for (let i = 0; i < records; i++) ids.push(act(device, createGateEvent(i)).record.id);
  return {
    device,
    perform: (i) => act(device, updateGateEvent(ids[i % ids.length]!, i)),
  };
}

function act(device: TestDevice, input: ActionInput): ActionResult {
  device.clock.advance(ACTION_SPACING_MS);
  return device.core.perform(input);
}
