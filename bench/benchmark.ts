import { ratio } from './stats.js';

/**
 * The contract every benchmark module fulfils. The machines are shared and noisy, so each figure
 * is reported next to a baseline measured in the same run, and the ratio is the figure to read.
 */
export interface Benchmark {
  /** The name given on the command line: `npm run bench -- <name>`. */
  name: string;
  description: string;
  run(log: (message: string) => void): Promise<BenchmarkResult> | BenchmarkResult;
}

export interface BenchmarkResult {
  /** What the baseline is, in words. */
  baseline: string;
  figures: Figure[];
  /** Anything else worth keeping in the JSON (sample counts, sizes, build times). */
  details: Record<string, unknown>;
}

export type Unit = 'ms' | 's' | 'ops/s' | 'entries/s' | 'changes/s';

export interface Figure {
  metric: string;
  unit: Unit;
  value: number;
  baseline: number | null;
  /** value / baseline. */
  ratio: number | null;
  goal: Goal | null;
}

export interface Goal {
  text: string;
  met: boolean;
}

/** An upper bound on the ratio to the baseline, or on the value itself. */
export type GoalSpec = { ratioAtMost: number } | { valueBelow: number };

export function figure(metric: string, unit: Unit, value: number, baseline: number | null = null, goal?: GoalSpec): Figure {
  const figureRatio = baseline === null ? null : ratio(value, baseline);
  return { metric, unit, value, baseline, ratio: figureRatio, goal: goal ? evaluateGoal(goal, value, figureRatio, unit) : null };
}

function evaluateGoal(goal: GoalSpec, value: number, figureRatio: number | null, unit: Unit): Goal {
  if ('valueBelow' in goal) return { text: `< ${goal.valueBelow} ${unit}`, met: value < goal.valueBelow };
  if (figureRatio === null) throw new Error('a ratio goal needs a baseline');
  return { text: `ratio ≤ ${goal.ratioAtMost}`, met: figureRatio <= goal.ratioAtMost };
}
