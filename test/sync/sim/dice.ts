import { SeededRandomness } from '../../support/device.js';

/** Every choice of a simulation run, drawn from its seed. */
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
  chance(rate: number): boolean {
    return this.fraction() < rate;
  }
  between(min: number, max: number): number {
    return min + this.below(max - min + 1);
  }
  pick<T>(items: readonly T[]): T | undefined {
    return items.length === 0 ? undefined : items[this.below(items.length)];
  }
}
