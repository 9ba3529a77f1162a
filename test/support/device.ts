import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { makePinVerifier } from '../../protocol/index.js';
import { DeviceCore, type DeviceCoreOptions } from '../../main/core/device-core.js';
import { MemoryKeyStore } from '../../main/core/keystore-dev.js';
import type { Clock, Randomness } from '../../main/core/ports.js';

/** A clock the test moves by hand. */
export class ManualClock implements Clock {
  constructor(public ms = Date.UTC(2026, 10, 22, 8, 0, 0)) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** Deterministic randomness from a seed (SHA-256 in counter mode): same seed, same keys and ids. */
export class SeededRandomness implements Randomness {
  #counter = 0;
  constructor(private readonly seed: string) {}
  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let offset = 0; offset < length; offset += 32) {
      const block = createHash('sha256').update(`${this.seed}:${this.#counter++}`).digest();
      out.set(block.subarray(0, Math.min(32, length - offset)), offset);
    }
    return out;
  }
}

export function tempDir(prefix = 'waypost-', parent = tmpdir()): string {
  return mkdtempSync(join(parent, prefix));
}

export const INSPECTOR = { operatorId: 'op-ines', badgeId: 'B100', pin: '4821', displayName: 'Ines Inspector', role: 'inspector' as const };
export const CLERK = { operatorId: 'op-gus', badgeId: 'B200', pin: '1357', displayName: 'Gus Gate', role: 'gate-clerk' as const };

/** Lets both test operators sign in on `core` with their PINs. */
export function provisionTestOperators(core: DeviceCore, random: Randomness): void {
  for (const operator of [INSPECTOR, CLERK]) {
    const { pin, ...rest } = operator;
    core.provisionOperator({ ...rest, pinVerifier: makePinVerifier(pin, random.bytes(16)) });
  }
}

export interface TestDevice {
  core: DeviceCore;
  clock: ManualClock;
  random: SeededRandomness;
  keyStore: MemoryKeyStore;
  path: string;
  reopen(): TestDevice;
}

/** A device core on a real, encrypted SQLite file in a temp dir, with both test operators provisioned. */
export function openTestDevice(options: Partial<DeviceCoreOptions> & { seed?: string; dir?: string } = {}): TestDevice {
  const clock = (options.clock as ManualClock | undefined) ?? new ManualClock();
  const random = (options.random as SeededRandomness | undefined) ?? new SeededRandomness(options.seed ?? 'device');
  const keyStore = (options.keyStore as MemoryKeyStore | undefined) ?? new MemoryKeyStore(random);
  const path = options.path ?? join(options.dir ?? tempDir(), 'device.db');
  const core = DeviceCore.open({ ...options, path, keyStore, clock, random });
  provisionTestOperators(core, random);
  const device: TestDevice = {
    core,
    clock,
    random,
    keyStore,
    path,
    reopen: () => {
      core.close();
      return openTestDevice({ ...options, path, clock, random, keyStore });
    },
  };
  return device;
}
