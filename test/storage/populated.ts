import { CLERK, INSPECTOR, openTestDevice, tempDir, type TestDevice } from '../support/device.js';
import { gateEventCreate, noteCreate, noteEdit, submit, tally, yardCountCreate } from '../support/actions.js';

/**
 * A device with a realistic spread of work in its database: long notes (so the note table spans
 * many pages of its own), yard tallies, submitted gate events, two operators' sessions.
 */
export function populatedDevice(options: { encrypt?: boolean; notes?: number } = {}): TestDevice {
  const device = openTestDevice({ dir: tempDir(), encrypt: options.encrypt ?? true });
  const { core, clock } = device;
  core.signIn(CLERK.badgeId, CLERK.pin);
  const counts = [1, 2, 3].map((row) => core.perform(yardCountCreate(`row-${row}`)).record.id);
  for (let i = 0; i < 30; i++) {
    clock.advance(1000);
    core.perform(tally(counts[i % counts.length]!, 1 + (i % 4)));
  }
  const gate = core.perform(gateEventCreate({ truckPlate: 'TX-4471', carrier: 'Lone Star Drayage' })).record.id;
  core.perform(submit('gateEvent', gate));

  core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
  const notes = options.notes ?? 240;
  for (let i = 0; i < notes; i++) {
    clock.advance(1000);
    const id = core.perform(noteCreate(`${i}: ${'trailer inspection remarks, brake lines chafed near the axle. '.repeat(25)}`, `wo-${i}`)).record.id;
    if (i % 10 === 0) core.perform(noteEdit(id, `${i}: re-checked, fixed on site`));
  }
  return device;
}
