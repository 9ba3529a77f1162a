import { copyFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDeviceDatabase } from '../../../db/open.js';
import { DeviceCore } from '../../../main/core/device-core.js';
import { CoreError } from '../../../main/core/errors.js';
import { MemoryKeyStore } from '../../../main/core/keystore-dev.js';
import type { Clock } from '../../../main/core/ports.js';
import type { SyncClient } from '../../../main/core/sync/client.js';
import { type DaemonFaults, SyncDaemon } from '../../../main/core/sync/daemon.js';
import type { DeviceKind } from '../../../protocol/wire.js';
import { type ManualClock, SeededRandomness, tempDir } from '../../support/device.js';
import type { FakeTimers } from '../support/timers.js';
import type { SimLink } from './network.js';

/** A device clock set wrong by `skewMs` and running fast or slow by `driftPpm`. */
export class DriftingClock implements Clock {
  constructor(
    private readonly base: ManualClock,
    readonly skewMs: number,
    readonly driftPpm: number,
    private readonly since: number,
  ) {}

  now(): number {
    const elapsed = this.base.now() - this.since;
    return Math.round(this.base.now() + this.skewMs + (elapsed * this.driftPpm) / 1e6);
  }
}

/**
 * Device files on a memory disk where there is one: a seed's devices make hundreds of durable
 * commits, and what the simulation tests is their order, not the disk's fsync.
 */
export const MEMORY_DISK = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();

let template: string | null = null;

/**
 * A migrated, empty device database to start each device from: migrating one costs more than a
 * whole simulated step. Not encrypted: at-rest encryption is not what the simulation tests, and
 * its key derivation on every open would cost more again.
 */
function emptyDatabase(): string {
  if (!template) {
    template = join(tempDir('waypost-sim-template-', MEMORY_DISK), 'device.db');
    openDeviceDatabase({ path: template, key: null }).sqlite.close();
  }
  return template;
}

export const DAEMON_TIMING = { intervalMs: 5 * 60_000, backoff: { initialMs: 1_000, maxMs: 30_000 } };

export interface Operator {
  operatorId: string;
  badgeId: string;
  pin: string;
}

export interface SimDeviceOptions {
  name: string;
  kind: DeviceKind;
  operators: readonly Operator[];
  dir: string;
  seed: string;
  clock: DriftingClock;
  link: SimLink;
  timers: FakeTimers;
  daemonFaults: DaemonFaults;
  trace(line: string): void;
}

/**
 * One field device of the fleet: its database file, key store and clock outlive the process, which
 * the simulation kills at any wait and starts again from the file.
 */
export class SimDevice {
  readonly name: string;
  readonly path: string;
  readonly keyStore: MemoryKeyStore;
  /** Entries each push answer reported as newly acknowledged, over every life of the process. */
  readonly acknowledged = new Map<number, number>();
  core!: DeviceCore;
  client!: SyncClient;
  daemon!: SyncDaemon;
  alive = false;
  boots = 0;
  #timers: ReturnType<FakeTimers['scope']> | null = null;
  /** Resolves when this life of the process ends. */
  #death: { promise: Promise<void>; resolve(): void } | null = null;

  constructor(readonly options: SimDeviceOptions) {
    this.name = options.name;
    this.path = join(options.dir, `${options.name}.db`);
    this.keyStore = new MemoryKeyStore(new SeededRandomness(`${options.seed}:keys:${options.name}`));
    copyFileSync(emptyDatabase(), this.path);
    options.link.onDeviceKilled = () => this.kill();
  }

  get link(): SimLink {
    return this.options.link;
  }

  get operators(): readonly Operator[] {
    return this.options.operators;
  }

  /** The process starts: the core opens its database file; sync is built but not started. */
  boot(): void {
    this.boots++;
    const { clock, link, timers, seed, daemonFaults } = this.options;
    const random = new SeededRandomness(`${seed}:${this.name}:boot${this.boots}`);
    this.core = DeviceCore.open({ path: this.path, keyStore: this.keyStore, clock, random, encrypt: false });
    this.client = this.core.syncClient(link, {
      batchSize: 5,
      pullLimit: 7,
      onBatch: (report) => {
        for (const seq of report.acknowledged) this.acknowledged.set(seq, (this.acknowledged.get(seq) ?? 0) + 1);
      },
    });
    this.#timers = timers.scope();
    this.daemon = new SyncDaemon({
      client: this.client,
      clock,
      timers: this.#timers,
      random: new SeededRandomness(`${seed}:${this.name}:daemon${this.boots}`),
      ...DAEMON_TIMING,
      faults: daemonFaults,
    });
    let resolve = () => undefined as void;
    this.#death = { promise: new Promise<void>((done) => (resolve = done)), resolve };
    this.alive = true;
  }

  /** Sync at rest, or the process dead (its waits never end). */
  async idle(): Promise<void> {
    if (this.alive) await Promise.race([this.daemon.whenIdle(), this.#death!.promise]);
  }

  async enroll(token: string): Promise<void> {
    this.boot();
    await this.core.enroll({ transport: this.link, token, kind: this.options.kind, label: this.name });
    await this.client.pull();
  }

  /** One upload pass of the attachments, as DeviceSync runs it after a sync: what it did, in words, and whether work is left. */
  async uploadPass(): Promise<{ said: string; more: boolean }> {
    if (!this.alive) return { said: 'not running', more: false };
    const death = this.#death!.promise.then(() => ({ said: 'the process died during the pass', more: false }));
    const pass = this.core.uploadAttachments(this.link, { chunkBytes: 16 * 1024 }).then(
      (summary) => ({ said: `${summary.stored.length} stored, ${summary.deferred.length} deferred`, more: summary.stored.length + summary.deferred.length > 0 }),
      (error: unknown) => ({ said: `failed: ${error instanceof Error ? error.message : String(error)}`, more: true }),
    );
    return Promise.race([pass, death]);
  }

  /** The process dies where it stands: no session close, no goodbye; its waits never end. */
  kill(): void {
    if (!this.alive) return;
    this.alive = false;
    this.#timers?.clearAll();
    this.link.processDied();
    this.core.database.sqlite.close();
    this.#death?.resolve();
  }

  /** One operator action as the UI makes it: signed in (switching operators on a kiosk), then performed. */
  act(operator: Operator, input: unknown): { ok: true; seq: number } | { ok: false; reason: string } {
    const sessions = this.core.sessions;
    try {
      if (sessions.current && (sessions.lockIfIdle() || sessions.current.operatorId !== operator.operatorId)) {
        if (sessions.current) this.core.signOut();
      }
      if (!sessions.current) this.core.signIn(operator.badgeId, operator.pin);
      const result = this.core.perform(input);
      return { ok: true, seq: result.seq };
    } catch (error) {
      // The record changed under the operator (deleted, submitted): the app refuses, nothing is written.
      if (error instanceof CoreError) return { ok: false, reason: error.message };
      throw error;
    }
  }

  /** The app quits: sync stops, what runs finishes, the database closes. */
  async close(): Promise<void> {
    if (!this.alive) return;
    this.daemon.stop();
    this.#timers?.clearAll();
    await this.idle();
    this.core.close();
    this.alive = false;
  }
}
