/**
 * Timing and summary statistics shared by every benchmark. Durations are measured with
 * process.hrtime.bigint (monotonic, nanoseconds) and reported in milliseconds.
 */

export function nowNs(): bigint {
  return process.hrtime.bigint();
}

export function elapsedMs(startNs: bigint): number {
  return Number(nowNs() - startNs) / 1e6;
}

/** Runs `work` once and returns how long it took, in milliseconds. */
export function timeMs(work: () => void): number {
  const start = nowNs();
  work();
  return elapsedMs(start);
}

/** Nearest-rank percentile (p in 0..100) of samples already sorted ascending. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new Error('no samples to take a percentile of');
  if (p < 0 || p > 100) throw new Error(`percentile must be within 0..100, got ${p}`);
  // p * n first: (99.9 / 100) * 1000 is 999.0000000000001 in floating point and would round up.
  const rank = Math.ceil((p * sorted.length) / 100);
  return sorted[Math.max(rank, 1) - 1]!;
}

export interface LatencySummary {
  samples: number;
  mean: number;
  min: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

export function summarize(samplesMs: readonly number[]): LatencySummary {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const total = sorted.reduce((sum, value) => sum + value, 0);
  return {
    samples: sorted.length,
    mean: total / sorted.length,
    min: sorted[0]!,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    p999: percentile(sorted, 99.9),
    max: sorted.at(-1)!,
  };
}

export interface Throughput {
  ops: number;
  ms: number;
  opsPerSecond: number;
}

/**
 * Calls `operation(i)` until `maxOps` calls or `budgetMs` have passed, whichever comes first, so
 * that a slow implementation (tweetnacl) and a fast one (node:crypto) both finish in bounded time.
 */
export function measureThroughput(operation: (i: number) => void, limits: { maxOps: number; budgetMs: number }): Throughput {
  const start = nowNs();
  let ops = 0;
  while (ops < limits.maxOps) {
    operation(ops);
    ops++;
    if ((ops & 15) === 0 && elapsedMs(start) >= limits.budgetMs) break;
  }
  const ms = elapsedMs(start);
  return { ops, ms, opsPerSecond: (ops / ms) * 1000 };
}

/** value / baseline, the figure every benchmark reports because absolute numbers drift on shared machines. */
export function ratio(value: number, baseline: number): number {
  return baseline === 0 ? Number.POSITIVE_INFINITY : value / baseline;
}
