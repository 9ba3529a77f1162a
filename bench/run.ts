import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { actionBenchmark } from './action.js';
import type { Benchmark, BenchmarkResult } from './benchmark.js';
import { bigQueueBenchmark } from './big-queue.js';
import { coldOpenBenchmark } from './cold-open.js';
import { consoleScaleBenchmark } from './console-scale.js';
import { deadZoneBenchmark } from './dead-zone.js';
import { formatTable } from './report.js';
import { serverIngestBenchmark } from './server-ingest.js';
import { signingBenchmark } from './signing.js';
import { elapsedMs, nowNs } from './stats.js';
import { verifyBenchmark } from './verify.js';

/**
 * `npm run bench [-- name...]`: runs the named benchmarks (all by default), prints the table on
 * stderr and one JSON object on stdout, and keeps that object in bench/results/latest.json.
 * A new benchmark is one module exporting a Benchmark, added to this list.
 */
const BENCHMARKS: readonly Benchmark[] = [
  actionBenchmark,
  signingBenchmark,
  verifyBenchmark,
  coldOpenBenchmark,
  serverIngestBenchmark,
  bigQueueBenchmark,
  deadZoneBenchmark,
  consoleScaleBenchmark,
];

const RESULTS_FILE = join(dirname(fileURLToPath(import.meta.url)), 'results', 'latest.json');

class UsageError extends Error {}

function select(names: readonly string[]): Benchmark[] {
  if (names.length === 0) return [...BENCHMARKS];
  const known = new Map(BENCHMARKS.map((benchmark) => [benchmark.name, benchmark]));
  const unknown = names.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new UsageError(`unknown benchmark ${unknown.join(', ')}; choose from ${BENCHMARKS.map((b) => b.name).join(', ')}`);
  }
  return names.map((name) => known.get(name)!);
}

async function main(): Promise<void> {
  const selected = select(process.argv.slice(2));
  const log = (message: string): void => void process.stderr.write(`${message}\n`);
  const startedAt = new Date().toISOString();
  // The machines are shared: the load when the run began says how far to trust absolute figures.
  const loadAtStart = loadavg();
  const results: Record<string, BenchmarkResult & { description: string; seconds: number }> = {};
  for (const benchmark of selected) {
    log(`— ${benchmark.name}: ${benchmark.description}`);
    const start = nowNs();
    const result = await benchmark.run(log);
    results[benchmark.name] = { description: benchmark.description, ...result, seconds: elapsedMs(start) / 1000 };
  }
  const report = {
    startedAt,
    machine: { node: process.version, platform: `${process.platform}-${process.arch}`, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', loadAtStart },
    benchmarks: results,
  };
  mkdirSync(dirname(RESULTS_FILE), { recursive: true });
  writeFileSync(RESULTS_FILE, `${JSON.stringify(report, null, 2)}\n`);
  log(`\n${formatTable(results)}\nresults written to ${RESULTS_FILE}`);
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((error: unknown) => {
  const detail = error instanceof UsageError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`bench failed: ${detail}\n`);
  process.exitCode = 1;
});
