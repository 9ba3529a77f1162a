import { simulateSeeds } from './sim/suite.js';

// The fleet simulation (test/sync/sim/run.ts), a quarter of the seeds npm test runs.
simulateSeeds(750, 250);
