import { join } from 'node:path';
import type { MaintenancePolicy } from '../../main/core/compaction.js';
import { DeviceCore } from '../../main/core/device-core.js';
import { MemoryKeyStore } from '../../main/core/keystore-dev.js';
import type { SessionPolicy } from '../../main/core/sessions.js';
import type { SyncTransport } from '../../main/core/sync/transport.js';
import type { DeviceKind } from '../../protocol/wire.js';
import { CLERK, SeededRandomness, tempDir } from '../support/device.js';
import { issueEnrollmentToken, NORTH } from '../support/server.js';
import { gateEventCreate, submit } from '../support/actions.js';
import type { FieldDevice, SyncWorld } from '../sync/support/world.js';

/** A gate event as a clerk records it at `at` (the helper's own create records a fixed time). */
export function gateEventAt(truckPlate: string, at: number) {
  const create = gateEventCreate({ truckPlate });
  return { ...create, ops: create.ops.map((op) => (op.field === 'recordedAt' ? { ...op, value: at } : op)) };
}

/** A clerk's gate-ins, each recorded and submitted, one every `everyMs` on the device's clock. */
export function recordGateIns(core: DeviceCore, clock: { now(): number; advance(ms: number): void }, count: number, everyMs: number, label: string): string[] {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    clock.advance(everyMs);
    if (!core.sessions.current || core.sessions.lockIfIdle()) core.signIn(CLERK.badgeId, CLERK.pin);
    const id = core.perform(gateEventAt(`${label}-${i}`, clock.now())).record.id;
    core.perform(submit('gateEvent', id));
    ids.push(id);
  }
  return ids;
}

/** A device enrolled with the world's office whose background maintenance runs under `policy`. */
export async function enrolledDevice(
  world: SyncWorld,
  name: string,
  options: { kind: DeviceKind; policy?: Partial<MaintenancePolicy>; sessionPolicy?: Partial<SessionPolicy>; transport?: SyncTransport },
): Promise<FieldDevice> {
  const random = new SeededRandomness(`device:${name}`);
  const path = join(tempDir(`waypost-${name}-`), 'device.db');
  const core = DeviceCore.open({ path, keyStore: new MemoryKeyStore(random), clock: world.clock, random, maintenancePolicy: options.policy, sessionPolicy: options.sessionPolicy });
  const transport = options.transport ?? world.http();
  await core.enroll({ transport, token: await issueEnrollmentToken(world.server, NORTH, options.kind), kind: options.kind, label: name });
  const device: FieldDevice = { name, core, random, path, transport, client: core.syncClient(transport) };
  world.devices.push(device);
  await device.client.pull();
  return device;
}
