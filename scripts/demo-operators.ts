import { makePinVerifier } from '../protocol/pin.js';
import type { DeviceCore } from '../main/core/device-core.js';
import type { Randomness } from '../main/core/ports.js';

/** Operators to try the app with on the dev host; real ones come from the office. */
export const DEMO_OPERATORS = [
  { operatorId: 'op-demo-clerk', badgeId: 'GATE-01', pin: '2468', displayName: 'Gina Gate', role: 'gate-clerk' },
  { operatorId: 'op-demo-inspector', badgeId: 'INSP-01', pin: '1357', displayName: 'Ivan Inspector', role: 'inspector' },
  { operatorId: 'op-demo-supervisor', badgeId: 'SUP-01', pin: '8642', displayName: 'Sara Supervisor', role: 'supervisor' },
] as const;

export function provisionDemoOperators(core: DeviceCore, random: Randomness): void {
  for (const { pin, ...operator } of DEMO_OPERATORS) {
    core.provisionOperator({ ...operator, pinVerifier: makePinVerifier(pin, random.bytes(16)) });
  }
}
