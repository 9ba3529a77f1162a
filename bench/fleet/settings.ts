/**
 * Sizes of the fleet benchmarks, shrinkable from the environment for a quick check:
 * WAYPOST_BENCH_SCALE (default 1) scales every device's backlog, WAYPOST_BENCH_DEAD_ZONE_SIZES
 * (default "20,50") picks the fleet sizes, WAYPOST_BENCH_DEVICE_PROCESSES (default 10) the worker
 * processes hosting them, WAYPOST_BENCH_FLEET_TIMEOUT_S (default 120) how long a run may take to
 * settle before the benchmark stops it.
 */
function numberFrom(name: string, fallback: number, check: (value: number) => boolean): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!check(value)) throw new Error(`${name}=${text} is not a usable value`);
  return value;
}

export function benchScale(): number {
  return numberFrom('WAYPOST_BENCH_SCALE', 1, (value) => value > 0 && value <= 10);
}

export function deadZoneSizes(): number[] {
  const text = process.env.WAYPOST_BENCH_DEAD_ZONE_SIZES || '20,50';
  const sizes = text.split(',').map((part) => Number(part.trim()));
  if (sizes.some((size) => !Number.isInteger(size) || size < 1 || size > 200)) throw new Error(`WAYPOST_BENCH_DEAD_ZONE_SIZES=${text}: whole numbers 1..200, comma separated`);
  return sizes;
}

export function deviceProcesses(): number {
  return numberFrom('WAYPOST_BENCH_DEVICE_PROCESSES', 10, (value) => Number.isInteger(value) && value >= 1 && value <= 200);
}

export function fleetTimeoutMs(): number {
  return numberFrom('WAYPOST_BENCH_FLEET_TIMEOUT_S', 120, (value) => value >= 5 && value <= 3600) * 1000;
}
