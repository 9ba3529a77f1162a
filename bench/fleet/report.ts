import { type Figure, figure } from '../benchmark.js';
import { median } from './feed.js';
import type { FleetRun } from './fleet.js';

/**
 * How a fleet run becomes benchmark figures. Times and CPU go in the standard table (ms and s);
 * bytes, requests and memory have no unit there, so they go in a table of their own, printed with
 * the run and kept in the JSON, with the same columns: value, same-run baseline, ratio, target.
 */
export interface Line {
  metric: string;
  value: string;
  baseline: string;
  ratio: string;
  target: string;
}

const MIB = 1024 * 1024;

export const mib = (bytes: number): number => bytes / MIB;

export function formatLines(title: string, lines: readonly Line[]): string {
  const header: Line = { metric: 'metric', value: 'value', baseline: 'baseline', ratio: 'ratio', target: 'target' };
  const keys = ['metric', 'value', 'baseline', 'ratio', 'target'] as const;
  const all = [header, ...lines];
  const widths = keys.map((key) => Math.max(...all.map((line) => line[key].length)));
  const row = (line: Line) => keys.map((key, i) => line[key].padEnd(widths[i]!)).join('  ').trimEnd();
  return [title, row(header), widths.map((width) => '-'.repeat(width)).join('  '), ...lines.map(row)].join('\n');
}

const ratio = (value: number, baseline: number) => (baseline > 0 ? `${(value / baseline).toPrecision(3)}x` : '');
const mibText = (bytes: number) => `${mib(bytes).toFixed(2)} MiB`;

/**
 * Entries the office holds for the devices at the end: all of them once the run converged, fewer
 * after a timeout (the rest were still pending). Per-entry figures divide by these.
 */
export const entriesStored = (run: FleetRun): number => Math.max(1, run.baselines.rawInsert.entries);

/** Office plus its Postgres backends, per entry stored, ms. */
export function cpuPerEntry(run: FleetRun): number {
  return (run.office.cpuMs + run.office.postgresBackendsCpuMs) / entriesStored(run);
}

/** Wire, requests, memory and CPU breakdown of one run, as lines of the extra table. */
export function wireAndMemoryLines(run: FleetRun, targets: { bytesMiB?: number } = {}): Line[] {
  const plain = run.baselines.plainHttp;
  const bytes = run.wire.bytesUp + run.wire.bytesDown;
  const plainBytes = plain.bytesUp + plain.bytesDown;
  const line = (metric: string, value: string, baseline = '', ratioText = '', target = ''): Line => ({ metric, value, baseline, ratio: ratioText, target });
  const officeGrowth = run.office.peakRssDuringRunBytes - run.office.rssAtReconnectBytes;
  return [
    line(
      'bytes on the wire, both ways',
      mibText(bytes),
      mibText(plainBytes),
      ratio(bytes, plainBytes),
      targets.bytesMiB === undefined ? '' : `${mib(bytes) <= targets.bytesMiB ? 'met' : 'MISSED'} (≤ ${targets.bytesMiB} MiB)`,
    ),
    line('bytes up (devices → office)', mibText(run.wire.bytesUp), mibText(plain.bytesUp)),
    line('bytes down (office → devices)', mibText(run.wire.bytesDown), mibText(plain.bytesDown)),
    line('bytes per entry stored', `${Math.round(bytes / entriesStored(run))} B`),
    line('entries stored / queued', `${run.baselines.rawInsert.entries} / ${run.build.entries}`),
    line('requests (live streams not counted)', String(sum(run.devices.map((d) => d.requests))), String(plain.requests)),
    line('TCP connections', String(run.wire.connections)),
    line('office peak memory (VmHWM)', mibText(run.office.peakRssBytes)),
    line('office RSS growth during the run', mibText(officeGrowth), mibText(run.office.rssAtReconnectBytes), ratio(officeGrowth, run.office.rssAtReconnectBytes)),
    line('office CPU', `${(run.office.cpuMs / 1000).toFixed(2)} s`),
    line(`Postgres CPU, office backends (${run.office.postgresBackends})`, `${(run.office.postgresBackendsCpuMs / 1000).toFixed(2)} s`, `${(run.baselines.rawInsert.postgresCpuMs / 1000).toFixed(2)} s`, ratio(run.office.postgresBackendsCpuMs, run.baselines.rawInsert.postgresCpuMs)),
    line('Postgres CPU, whole server (others too)', run.office.allPostgresCpuMs === null ? 'unreadable' : `${(run.office.allPostgresCpuMs / 1000).toFixed(2)} s`),
    line(`device process CPU (${run.workers.processes} processes)`, `${(run.workers.cpuMs / 1000).toFixed(2)} s`),
    line('device process peak memory (VmHWM, max)', mibText(Math.max(...run.workers.peakRssBytes))),
    line('device process RSS while syncing (max)', mibText(Math.max(...run.workers.peakRssDuringRunBytes))),
  ];
}

/** The per-device spread, for the JSON. */
export function deviceSpread(run: FleetRun): Record<string, unknown> {
  const seconds = (values: (number | null)[]) => {
    const known = values.filter((value): value is number => value !== null);
    return { maxS: known.length ? Math.max(...known) / 1000 : null, medianS: known.length ? median(known) / 1000 : null, missing: values.length - known.length };
  };
  return {
    converged: seconds(run.devices.map((d) => d.convergedMs)),
    drained: seconds(run.devices.map((d) => d.drainedMs)),
    pulledToHead: seconds(run.devices.map((d) => d.pulledMs)),
    attachmentsStored: seconds(run.devices.map((d) => d.attachmentsMs)),
  };
}

/** Max and median of the devices' convergence, ms; a device that never converged counts as the whole run. */
export function convergence(run: FleetRun): { maxMs: number; medianMs: number } {
  const times = run.devices.map((device) => device.convergedMs ?? run.settledMs);
  return { maxMs: Math.max(...times), medianMs: median(times) };
}

/**
 * Time to converged against the same run's baselines. `what` names the time ("D=20 converged" or
 * "drained + pulled"); with several devices the slowest and the median device are both given.
 */
export function timeFigures(what: string, run: FleetRun, targetS: number | null): Figure[] {
  const { maxMs, medianMs } = convergence(run);
  const plain = run.baselines.plainHttp;
  const several = run.devices.length > 1;
  const slowest = `${what}${several ? ', slowest device' : ''}${run.converged ? '' : ' (NOT converged: timed out)'}`;
  return [
    figure(`${slowest} vs same bytes over plain HTTP`, 's', maxMs / 1000, plain.maxMs / 1000),
    ...(several ? [figure(`${what}, median device vs same bytes over plain HTTP`, 's', medianMs / 1000, plain.medianMs / 1000)] : []),
    figure(`${slowest} vs raw insert of its rows`, 's', maxMs / 1000, run.baselines.rawInsert.ms / 1000),
    ...(targetS === null ? [] : [figure(`${slowest} (target)`, 's', maxMs / 1000, null, { valueBelow: targetS })]),
  ];
}

/** Office and Postgres CPU per entry stored; `prefix` ends with a space when given. */
export function cpuFigures(prefix: string, run: FleetRun, targetMs: number | null): Figure[] {
  const perEntry = cpuPerEntry(run);
  const verifyPerEntry = run.baselines.verify.ms / run.baselines.verify.entries;
  const raw = run.baselines.rawInsert;
  const figures = [
    figure(`${prefix}office + Postgres CPU per entry vs verifying the entry alone`, 'ms', perEntry, verifyPerEntry),
    figure(`${prefix}office CPU per entry vs verifying the entry alone`, 'ms', run.office.cpuMs / entriesStored(run), verifyPerEntry),
    figure(`${prefix}Postgres CPU per entry vs raw insert's`, 'ms', run.office.postgresBackendsCpuMs / entriesStored(run), raw.postgresCpuMs / entriesStored(run)),
  ];
  if (targetMs !== null) figures.push(figure(`${prefix}office + Postgres CPU per entry (target)`, 'ms', perEntry, null, { valueBelow: targetMs }));
  return figures;
}

/** What the JSON keeps of a run besides the figures. */
export function runDetails(run: FleetRun, lines: readonly Line[]): Record<string, unknown> {
  return {
    scenario: run.scenario,
    converged: run.converged,
    timedOut: run.timedOut,
    settledS: run.settledMs / 1000,
    build: run.build,
    spread: deviceSpread(run),
    wire: run.wire,
    office: run.office,
    entriesStored: entriesStored(run),
    cpuPerEntryMs: cpuPerEntry(run),
    workers: run.workers,
    feedHead: run.feedHead,
    deviceDirectory: run.deviceDirectory,
    baselines: run.baselines,
    errors: mergeCounts(run.devices.map((d) => d.errors)),
    failedEntries: sum(run.devices.map((d) => d.failedEntries)),
    conflicts: sum(run.devices.map((d) => d.conflicts)),
    devices: run.devices,
    table: lines,
  };
}

function mergeCounts(counts: readonly Record<string, number>[]): Record<string, number> {
  const merged: Record<string, number> = {};
  for (const count of counts) for (const [key, value] of Object.entries(count)) merged[key] = (merged[key] ?? 0) + value;
  return merged;
}

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);
