import { type Benchmark, figure } from './benchmark.js';
import { runFleet } from './fleet/fleet.js';
import { cpuFigures, formatLines, runDetails, timeFigures, wireAndMemoryLines } from './fleet/report.js';
import { benchScale, fleetTimeoutMs } from './fleet/settings.js';
import { ACTIONS_PER_INSPECTION, ANSWERS_PER_INSPECTION } from '../test/support/inspection.js';

const ACTIONS = 10_000;

/**
 * Issue 7, big queue: one kiosk comes back with 10,000 actions queued. The device (its own
 * process, a real device core) enrolled and synced at the yard, then an inspector worked offline:
 * inspections sent one action per answer as the UI sends them (bench/workload.ts), signatures
 * stored as attachments. It reconnects: its real sync (DeviceSync over FetchTransport, live stream
 * included) pushes, pulls and uploads, through a byte-counting proxy, to the office in its own
 * process (server/main.ts) on real Postgres. Measured from the reconnect to the outbox drained and
 * the feed pulled to its head.
 */
export const bigQueueBenchmark: Benchmark = {
  name: 'big-queue',
  description: `one kiosk reconnects with ${ACTIONS.toLocaleString('en-US')} queued actions (inspections of ${ACTIONS_PER_INSPECTION} actions: create, ${ANSWERS_PER_INSPECTION} per-answer updates, signature, submit): office process on Postgres over HTTP; time to drained and pulled to the head, office+Postgres CPU per entry, bytes, memory`,
  async run(log) {
    const actions = Math.max(ACTIONS_PER_INSPECTION, Math.round(ACTIONS * benchScale()));
    const run = await runFleet(
      {
        label: 'big_queue',
        devices: 1,
        processes: 1,
        kind: 'kiosk',
        inspectionActionsPerDevice: actions,
        workOrders: 0,
        workOrderEditsPerDevice: 0,
        timeoutMs: fleetTimeoutMs(),
      },
      log,
    );
    const lines = wireAndMemoryLines(run);
    log(formatLines(`\nbig-queue: ${run.build.actions.toLocaleString('en-US')} actions, ${run.build.entries.toLocaleString('en-US')} journal entries, ${run.build.attachments} signatures`, lines));
    const attachments = run.devices[0]!.attachmentsMs;
    return {
      baseline: `same run: the same number of requests with the same bytes each way sent one after another to a trivial Node HTTP server in its own process (through the same kind of proxy); the same entries through verifyChain on one thread; the rows the office wrote inserted again into an empty schema in the same batches with the office's bulk insert (Postgres CPU of those backends for the per-entry CPU)`,
      figures: [
        ...timeFigures(`${run.build.actions} actions drained + pulled to the head`, run, 2),
        ...cpuFigures('', run, 0.3),
        ...(attachments === null ? [] : [figure(`${run.build.attachments} signature attachments stored`, 's', attachments / 1000)]),
      ],
      details: runDetails(run, lines),
    };
  },
};
