import { describe, expect, it } from 'vitest';
import { figure } from './benchmark.js';
import { measureThroughput, percentile, summarize } from './stats.js';

describe('benchmark statistics', () => {
  it('takes nearest-rank percentiles, so p99 of 1..1000 ms is 990 ms and p99.9 is 999 ms', () => {
    // Tried: samples given out of order, as a benchmark collects them.
    const samples = Array.from({ length: 1000 }, (_, i) => 1000 - i);
    expect(summarize(samples)).toMatchObject({ samples: 1000, min: 1, p50: 500, p99: 990, p999: 999, max: 1000, mean: 500.5 });
  });

  it('reports the single sample of a one-sample run for every percentile', () => {
    expect(summarize([4.2])).toMatchObject({ p50: 4.2, p99: 4.2, p999: 4.2 });
  });

  it('refuses percentiles of nothing and outside 0..100 with a clear error', () => {
    // Tried: an empty run and a mistyped percentile.
    expect(() => percentile([], 50)).toThrow('no samples');
    expect(() => percentile([1, 2], 999)).toThrow('within 0..100');
  });

  it('stops a throughput run at its operation limit', () => {
    let calls = 0;
    const run = measureThroughput(() => calls++, { maxOps: 100, budgetMs: 60_000 });
    expect(run.ops).toBe(100);
    expect(calls).toBe(100);
  });

  it('judges a ratio goal against the same-run baseline and a value goal against the value', () => {
    // Tried: an action at 2.5x the raw insert, and a p99 under and over 10 ms.
    expect(figure('p50', 'ms', 0.5, 0.2, { ratioAtMost: 2 })).toMatchObject({ ratio: 2.5, goal: { met: false } });
    expect(figure('p50', 'ms', 0.4, 0.2, { ratioAtMost: 2 })).toMatchObject({ ratio: 2, goal: { met: true } });
    expect(figure('p99', 'ms', 9.9, 3, { valueBelow: 10 }).goal).toEqual({ text: '< 10 ms', met: true });
    expect(figure('p99', 'ms', 10, 3, { valueBelow: 10 }).goal?.met).toBe(false);
  });
});
