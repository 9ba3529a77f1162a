import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { listUnstoredAttachments } from '../../db/queries/attachments.js';
import { countOutbox } from '../../db/queries/outbox.js';
import { listConflicts } from '../../db/queries/sync.js';
import { DeviceCore } from '../../main/core/device-core.js';
import { MemoryKeyStore } from '../../main/core/keystore-dev.js';
import { systemClock } from '../../main/core/ports.js';
import { DeviceSync, type DeviceSyncStatus } from '../../main/core/sync/device-sync.js';
import { readPullCursor } from '../../main/core/sync/state.js';
import {
  type BinaryTransport,
  type EventStream,
  type EventStreamHandlers,
  FetchTransport,
  type PostOptions,
  type SyncTransport,
  type TransportResponse,
} from '../../main/core/sync/transport.js';
import { bytesToHex } from '../../protocol/crypto/hash.js';
import { serveRpc } from '../../test/support/child-rpc.js';
import { SeededRandomness } from '../../test/support/device.js';
import { ACTIONS_PER_INSPECTION, editWorkOrder, performInspection } from '../../test/support/inspection.js';
import { cursorChangeId, pathGroup, workOrderDigest } from './feed.js';
import type {
  BacklogPlan,
  BuildReport,
  DeviceRunReport,
  DeviceSpec,
  DeviceStatusReport,
  ExportedJournal,
  Observation,
  ReplayTarget,
  WorkerRequest,
  WorkerRunReport,
} from './messages.js';
import { readMemory } from './proc.js';

/**
 * A device worker process of the fleet benchmarks: hosts one or more real device cores (encrypted
 * SQLite files, signed journals) and, when told, runs each one's real sync (DeviceSync: the daemon
 * over the sync client, live stream included, FetchTransport over HTTP), noting after every push
 * batch and every pull page where the device stands. Driven by the benchmark over the fork IPC
 * channel (messages.ts); it exits when the channel closes.
 */

const now = (): number => performance.timeOrigin + performance.now();

/** The real HTTP transport, counted: requests by path and status, live-stream events by name. */
class CountingTransport implements SyncTransport, BinaryTransport {
  requests: Record<string, number> = {};
  streamEvents: Record<string, number> = {};

  constructor(
    private readonly http: FetchTransport,
    /** Told after each answer, once what the sync code does with it synchronously is done. */
    private readonly onAnswered: (path: string) => void,
  ) {}

  post(path: string, body: unknown, headers: Record<string, string>, options?: PostOptions): Promise<TransportResponse> {
    return this.#count('POST', path, this.http.post(path, body, headers, options));
  }

  patch(path: string, bytes: Uint8Array, headers: Record<string, string>): Promise<TransportResponse> {
    return this.#count('PATCH', path, this.http.patch(path, bytes, headers));
  }

  events(path: string, headers: Record<string, string>, handlers: EventStreamHandlers): EventStream {
    this.#add(this.requests, `GET ${pathGroup(path)} stream`);
    return this.http.events(path, headers, {
      onEvent: (event, data) => {
        this.#add(this.streamEvents, event);
        handlers.onEvent(event, data);
      },
      onClose: (error) => handlers.onClose(error),
    });
  }

  /** Counts from zero again (the reconnect: enrollment and the sync at the yard are not part of the run). */
  resetCounts(): void {
    this.requests = {};
    this.streamEvents = {};
  }

  async #count(method: string, path: string, answer: Promise<TransportResponse>): Promise<TransportResponse> {
    let status = 'network-error';
    try {
      const response = await answer;
      status = String(response.status);
      return response;
    } finally {
      this.#add(this.requests, `${method} ${pathGroup(path)} ${status}`);
      // The caller applies an answer synchronously once it has it; look after that.
      setImmediate(() => this.onAnswered(path));
    }
  }

  #add(counts: Record<string, number>, key: string): void {
    counts[key] = (counts[key] ?? 0) + 1;
  }
}

interface Hosted {
  spec: DeviceSpec;
  core: DeviceCore;
  random: SeededRandomness;
  transport: CountingTransport;
  sync: DeviceSync | null;
  observations: Observation[];
  errors: Record<string, number>;
  lastErrorAt: number | null;
  /** As its sync last told (onStatus): the benchmark's polls read these, not the device's database. */
  running: boolean;
  lastError: string | null;
}

let hosted: Hosted[] = [];
let sharedWorkOrders: string[] = [];
let runStartCpu: NodeJS.CpuUsage | null = null;
let runCpuMs = 0;
let peakRssDuringRun = 0;

function digestOf(core: DeviceCore): string {
  if (sharedWorkOrders.length === 0) return '';
  return workOrderDigest(
    sharedWorkOrders.map((id) => {
      const fields = core.getRecord('workOrder', id)?.fields as Record<string, unknown> | undefined;
      return { id, statusNote: fields?.statusNote, location: fields?.location };
    }),
  );
}

/**
 * What the device holds now. The shared work orders and the attachments are read only once its
 * queue is drained: every figure waits for that, and reading them after every request had made the
 * bench's own observation a good part of the devices' CPU.
 */
function observe(device: Hosted): void {
  if (!device.sync) return;
  const { db } = device.core.database;
  const { pending, failed } = countOutbox(db);
  device.observations.push({
    at: now(),
    pending,
    failed,
    cursorId: cursorChangeId(readPullCursor(db)),
    ...(pending === 0 ? { digest: digestOf(device.core), unstored: listUnstoredAttachments(db).length } : { digest: null, unstored: null }),
  });
}

async function setup(devices: DeviceSpec[], workOrders: string[]): Promise<{ name: string; deviceId: string }[]> {
  sharedWorkOrders = workOrders;
  for (const spec of devices) {
    mkdirSync(spec.dir, { recursive: true });
    const random = new SeededRandomness(`fleet:${spec.name}`);
    const core = DeviceCore.open({ path: join(spec.dir, 'device.db'), keyStore: new MemoryKeyStore(random), clock: systemClock, random });
    const device: Hosted = { spec, core, random, transport: null as never, sync: null, observations: [], errors: {}, lastErrorAt: null, running: false, lastError: null };
    device.transport = new CountingTransport(new FetchTransport(spec.officeUrl), () => observe(device));
    await core.enroll({ transport: device.transport, token: spec.enrollmentToken, kind: spec.kind, label: spec.name });
    // At the yard before the dead zone: the site's operators and work orders come down.
    await core.syncClient(device.transport).sync();
    hosted.push(device);
  }
  return hosted.map(({ spec, core }) => ({ name: spec.name, deviceId: core.deviceId }));
}

function build(plans: BacklogPlan[]): BuildReport[] {
  return hosted.map((device, index) => {
    const plan = plans[index]!;
    const { core, spec } = device;
    const start = now();
    core.signIn(spec.operator.badgeId, spec.operator.pin);
    const inspections = Math.ceil(plan.inspectionActions / ACTIONS_PER_INSPECTION);
    const edits = plan.workOrderEdits;
    let actions = 0;
    let edited = 0;
    const editsDue = (done: number) => Math.floor((done * (edits.length + 1)) / (inspections + 1));
    for (let i = 0; i < inspections; i++) {
      actions += performInspection(core, i, {
        signatureSeed: spec.name,
        now: () => systemClock.now(),
        actions: Math.min(ACTIONS_PER_INSPECTION, plan.inspectionActions - i * ACTIONS_PER_INSPECTION),
      });
      for (; edited < Math.min(editsDue(i + 1), edits.length); edited++) {
        const edit = edits[edited]!;
        core.perform(editWorkOrder(edit.recordId, edit.field, edit.value));
        actions++;
      }
    }
    for (; edited < edits.length; edited++) {
      const edit = edits[edited]!;
      core.perform(editWorkOrder(edit.recordId, edit.field, edit.value));
      actions++;
    }
    const status = core.status();
    return {
      name: spec.name,
      deviceId: core.deviceId,
      actions,
      inspections,
      pending: status.outbox.pending,
      attachments: listUnstoredAttachments(core.database.db).length,
      buildMs: now() - start,
    };
  });
}

function exportJournals(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  return hosted.map(({ spec, core }) => {
    const file = join(dir, `${spec.name}.json`);
    const journal: ExportedJournal = { deviceId: core.deviceId, devicePublicKey: bytesToHex(core.devicePublicKey), entries: core.journal() };
    writeFileSync(file, JSON.stringify(journal));
    return file;
  });
}

/** The network is back: every hosted device's sync starts, as the app's daemon does on reconnect. */
function go(): number {
  runStartCpu = process.cpuUsage();
  const startedAt = now();
  for (const device of hosted) {
    device.transport.resetCounts();
    device.sync = new DeviceSync(device.core, {
      transport: device.transport,
      clock: systemClock,
      random: device.random,
      client: { onBatch: () => observe(device) },
      onStatus: (status: DeviceSyncStatus) => {
        device.running = status.running;
        device.lastError = status.lastError ? `${status.lastError.code}: ${status.lastError.message}` : null;
        // An error stays the last one until a sync succeeds: count each occurrence once, by its time.
        if (status.lastError && status.lastError.at !== device.lastErrorAt) {
          device.lastErrorAt = status.lastError.at;
          device.errors[status.lastError.code] = (device.errors[status.lastError.code] ?? 0) + 1;
        }
        if (!status.running) observe(device);
      },
    });
    observe(device);
    device.sync.start();
  }
  return startedAt;
}

/**
 * Every device's state as last observed (after each of its requests and each change of its sync's
 * status), looked at again only when its sync is idle (an upload pass may store its last answer
 * after the request was observed): polled every 250 ms, it reads no database of a device at work,
 * so the benchmark's watching costs the syncing devices' CPU next to nothing.
 */
function status(): DeviceStatusReport[] {
  peakRssDuringRun = Math.max(peakRssDuringRun, process.memoryUsage().rss);
  return hosted.map((device) => {
    if (!device.running) observe(device);
    const { spec, observations, running, lastError } = device;
    const last = observations.at(-1);
    return {
      name: spec.name,
      running,
      pending: last?.pending ?? 0,
      failed: last?.failed ?? 0,
      cursorId: last?.cursorId ?? 0,
      digest: last?.digest ?? null,
      unstored: last?.unstored ?? null,
      lastError,
    };
  });
}

async function stop(): Promise<WorkerRunReport> {
  peakRssDuringRun = Math.max(peakRssDuringRun, process.memoryUsage().rss);
  for (const device of hosted) device.sync?.stop();
  if (runStartCpu) {
    const used = process.cpuUsage(runStartCpu);
    runCpuMs = (used.user + used.system) / 1000;
  }
  // A sync already running finishes; bounded, so a stuck request cannot hold the benchmark.
  await Promise.race([Promise.all(hosted.map((device) => device.sync?.whenIdle())), new Promise((resolve) => setTimeout(resolve, 35_000).unref())]);
  const devices: DeviceRunReport[] = hosted.map((device) => {
    const { db } = device.core.database;
    return {
      name: device.spec.name,
      deviceId: device.core.deviceId,
      observations: device.observations,
      requests: device.transport.requests,
      streamEvents: device.transport.streamEvents,
      errors: device.errors,
      failedEntries: countOutbox(db).failed,
      conflicts: listConflicts(db).length,
    };
  });
  const memory = readMemory(process.pid);
  return { devices, pid: process.pid, cpuMs: runCpuMs, peakRssBytes: memory?.peakRssBytes ?? 0, peakRssDuringRunBytes: peakRssDuringRun };
}

/**
 * The plain-HTTP baseline: each target's requests one after another (one device's sync does not
 * overlap its own requests), all targets at once, over keep-alive fetch like the real transport.
 * Returns each target's milliseconds.
 */
async function replay(targets: ReplayTarget[]): Promise<number[]> {
  return Promise.all(
    targets.map(async (target) => {
      const body = Buffer.alloc(target.upBodyBytes, 0x61);
      const start = now();
      for (let i = 0; i < target.requests; i++) {
        const response = await fetch(target.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-reply-bytes': String(target.downBodyBytes) },
          body,
          signal: AbortSignal.timeout(30_000),
        });
        await response.arrayBuffer();
        if (response.status !== 200) throw new Error(`plain HTTP server answered ${response.status}`);
      }
      return now() - start;
    }),
  );
}

function closeAll(): void {
  for (const device of hosted) {
    device.sync?.stop();
    try {
      device.core.close();
    } catch {
      // Closing on the way out: nothing more to do with a core that will not close.
    }
  }
  hosted = [];
}

async function handle(request: WorkerRequest): Promise<unknown> {
  switch (request.type) {
    case 'setup':
      return setup(request.devices, request.sharedWorkOrders);
    case 'build':
      return build(request.plans);
    case 'export':
      return exportJournals(request.dir);
    case 'go':
      return go();
    case 'status':
      return status();
    case 'stop':
      return stop();
    case 'replay':
      return replay(request.targets);
  }
}

serveRpc(handle);

// The benchmark went away (finished, failed or killed): close the databases and go.
process.on('disconnect', () => {
  closeAll();
  process.exit(0);
});
