import type { SimOffice } from './office.js';
import { type RunOptions, type RunResult, runSeed } from './run.js';

/** Runs seeds one after another on one office; what each did is added up. */
export async function runSeeds(
  office: SimOffice,
  seeds: readonly string[],
  options: RunOptions & { onResult?(result: RunResult): void } = {},
): Promise<{ results: RunResult[]; counts: Record<string, number>; phases: Record<string, number> }> {
  const results: RunResult[] = [];
  const counts: Record<string, number> = {};
  const phases: Record<string, number> = {};
  for (const seed of seeds) {
    const result = await runSeed(office, seed, options);
    results.push(result);
    for (const [what, n] of Object.entries(result.faults)) counts[what] = (counts[what] ?? 0) + n;
    for (const [what, ms] of Object.entries(result.phases)) phases[what] = (phases[what] ?? 0) + ms;
    options.onResult?.(result);
  }
  return { results, counts, phases };
}
