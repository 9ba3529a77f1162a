import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLANTED_BUGS } from './sim/bugs.js';
import { INVARIANTS } from './sim/invariants.js';
import { SimOffice } from './sim/office.js';
import { runSeed } from './sim/run.js';
import { describeFailure } from './sim/suite.js';

/**
 * Each planted bug, switched on through its seam, must make the simulation fail with the
 * invariant that names it, within a bounded number of seeds; the seed that caught it passes with
 * the bug switched off, so the bug and nothing else broke it. Which seed and step caught each is
 * printed (and kept in the report).
 */
const SEARCH_SEEDS = 60;
const TIMEOUT_MS = 15 * 60_000;

const EXPECTED: Record<keyof typeof PLANTED_BUGS, (typeof INVARIANTS)[keyof typeof INVARIANTS]> = {
  acknowledgeBeforeCommit: INVARIANTS.drains,
  resendCountedTwice: INVARIANTS.acknowledgedOnce,
  lwwTieBreakFlipped: INVARIANTS.oracle,
  counterIncrementOnResend: INVARIANTS.acknowledgedOnce,
  tombstoneLosesToStaleUpdate: INVARIANTS.oracle,
  liveRetryCancelled: INVARIANTS.errorShown,
};

let office: SimOffice;
beforeAll(async () => {
  office = await SimOffice.open();
}, TIMEOUT_MS);
afterAll(async () => office?.close());

describe('the simulation catches every planted bug', () => {
  for (const [name, bugs] of Object.entries(PLANTED_BUGS)) {
    it(
      `${name}: fails with "${EXPECTED[name]}"`,
      async () => {
        let caught = null;
        for (let seed = 0; seed < SEARCH_SEEDS && !caught; seed++) caught = (await runSeed(office, String(seed), { bugs })).failure;
        expect(caught, `no seed of ${SEARCH_SEEDS} caught ${name}`).not.toBeNull();
        // The record the issue asks for: which seed and step caught the bug, and how it reads.
        console.info(`${name}: caught by seed ${caught!.seed} at step ${caught!.step}: ${caught!.invariant}: ${caught!.message}`);
        expect(caught!.invariant, describeFailure(caught!)).toBe(EXPECTED[name]);
        const clean = await runSeed(office, caught!.seed);
        expect(clean.failure && describeFailure(clean.failure)).toBeNull();
      },
      TIMEOUT_MS,
    );
  }
});
