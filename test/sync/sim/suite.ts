import { afterAll, beforeAll, expect, it } from 'vitest';
import { SimOffice } from './office.js';
import type { RunFailure } from './run.js';
import { runSeeds } from './seeds.js';

/** Faults every batch of seeds draws at least once. */
const HOSTILE = ['requestsLost', 'answersLost', 'duplicated', 'requestsHeld', 'answersDamaged', 'partitions', 'streamsCut', 'restarts'];

/** Seeds per test case: progress shows as they pass, and a hang is stopped per batch. */
const BATCH = 25;
/** A hang guard far above what a batch takes on a loaded machine. */
const BATCH_TIMEOUT_MS = 10 * 60_000;

/** How a failed run reads in a test report: enough to replay it with `npm run sim -- --seed S --trace`. */
export function describeFailure({ seed, step, invariant, message, trace }: RunFailure): string {
  return `seed ${seed} failed at step ${step}: ${invariant}\n  ${message}\n  replay: npm run sim -- --seed ${seed} --trace\n${trace.slice(-40).join('\n')}`;
}

/**
 * Seeds `from` to `from + count - 1` of the fleet simulation, in batches, on one office for the
 * file (vitest runs the files that call this in parallel workers).
 */
export function simulateSeeds(from: number, count: number): void {
  let office: SimOffice;
  beforeAll(async () => {
    office = await SimOffice.open();
  }, BATCH_TIMEOUT_MS);
  afterAll(async () => office?.close());

  for (let start = from; start < from + count; start += BATCH) {
    const seeds = Array.from({ length: Math.min(BATCH, from + count - start) }, (_, i) => String(start + i));
    it(
      `seeds ${seeds[0]}–${seeds.at(-1)} keep every invariant through the faults they draw`,
      async () => {
        const { results, counts } = await runSeeds(office, seeds);
        const failures = results.flatMap((result) => (result.failure ? [describeFailure(result.failure)] : []));
        expect(failures.join('\n\n')).toBe('');
        // The runs really were busy and hostile.
        expect(counts.edits).toBeGreaterThan(seeds.length);
        for (const fault of HOSTILE) expect(counts[fault] ?? 0, fault).toBeGreaterThan(0);
      },
      BATCH_TIMEOUT_MS,
    );
  }
}
