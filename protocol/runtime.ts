import { randomBytes } from 'node:crypto';

/**
 * Time and randomness, injected on both sides (device core and office server) so that tests and
 * the sync simulation can run everything with a fake clock and seeded randomness.
 */
export interface Clock {
  now(): number;
}

export interface Randomness {
  bytes(length: number): Uint8Array;
}

export const systemClock: Clock = { now: () => Date.now() };
export const systemRandomness: Randomness = { bytes: (length) => new Uint8Array(randomBytes(length)) };

export function randomId(random: Randomness, prefix: string): string {
  return `${prefix}-${Buffer.from(random.bytes(12)).toString('hex')}`;
}
