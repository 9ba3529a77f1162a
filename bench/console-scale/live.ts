import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeviceCore } from '../../main/core/device-core.js';
import { MemoryKeyStore } from '../../main/core/keystore-dev.js';
import type { SyncClient } from '../../main/core/sync/client.js';
import { FetchTransport } from '../../main/core/sync/transport.js';
import { systemRandomness } from '../../protocol/runtime.js';
import type { DeviceKind } from '../../protocol/wire.js';
import { SYNC_EVENT_WINDOW_MS, SYNC_EVENTS, type SyncEventData } from '../../protocol/wire/events.js';
import { billingLineCreate, update } from '../../test/support/actions.js';
import { CLERK, INSPECTOR } from '../../test/support/device.js';
import { call } from '../../test/support/server.js';

/**
 * A conflict a device pushes, seen by an open console: two real device cores (encrypted SQLite,
 * signed journals, the real sync client over HTTP) at one yard edit a billing line's quantity on
 * the same version; the second push goes to review. Timed from the moment that push starts to
 * (i) the office's live stream (GET /v1/office/events, read as console/live.ts reads it)
 * delivering the `changes` event its commit caused, and (ii) the review queue the console then
 * reads again (status=open&limit=200, filtered to the yard as a reviewer watching it would)
 * holding the new item. The push starts at a random moment within two notification windows of
 * the previous one, so some samples wait for the window the office holds a site's events in.
 */
export interface VisibilitySample {
  /** How long after the previous push this one started, ms. */
  phaseMs: number;
  /** The device's push round trip. */
  pushMs: number;
  /** Push started → `changes` event read from the console's stream. */
  eventMs: number;
  /** Push started → the console's queue read after the event holds the item. */
  queueMs: number;
  queueReads: number;
}

export interface LiveOptions {
  officeUrl: string;
  adminToken: string;
  /** A console user's token: reads the live stream and the review queue. */
  reviewerToken: string;
  siteId: string;
  workOrderId: string;
  samples: number;
  log: (message: string) => void;
}

/** Every wait for the office in one sample is bounded by this. */
const SAMPLE_TIMEOUT_MS = 10_000;
const QUEUE_RETRY_MS = 50;

const now = (): number => performance.timeOrigin + performance.now();

interface LiveDevice {
  deviceId: string;
  core: DeviceCore;
  client: SyncClient;
}

export async function measureConflictVisibility(options: LiveOptions): Promise<VisibilitySample[]> {
  const dir = mkdtempSync(join(tmpdir(), 'waypost-console-live-'));
  const devices: LiveDevice[] = [];
  let stream: OfficeEventLog | null = null;
  try {
    for (const operator of [INSPECTOR, CLERK]) await createOperator(options, operator);
    const cab = await enrolledDevice(options, dir, 'cab-live', 'cab', INSPECTOR);
    devices.push(cab);
    const kiosk = await enrolledDevice(options, dir, 'kiosk-live', 'kiosk', CLERK);
    devices.push(kiosk);
    stream = await OfficeEventLog.open(options.officeUrl, options.reviewerToken);
    const samples: VisibilitySample[] = [];
    for (let s = 0; s < options.samples; s++) {
      samples.push(await conflictSample(options, stream, cab, kiosk));
      const last = samples.at(-1)!;
      options.log(`console-scale: conflict ${s + 1}: live event after ${last.eventMs.toFixed(0)} ms, in the queue after ${last.queueMs.toFixed(0)} ms`);
    }
    return samples;
  } finally {
    stream?.close();
    for (const device of devices) device.core.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function createOperator(options: LiveOptions, operator: typeof INSPECTOR | typeof CLERK): Promise<void> {
  const { operatorId, ...rest } = operator;
  const answer = await call({ url: options.officeUrl }, 'POST', '/v1/admin/operators', { token: options.adminToken, body: { id: operatorId, siteId: options.siteId, ...rest } });
  if (answer.status !== 201) throw new Error(`operator ${operatorId}: ${answer.status} ${JSON.stringify(answer.body)}`);
}

/** A device enrolled at the yard, synced once (so its operator can sign in), with the operator signed in. */
async function enrolledDevice(options: LiveOptions, dir: string, name: string, kind: DeviceKind, operator: { badgeId: string; pin: string }): Promise<LiveDevice> {
  const answer = await call({ url: options.officeUrl }, 'POST', '/v1/admin/enrollment-tokens', { token: options.adminToken, body: { siteId: options.siteId, kind } });
  if (answer.status !== 201) throw new Error(`enrollment token: ${answer.status} ${JSON.stringify(answer.body)}`);
  mkdirSync(join(dir, name));
  const core = DeviceCore.open({ path: join(dir, name, 'device.db'), keyStore: new MemoryKeyStore(systemRandomness) });
  const transport = new FetchTransport(options.officeUrl, { timeoutMs: SAMPLE_TIMEOUT_MS });
  const { deviceId } = await core.enroll({ transport, token: String(answer.body.token), kind, label: name });
  const client = core.syncClient(transport);
  await client.pull();
  core.signIn(operator.badgeId, operator.pin);
  return { deviceId, core, client };
}

async function conflictSample(options: LiveOptions, stream: OfficeEventLog, cab: LiveDevice, kiosk: LiveDevice): Promise<VisibilitySample> {
  const line = cab.core.perform(billingLineCreate(options.workOrderId, 2)).record.id;
  await cab.client.sync();
  await kiosk.client.pull();
  cab.core.perform(update('billingLine', line, { quantity: 3 }));
  await cab.client.push();
  // Made on the version the kiosk pulled, which the cab's edit has replaced: a concurrent edit of a review field.
  kiosk.core.perform(update('billingLine', line, { quantity: 4 }));
  const phaseMs = Math.random() * 2 * SYNC_EVENT_WINDOW_MS;
  await sleep(phaseMs);

  const from = stream.mark();
  const start = now();
  let pushedAt = 0;
  const pushing = kiosk.client.push().then((summary) => {
    pushedAt = now();
    return summary;
  });
  const event = await stream.next((candidate) => candidate.name === SYNC_EVENTS.changes && (candidate.data.by?.devices ?? []).includes(kiosk.deviceId), from, SAMPLE_TIMEOUT_MS);
  const queue = await queueHolding(options, line, start);
  const summary = await pushing;
  if (summary.conflicts < 1) throw new Error(`the kiosk's edit of ${line} did not go to review: ${JSON.stringify(summary)}`);
  return { phaseMs, pushMs: pushedAt - start, eventMs: event.at - start, queueMs: queue.at - start, queueReads: queue.reads };
}

/** As the console after a `changes` event: the open queue read again, until it holds the line's item (bounded). */
async function queueHolding(options: LiveOptions, recordId: string, start: number): Promise<{ at: number; reads: number }> {
  const path = `/v1/office/review-items?status=open&limit=200&siteId=${options.siteId}`;
  for (let reads = 1; now() - start < SAMPLE_TIMEOUT_MS; reads++) {
    const answer = await call<{ items: { recordId: string; status: string }[] }>({ url: options.officeUrl }, 'GET', path, { token: options.reviewerToken });
    if (answer.status !== 200) throw new Error(`review queue: ${answer.status} ${JSON.stringify(answer.body)}`);
    if (answer.body.items.some((item) => item.recordId === recordId && item.status === 'open')) return { at: now(), reads };
    await sleep(QUEUE_RETRY_MS);
  }
  throw new Error(`the review item of ${recordId} was not in the open queue within ${SAMPLE_TIMEOUT_MS} ms`);
}

interface StreamEvent {
  name: string;
  data: Partial<SyncEventData>;
  /** When this process read it (epoch ms, monotonic-based). */
  at: number;
}

/**
 * The office's live stream as the console reads it (fetch, the same headers, event blocks split at
 * blank lines), every event kept with when it was read. Waiters are told as events arrive.
 */
class OfficeEventLog {
  readonly #events: StreamEvent[] = [];
  readonly #waiters = new Set<() => void>();
  readonly #abort = new AbortController();
  #ended: Error | null = null;

  private constructor() {}

  static async open(officeUrl: string, token: string): Promise<OfficeEventLog> {
    const log = new OfficeEventLog();
    const response = await fetch(`${officeUrl}/v1/office/events`, {
      headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` },
      signal: log.#abort.signal,
    });
    if (response.status !== 200 || !response.body) throw new Error(`office events: ${response.status} ${await response.text()}`);
    void log.#read(response.body);
    await log.next((event) => event.name === SYNC_EVENTS.ready, 0, SAMPLE_TIMEOUT_MS);
    return log;
  }

  /** Where the next event will be: `next` from here ignores what came before. */
  mark(): number {
    return this.#events.length;
  }

  /** The first event at or after `from` that matches; fails after `timeoutMs` or when the stream ends. */
  async next(matches: (event: StreamEvent) => boolean, from: number, timeoutMs: number): Promise<StreamEvent> {
    const deadline = now() + timeoutMs;
    for (let seen = from; ; ) {
      for (; seen < this.#events.length; seen++) if (matches(this.#events[seen]!)) return this.#events[seen]!;
      if (this.#ended) throw this.#ended;
      const left = deadline - now();
      if (left <= 0) throw new Error(`no matching office event within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        const waiters = this.#waiters;
        function done() {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        }
        waiters.add(done);
      });
    }
  }

  close(): void {
    this.#abort.abort();
  }

  async #read(body: ReadableStream<Uint8Array>): Promise<void> {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const at = now();
        buffered += value;
        for (let boundary = buffered.indexOf('\n\n'); boundary >= 0; boundary = buffered.indexOf('\n\n')) {
          const block = buffered.slice(0, boundary);
          buffered = buffered.slice(boundary + 2);
          const name = /^event: (.+)$/m.exec(block)?.[1];
          const data = /^data: (.+)$/m.exec(block)?.[1];
          if (name) this.#events.push({ name, data: data ? (JSON.parse(data) as Partial<SyncEventData>) : {}, at });
        }
        for (const wake of [...this.#waiters]) wake();
      }
      this.#ended = new Error('the office ended its event stream');
    } catch (error) {
      this.#ended = error instanceof Error ? error : new Error(String(error));
    }
    for (const wake of [...this.#waiters]) wake();
  }
}
