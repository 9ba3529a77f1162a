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

/** Choices drawn from a seed, so a randomized test replays exactly. */
export class Dice {
  readonly #random: SeededRandomness;
  constructor(seed: string) {
    this.#random = new SeededRandomness(seed);
  }
  fraction(): number {
    const bytes = this.#random.bytes(4);
    return (bytes[0]! * 2 ** 24 + bytes[1]! * 2 ** 16 + bytes[2]! * 2 ** 8 + bytes[3]!) / 2 ** 32;
  }
  below(n: number): number {
    return Math.floor(this.fraction() * n);
  }
  /** True `chance` times in 100. */
  percent(chance: number): boolean {
    return this.below(100) < chance;
  }
  /** True with probability `rate` (0 to 1). */
  chance(rate: number): boolean {
    return this.fraction() < rate;
  }
  /** A whole number from `min` to `max`, both included. */
  between(min: number, max: number): number {
    return min + this.below(max - min + 1);
  }
  pick<T>(items: readonly T[]): T | undefined {
    return items.length === 0 ? undefined : items[this.below(items.length)];
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
