import type { PlantedBugs } from './run.js';

/** The realistic faults the simulation must catch, each switched on through its product seam. */
export const PLANTED_BUGS: Record<string, PlantedBugs> = {
  acknowledgeBeforeCommit: { office: { acknowledgeBeforeCommit: true } },
  resendCountedTwice: { office: { resendCountedTwice: true } },
  lwwTieBreakFlipped: { office: { lwwTieBreakFlipped: true } },
  counterIncrementOnResend: { office: { counterIncrementOnResend: true } },
  tombstoneLosesToStaleUpdate: { office: { tombstoneLosesToStaleUpdate: true } },
  liveRetryCancelled: { daemon: { liveRetryCancelled: true } },
};
