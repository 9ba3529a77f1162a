import { type Benchmark, type Figure } from './benchmark.js';
import { type FleetRun, runFleet } from './fleet/fleet.js';
import { cpuFigures, formatLines, type Line, runDetails, timeFigures, wireAndMemoryLines } from './fleet/report.js';
import { benchScale, deadZoneSizes, deviceProcesses, fleetTimeoutMs } from './fleet/settings.js';
import { ACTIONS_PER_INSPECTION } from '../test/support/inspection.js';

const INSPECTIONS = 80;
const WORK_ORDERS = 25;
const EDITS = 10;
/** Issue 7's targets: converged within these seconds at these fleet sizes; bytes at D=20. */
const TARGET_S: Record<number, number> = { 20: 3, 50: 8 };
const TARGET_MIB_AT_20 = 5;

/**
 * Issue 7, dead zone: D devices (D = 20 and 50) each come out of a dead zone with 80 inspections
 * (per-answer actions, as the UI sends them) and 10 edits of the status note or location of work
 * orders the office created and every device holds, edits that overlap between devices; all
 * reconnect at once. Converged = every device drained its outbox, stored its attachments, pulled
 * to the office's change-feed head, and holds the same shared work orders as the office.
 *
 * The devices are real device cores hosted by a fixed number of worker processes (10 by default,
 * WAYPOST_BENCH_DEVICE_PROCESSES), D/10 devices each, every device with its own real sync
 * (DeviceSync, FetchTransport, live stream) and its own proxy. Why not one process per device:
 * this machine has 2 cores shared with the office and Postgres, so 50 processes cannot run the
 * devices' work any more in parallel than 10 do, while each costs ~1 s of CPU to start under tsx
 * and ~100 MB; a worker process hosting several devices interleaves their syncs on one event loop,
 * the way the shared cores would.
 */
export const deadZoneBenchmark: Benchmark = {
  name: 'dead-zone',
  description: `D devices (D = ${deadZoneSizes().join(', ')}) in ${deviceProcesses()} worker processes, each with ${INSPECTIONS} inspections (${ACTIONS_PER_INSPECTION} actions each) and ${EDITS} overlapping edits of ${WORK_ORDERS} shared work orders, reconnect at once to the office process on Postgres: time to converged, office+Postgres CPU per entry, bytes, memory`,
  async run(log) {
    const figures: Figure[] = [];
    const details: Record<string, unknown> = {};
    const tables: string[] = [];
    for (const devices of deadZoneSizes()) {
      const run: FleetRun = await runFleet(
        {
          label: `dead_zone_${devices}`,
          devices,
          processes: deviceProcesses(),
          kind: 'cab',
          inspectionActionsPerDevice: Math.max(1, Math.round(INSPECTIONS * benchScale())) * ACTIONS_PER_INSPECTION,
          workOrders: WORK_ORDERS,
          workOrderEditsPerDevice: EDITS,
          timeoutMs: fleetTimeoutMs(),
        },
        log,
      );
      const prefix = `D=${devices}`;
      const lines: Line[] = wireAndMemoryLines(run, devices === 20 ? { bytesMiB: TARGET_MIB_AT_20 } : {});
      const table = formatLines(`\ndead-zone ${prefix}: ${run.build.actions.toLocaleString('en-US')} actions, ${run.build.entries.toLocaleString('en-US')} journal entries`, lines);
      log(table);
      tables.push(table);
      figures.push(...timeFigures(`${prefix} converged`, run, TARGET_S[devices] ?? null), ...cpuFigures(`${prefix} `, run, null));
      details[prefix] = runDetails(run, lines);
    }
    return {
      baseline: `same run, per fleet size: the same number of requests with the same bytes each way per device, devices at once, to a trivial Node HTTP server in its own process (through the same kind of proxies); the same entries through verifyChain on one thread; the rows the office wrote inserted again into an empty schema in the same batches with the office's bulk insert, 4 devices at a time`,
      figures,
      details: { ...details, tables },
    };
  },
};
