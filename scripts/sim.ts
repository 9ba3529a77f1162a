import { parseArgs } from 'node:util';
import { SimOffice } from '../test/sync/sim/office.js';
import { PLANTED_BUGS } from '../test/sync/sim/bugs.js';
import { runSeeds } from '../test/sync/sim/seeds.js';

/**
 * The fleet simulation from the command line: `npm run sim -- --seeds 5000` runs seeds 0..4999,
 * `--seed S` one seed (with `--trace`, the steps it took even when it passes); `--bug NAME` switches
 * on one of the planted bugs (test/sync/sim/bugs.ts). A failure prints
 * the seed, the step, the invariant and the trace of the steps that led there; replay it with
 * `--seed S --trace`.
 */
const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '200' },
    from: { type: 'string', default: '0' },
    seed: { type: 'string' },
    trace: { type: 'boolean', default: false },
    bug: { type: 'string' },
  },
});
const bugs = values.bug === undefined ? undefined : PLANTED_BUGS[values.bug];
if (values.bug !== undefined && !bugs) throw new Error(`no planted bug ${values.bug}; there are ${Object.keys(PLANTED_BUGS).join(', ')}`);

const PROGRESS_EVERY = 250;

const opening = performance.now();
const office = await SimOffice.open();
const started = performance.now();
console.log(`office ready in ${((started - opening) / 1000).toFixed(1)} s`);
const seeds = values.seed !== undefined ? [values.seed] : Array.from({ length: Number(values.seeds) }, (_, i) => String(Number(values.from) + i));
let failed = 0;
let done = 0;
const summary = await runSeeds(office, seeds, {
  bugs,
  onStep: values.trace ? (line) => console.log(line) : undefined,
  onResult: (result) => {
    // A long run says how far it got, so a slow machine is not mistaken for a hung one.
    if (++done % PROGRESS_EVERY === 0 && done < seeds.length) console.log(`${done} of ${seeds.length} seeds, ${failed} failed, ${((performance.now() - started) / 1000).toFixed(0)} s`);
    if (!result.failure) return;
    failed++;
    const { seed, step, invariant, message, trace } = result.failure;
    console.log(`\nFAILED seed ${seed} at step ${step}\n  invariant: ${invariant}\n  ${message}\n${values.trace ? '' : `--- trace ---\n${trace.slice(-80).join('\n')}\n`}`);
  },
});
await office.close();
const seconds = (performance.now() - started) / 1000;
console.log(
  `${seeds.length} seeds, ${failed} failed, ${seconds.toFixed(1)} s (${(seeds.length / seconds).toFixed(1)} seeds/s); ` +
    `edits ${summary.counts.edits ?? 0}, faults ${JSON.stringify(summary.counts)}; ` +
    `time by phase (s) ${JSON.stringify(Object.fromEntries(Object.entries(summary.phases).map(([phase, ms]) => [phase, Math.round(ms / 100) / 10])))}`,
);
process.exitCode = failed > 0 ? 1 : 0;
