import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { hexToBytes } from '../../protocol/crypto/hash.js';
import { verifyChain } from '../../protocol/verify.js';
import type { DeviceKind } from '../../protocol/wire.js';
import { call, dropSchema } from '../../test/support/server.js';
import { TcpProxy } from '../../test/support/tcp-proxy.js';
import { elapsedMs, nowNs } from '../stats.js';
import { DeviceWorker, startPlainServer } from './children.js';
import { median, settledAt, workOrderDigest } from './feed.js';
import type { BacklogPlan, BuildReport, DeviceSpec, DeviceStatusReport, ExportedJournal, ReplayTarget, WorkerRunReport } from './messages.js';
import { logSize, startOfficeProcess } from '../../test/support/office-process.js';
import { PostgresCpu } from './postgres-cpu.js';
import { readCpuMs, readMemory } from './proc.js';
import { rawInsertBaseline, type RawInsert } from './raw-insert.js';

/**
 * One run of the fleet workload: the office as its own process on real Postgres, devices in
 * worker processes, each device behind its own byte-counting TCP proxy on 127.0.0.1. The devices
 * enroll and sync once at the yard (operators, work orders), build their backlog offline (not
 * timed), then all reconnect at once; the run lasts until every device has drained its outbox,
 * stored its attachments and pulled to the change feed's head, and all hold the same shared work
 * orders as the office (or until the timeout). Then the same-run baselines: the same bytes over
 * plain HTTP, the same entries' signatures verified alone, the same rows inserted raw.
 */
export interface FleetScenario {
  /** Lowercase, for schema and process names. */
  label: string;
  devices: number;
  /** Worker processes hosting the devices (devices spread evenly over them). */
  processes: number;
  kind: DeviceKind;
  inspectionActionsPerDevice: number;
  /** Work orders the office creates before the devices go offline... */
  workOrders: number;
  /** ...and edits of them each device makes offline. */
  workOrderEditsPerDevice: number;
  timeoutMs: number;
}

export interface DeviceOutcome {
  name: string;
  /** From the reconnect, ms: outbox empty for good, pulled to the head for good, both plus the shared work orders equal to the office's; attachments stored. */
  drainedMs: number | null;
  pulledMs: number | null;
  convergedMs: number | null;
  attachmentsMs: number | null;
  requests: number;
  bytesUp: number;
  bytesDown: number;
  errors: Record<string, number>;
  failedEntries: number;
  conflicts: number;
}

export interface FleetRun {
  scenario: FleetScenario;
  converged: boolean;
  timedOut: boolean;
  build: { actions: number; inspections: number; entries: number; attachments: number; wallMs: number };
  /** Reconnect to the moment the benchmark saw everything settled (polled every POLL_MS). */
  settledMs: number;
  devices: DeviceOutcome[];
  wire: { bytesUp: number; bytesDown: number; connections: number; requests: number; requestsByKind: Record<string, number>; streamEvents: Record<string, number> };
  office: {
    cpuMs: number;
    postgresBackendsCpuMs: number;
    postgresBackends: number;
    allPostgresCpuMs: number | null;
    peakRssBytes: number;
    rssAtReconnectBytes: number;
    peakRssDuringRunBytes: number;
    logLevel: string;
    log: { bytes: number; lines: number };
  };
  workers: { processes: number; cpuMs: number; peakRssBytes: number[]; peakRssDuringRunBytes: number[] };
  feedHead: number;
  /** Where the device databases were (tmpfs unless told otherwise, see deviceDirectoryRoot). */
  deviceDirectory: string;
  baselines: {
    plainHttp: { maxMs: number; medianMs: number; requests: number; bytesUp: number; bytesDown: number; headerBytes: { up: number; down: number } };
    verify: { entries: number; ms: number };
    rawInsert: RawInsert;
  };
}

const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
const SITE = 'site-north';
const POLL_MS = 250;
const PIN = '4821';

const now = (): number => performance.timeOrigin + performance.now();

export async function runFleet(scenario: FleetScenario, log: (message: string) => void): Promise<FleetRun> {
  const databaseUrl = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
  const schema = `bench_${scenario.label}_${process.pid}_${Date.now().toString(36)}`.slice(0, 55);
  const dir = mkdtempSync(join(tmpdir(), `waypost-${scenario.label}-`));
  const devicesDir = mkdtempSync(join(deviceDirectoryRoot(), `waypost-${scenario.label}-devices-`));
  const cleanups: (() => Promise<unknown>)[] = [
    async () => rmSync(dir, { recursive: true, force: true }),
    async () => rmSync(devicesDir, { recursive: true, force: true }),
  ];
  const say = (message: string) => log(`${scenario.label}: ${message}`);
  try {
    const office = await startOfficeProcess({ databaseUrl, schema, dir });
    cleanups.push(async () => {
      await office.stop();
      await dropSchema(databaseUrl, schema);
    });
    say(`office pid ${office.pid} at ${office.url}, schema ${schema}`);
    const officeAddress = new URL(office.url);
    const admin = { url: office.url, token: office.adminToken };

    const names = Array.from({ length: scenario.devices }, (_, d) => (scenario.kind === 'kiosk' ? `kiosk-${d + 1}` : `cab-${String(d + 1).padStart(2, '0')}`));
    const dispatcher = await seed(admin, names);
    const workOrders: string[] = [];
    for (let w = 0; w < scenario.workOrders; w++) {
      const id = `wo-${String(w + 1).padStart(3, '0')}`;
      await ok(
        call(office, 'POST', '/v1/office/work-orders', {
          token: dispatcher,
          body: { id, siteId: SITE, title: `Yard check ${w + 1}`, equipmentNumber: `CHZ-${4100 + w}`, assignee: operatorId(w % scenario.devices), priority: 'normal' },
        }),
        `work order ${id}`,
      );
      workOrders.push(id);
    }

    const proxies: TcpProxy[] = [];
    cleanups.push(async () => Promise.all(proxies.map((proxy) => proxy.close())));
    for (let d = 0; d < scenario.devices; d++) proxies.push(await TcpProxy.start({ host: officeAddress.hostname, port: Number(officeAddress.port) }));

    const processes = Math.max(1, Math.min(scenario.processes, scenario.devices));
    const workers = Array.from({ length: processes }, () => new DeviceWorker());
    cleanups.push(async () => Promise.all(workers.map((worker) => worker.end())));
    const hostedBy = workers.map((_, w) => names.flatMap((_, d) => (d % processes === w ? [d] : [])));

    say(`enrolling ${scenario.devices} devices in ${processes} worker processes; each syncs once at the yard`);
    const deviceIds: string[] = [];
    await Promise.all(
      workers.map(async (worker, w) => {
        const specs: DeviceSpec[] = [];
        for (const d of hostedBy[w]!) {
          const token = await ok(call(admin, 'POST', '/v1/admin/enrollment-tokens', { token: admin.token, body: { siteId: SITE, kind: scenario.kind } }), 'enrollment token');
          specs.push({
            name: names[d]!,
            dir: join(devicesDir, names[d]!),
            officeUrl: `http://127.0.0.1:${proxies[d]!.port}`,
            enrollmentToken: String(token.token),
            kind: scenario.kind,
            operator: { badgeId: badgeId(d), pin: PIN },
          });
        }
        const enrolled = await worker.call<{ name: string; deviceId: string }[]>({ type: 'setup', devices: specs, sharedWorkOrders: workOrders }, 300_000);
        for (const [i, d] of hostedBy[w]!.entries()) deviceIds[d] = enrolled[i]!.deviceId;
      }),
    );

    say(`building the offline backlog: ${scenario.inspectionActionsPerDevice} inspection actions and ${scenario.workOrderEditsPerDevice} work-order edits per device`);
    const buildStart = nowNs();
    const built: BuildReport[] = (
      await Promise.all(workers.map((worker, w) => worker.call<BuildReport[]>({ type: 'build', plans: hostedBy[w]!.map((d) => plan(scenario, d, workOrders)) }, 1_800_000)))
    ).flat();
    const buildMs = elapsedMs(buildStart);
    const entries = built.reduce((sum, report) => sum + report.pending, 0);
    say(`built ${built.reduce((sum, report) => sum + report.actions, 0)} actions, ${entries} pending entries in ${(buildMs / 1000).toFixed(1)} s`);
    const journalFiles = (await Promise.all(workers.map((worker) => worker.call<string[]>({ type: 'export', dir: join(dir, 'journals') }, 300_000)))).flat();

    // The reconnect.
    const observer = new pg.Client({ connectionString: databaseUrl, application_name: 'waypost_bench_observer' });
    await observer.connect();
    cleanups.push(() => observer.end());
    const postgres = await PostgresCpu.open(databaseUrl, office.applicationName);
    cleanups.push(() => postgres.close());
    for (const proxy of proxies) proxy.resetTraffic();
    await postgres.mark();
    const officeCpuAtStart = readCpuMs(office.pid) ?? 0;
    const rssAtReconnect = readMemory(office.pid)?.rssBytes ?? 0;
    let officePeakRss = rssAtReconnect;
    say('reconnecting every device at once');
    const reconnectAt = now();
    await Promise.all(workers.map((worker) => worker.call({ type: 'go' }, 30_000)));

    let timedOut = false;
    let lastStatus: DeviceStatusReport[] = [];
    let lastLog = now();
    for (;;) {
      await sleep(POLL_MS);
      lastStatus = (await Promise.all(workers.map((worker) => worker.call<DeviceStatusReport[]>({ type: 'status' }, 60_000)))).flat();
      const head = await feedHead(observer, schema);
      officePeakRss = Math.max(officePeakRss, readMemory(office.pid)?.rssBytes ?? 0);
      const digests = new Set(lastStatus.map((status) => status.digest));
      const settled = digests.size === 1 && lastStatus.every((s) => !s.running && s.pending === 0 && s.unstored === 0 && s.cursorId === head);
      if (settled) break;
      if (now() - reconnectAt > scenario.timeoutMs) {
        timedOut = true;
        say(`not settled after ${scenario.timeoutMs / 1000} s; stopping`);
        break;
      }
      if (now() - lastLog > 10_000) {
        lastLog = now();
        const pending = lastStatus.reduce((sum, s) => sum + s.pending, 0);
        const behind = lastStatus.filter((s) => s.cursorId !== head).length;
        say(`${((now() - reconnectAt) / 1000).toFixed(0)} s: ${pending} entries pending, ${behind} devices behind the feed head ${head}`);
      }
    }
    const settledMs = now() - reconnectAt;
    const officeCpuMs = (readCpuMs(office.pid) ?? officeCpuAtStart) - officeCpuAtStart;
    const postgresCpu = await postgres.read();
    const officeMemory = readMemory(office.pid);
    const traffic = proxies.map((proxy) => ({ ...proxy.traffic }));
    const reports = await Promise.all(workers.map((worker) => worker.call<WorkerRunReport>({ type: 'stop' }, 60_000)));
    const head = await feedHead(observer, schema);
    const officeDigest = await officeWorkOrders(observer, schema, workOrders);
    say(`settled in ${(settledMs / 1000).toFixed(2)} s (feed head ${head}); office CPU ${(officeCpuMs / 1000).toFixed(1)} s, Postgres backends ${(postgresCpu.backendsMs / 1000).toFixed(1)} s`);

    const deviceReports = reports.flatMap((report) => report.devices);
    const outcomes: DeviceOutcome[] = names.map((name, d) => {
      const report = deviceReports.find((device) => device.name === name)!;
      const since = (at: number | null) => (at === null ? null : Math.max(0, at - reconnectAt));
      const obs = report.observations;
      const requests = Object.entries(report.requests).reduce((sum, [key, count]) => sum + (key.endsWith(' stream') ? 0 : count), 0);
      return {
        name,
        drainedMs: since(settledAt(obs, (o) => o.pending === 0)),
        pulledMs: since(settledAt(obs, (o) => o.cursorId === head)),
        convergedMs: since(settledAt(obs, (o) => o.pending === 0 && o.cursorId === head && o.digest === officeDigest)),
        attachmentsMs: since(settledAt(obs, (o) => o.unstored === 0)),
        requests,
        bytesUp: traffic[d]!.up,
        bytesDown: traffic[d]!.down,
        errors: report.errors,
        failedEntries: report.failedEntries,
        conflicts: report.conflicts,
      };
    });
    const requestsByKind: Record<string, number> = {};
    const streamEvents: Record<string, number> = {};
    for (const report of deviceReports) {
      for (const [key, count] of Object.entries(report.requests)) requestsByKind[key] = (requestsByKind[key] ?? 0) + count;
      for (const [key, count] of Object.entries(report.streamEvents)) streamEvents[key] = (streamEvents[key] ?? 0) + count;
    }

    say('baseline: the same bytes over plain HTTP');
    const plainHttp = await plainHttpBaseline(workers, hostedBy, outcomes);
    await Promise.all(workers.map((worker) => worker.end()));
    const officeLog = logSize(office.logFile);
    await office.stop();
    // WAYPOST_BENCH_KEEP_OFFICE_LOG=file keeps the office's log (with WAYPOST_BENCH_OFFICE_LOG_LEVEL=debug, every request and its time).
    if (process.env.WAYPOST_BENCH_KEEP_OFFICE_LOG) copyFileSync(office.logFile, process.env.WAYPOST_BENCH_KEEP_OFFICE_LOG);

    say('baseline: the same entries verified alone');
    const verify = verifyJournals(journalFiles);
    say('baseline: the same rows inserted raw');
    const rawInsert = await rawInsertBaseline({ databaseUrl, sourceSchema: schema, deviceIds, concurrency: Math.min(scenario.devices, 4) });

    const converged = !timedOut && outcomes.every((outcome) => outcome.convergedMs !== null);
    return {
      scenario,
      converged,
      timedOut,
      build: {
        actions: built.reduce((sum, report) => sum + report.actions, 0),
        inspections: built.reduce((sum, report) => sum + report.inspections, 0),
        entries,
        attachments: built.reduce((sum, report) => sum + report.attachments, 0),
        wallMs: buildMs,
      },
      settledMs,
      devices: outcomes,
      wire: {
        bytesUp: sum(traffic.map((t) => t.up)),
        bytesDown: sum(traffic.map((t) => t.down)),
        connections: sum(traffic.map((t) => t.connections)),
        requests: sum(deviceReports.map((report) => sum(Object.values(report.requests)))),
        requestsByKind,
        streamEvents,
      },
      office: {
        cpuMs: officeCpuMs,
        postgresBackendsCpuMs: postgresCpu.backendsMs,
        postgresBackends: postgresCpu.backends,
        allPostgresCpuMs: postgresCpu.allPostgresMs,
        peakRssBytes: officeMemory?.peakRssBytes ?? 0,
        rssAtReconnectBytes: rssAtReconnect,
        peakRssDuringRunBytes: officePeakRss,
        logLevel: office.logLevel,
        log: officeLog,
      },
      workers: {
        processes,
        cpuMs: sum(reports.map((report) => report.cpuMs)),
        peakRssBytes: reports.map((report) => report.peakRssBytes),
        peakRssDuringRunBytes: reports.map((report) => report.peakRssDuringRunBytes),
      },
      feedHead: head,
      deviceDirectory: deviceDirectoryRoot(),
      baselines: { plainHttp, verify, rawInsert },
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => say(`cleanup: ${String(error)}`));
  }
}

/**
 * Where the device databases live: tmpfs (/dev/shm) unless WAYPOST_BENCH_DEVICE_DIR says otherwise.
 * Every device commit is fsynced (synchronous=FULL); on this machine's shared disk that costs
 * ~3-4 ms a commit, so dozens of devices on one disk would measure its fsync queue (and take
 * minutes to build their backlogs) where each real device has a disk of its own.
 */
function deviceDirectoryRoot(): string {
  if (process.env.WAYPOST_BENCH_DEVICE_DIR) return process.env.WAYPOST_BENCH_DEVICE_DIR;
  return existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
}

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);
const operatorId = (d: number) => `op-insp-${String(d + 1).padStart(2, '0')}`;
const badgeId = (d: number) => `I${String(d + 1).padStart(3, '0')}`;

async function ok(answer: Promise<{ status: number; body: unknown }>, what: string): Promise<Record<string, unknown>> {
  const { status, body } = await answer;
  if (status >= 300) throw new Error(`${what}: ${status} ${JSON.stringify(body)}`);
  return body as Record<string, unknown>;
}

/** The organisation, its north yard, one inspector per device, and a dispatcher; returns the dispatcher's token. */
async function seed(admin: { url: string; token: string }, names: readonly string[]): Promise<string> {
  const token = admin.token;
  await ok(call(admin, 'POST', '/v1/admin/organisations', { token, body: { id: 'org-1', name: 'Harbor Haulage' } }), 'organisation');
  await ok(call(admin, 'POST', '/v1/admin/sites', { token, body: { id: SITE, organisationId: 'org-1', name: 'North yard' } }), 'site');
  for (const [d, name] of names.entries()) {
    await ok(
      call(admin, 'POST', '/v1/admin/operators', {
        token,
        body: { id: operatorId(d), siteId: SITE, badgeId: badgeId(d), displayName: `Inspector of ${name}`, role: 'inspector', pin: PIN },
      }),
      `operator ${d}`,
    );
  }
  const dispatcher = await ok(
    call(admin, 'POST', '/v1/admin/users', { token, body: { id: 'user-dora', organisationId: 'org-1', name: 'Dora Dispatcher', role: 'dispatcher' } }),
    'dispatcher',
  );
  return String(dispatcher.token);
}

/**
 * Device d's backlog: its inspection actions and its work-order edits, which overlap other
 * devices' (device d edits orders d, d+3, d+6, ... of the shared ones, alternating status note and
 * location), so most shared orders are edited by several devices while all are offline.
 */
function plan(scenario: FleetScenario, d: number, workOrders: readonly string[]): BacklogPlan {
  const edits: BacklogPlan['workOrderEdits'] = [];
  for (let e = 0; e < scenario.workOrderEditsPerDevice && workOrders.length > 0; e++) {
    const recordId = workOrders[(d + e * 3) % workOrders.length]!;
    edits.push(
      e % 2 === 0
        ? { recordId, field: 'statusNote', value: `Inspector ${d + 1}: chassis staged, waiting on the reefer plug (${e + 1})` }
        : { recordId, field: 'location', value: `Row ${String.fromCharCode(65 + ((d + e) % 12))}, slot ${(d * 7 + e) % 40}` },
    );
  }
  return { inspectionActions: scenario.inspectionActionsPerDevice, workOrderEdits: edits };
}

async function feedHead(client: pg.Client, schema: string): Promise<number> {
  const { rows } = await client.query<{ head: string | null }>(`SELECT max(id) AS head FROM "${schema}".changes WHERE site_id = $1`, [SITE]);
  return Number(rows[0]?.head ?? 0);
}

async function officeWorkOrders(client: pg.Client, schema: string, ids: readonly string[]): Promise<string> {
  if (ids.length === 0) return '';
  const { rows } = await client.query<{ id: string; status_note: unknown; location: unknown }>(
    `SELECT id, fields -> 'statusNote' AS status_note, fields -> 'location' AS location FROM "${schema}".records WHERE type = 'workOrder' AND id = ANY($1)`,
    [ids],
  );
  return workOrderDigest(rows.map((row) => ({ id: row.id, statusNote: row.status_note, location: row.location })));
}

/**
 * The same number of requests per device, with the same bytes both ways as the proxy counted for
 * that device (less the HTTP headers the plain requests carry themselves), one after another per
 * device and all devices at once, to a trivial Node server in its own process through byte-counting
 * proxies like the devices'.
 */
async function plainHttpBaseline(workers: DeviceWorker[], hostedBy: number[][], outcomes: DeviceOutcome[]): Promise<FleetRun['baselines']['plainHttp']> {
  const server = await startPlainServer();
  const proxies = await Promise.all(outcomes.map(() => TcpProxy.start({ host: '127.0.0.1', port: server.port })));
  try {
    // What one empty request and its empty answer weigh on the wire, headers only.
    const probe = proxies[0]!;
    const response = await fetch(`http://127.0.0.1:${probe.port}/`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-reply-bytes': '0' }, body: '' });
    await response.arrayBuffer();
    const headerBytes = { up: probe.traffic.up, down: probe.traffic.down };
    for (const proxy of proxies) proxy.resetTraffic();
    const targets = outcomes.map((outcome, d): ReplayTarget => {
      const requests = Math.max(outcome.requests, 1);
      return {
        url: `http://127.0.0.1:${proxies[d]!.port}/`,
        requests,
        upBodyBytes: Math.max(0, Math.round(outcome.bytesUp / requests) - headerBytes.up),
        downBodyBytes: Math.max(0, Math.round(outcome.bytesDown / requests) - headerBytes.down),
      };
    });
    const perDevice: number[] = [];
    await Promise.all(
      workers.map(async (worker, w) => {
        const times = await worker.call<number[]>({ type: 'replay', targets: hostedBy[w]!.map((d) => targets[d]!) }, 600_000);
        for (const [i, d] of hostedBy[w]!.entries()) perDevice[d] = times[i]!;
      }),
    );
    return {
      maxMs: Math.max(...perDevice),
      medianMs: median(perDevice),
      requests: sum(targets.map((target) => target.requests)),
      bytesUp: sum(proxies.map((proxy) => proxy.traffic.up)),
      bytesDown: sum(proxies.map((proxy) => proxy.traffic.down)),
      headerBytes,
    };
  } finally {
    await Promise.all(proxies.map((proxy) => proxy.close()));
    await server.stop();
  }
}

/** Every device's journal through the shared verifier, one thread, one after another (file reading and parsing not timed). */
function verifyJournals(files: readonly string[]): { entries: number; ms: number } {
  let entries = 0;
  let ms = 0;
  for (const file of files) {
    const journal = JSON.parse(readFileSync(file, 'utf8')) as ExportedJournal;
    const start = nowNs();
    const verdict = verifyChain({ deviceId: journal.deviceId, devicePublicKey: hexToBytes(journal.devicePublicKey) }, { entries: journal.entries });
    ms += elapsedMs(start);
    if (!verdict.ok) throw new Error(`the journal of ${journal.deviceId} does not verify: ${verdict.failure.message}`);
    entries += journal.entries.length;
  }
  return { entries, ms };
}
