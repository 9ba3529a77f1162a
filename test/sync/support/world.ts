import { join } from 'node:path';
import { DeviceCore } from '../../../main/core/device-core.js';
import { MemoryKeyStore } from '../../../main/core/keystore-dev.js';
import type { Clock } from '../../../main/core/ports.js';
import type { SyncClient, SyncClientOptions } from '../../../main/core/sync/client.js';
import { FetchTransport, type SyncTransport } from '../../../main/core/sync/transport.js';
import { type CanonicalRecord, type DeviceKind, type OfficeWriteResponse, canonicalRecordSchema, officeWriteResponseSchema } from '../../../protocol/wire.js';
import { ManualClock, SeededRandomness, tempDir } from '../../support/device.js';
import { call, issueEnrollmentToken, NORTH, seedOrganisation, startTestServer, type TestServer, type TestServerOptions } from '../../support/server.js';

/**
 * Several device cores enrolled against one real office server over HTTP on 127.0.0.1, with the
 * office's dispatcher API at hand. Everything shares one manual clock.
 */
export interface FieldDevice {
  name: string;
  core: DeviceCore;
  transport: SyncTransport;
  client: SyncClient;
  random: SeededRandomness;
  path: string;
}

export interface AddDeviceOptions {
  kind?: DeviceKind;
  siteId?: string;
  /** Wraps the HTTP transport (to lose, delay or rewrite messages). */
  transport?: (http: SyncTransport) => SyncTransport;
  client?: Omit<SyncClientOptions, 'database' | 'deviceId' | 'clock' | 'transport' | 'pinPepper'>;
  /** Pull once after enrolling, so the site's operators can sign in (default true). */
  pull?: boolean;
  /** The device clock reads this far ahead of the world's (negative: behind). */
  clockOffsetMs?: number;
}

/** A device clock set wrong by a fixed amount. */
class OffsetClock implements Clock {
  constructor(
    private readonly base: Clock,
    private readonly offsetMs: number,
  ) {}

  now(): number {
    return this.base.now() + this.offsetMs;
  }
}

export class SyncWorld {
  readonly devices: FieldDevice[] = [];

  private constructor(
    readonly server: TestServer,
    readonly office: Office,
  ) {}

  static async start(options: TestServerOptions = {}): Promise<SyncWorld> {
    const server = await startTestServer({ clock: new ManualClock(), ...options });
    const { dispatcherToken } = await seedOrganisation(server);
    return new SyncWorld(server, new Office(server, dispatcherToken));
  }

  get clock(): ManualClock {
    return this.server.clock;
  }

  http(): SyncTransport {
    return new FetchTransport(this.server.url, { timeoutMs: 20_000 });
  }

  /** A new device core, not enrolled: no operator can sign in on it yet. */
  openDevice(name: string, clockOffsetMs = 0): Omit<FieldDevice, 'transport' | 'client'> {
    const random = new SeededRandomness(`device:${name}`);
    const path = join(tempDir(`waypost-sync-${name}-`), 'device.db');
    const clock = clockOffsetMs === 0 ? this.clock : new OffsetClock(this.clock, clockOffsetMs);
    const core = DeviceCore.open({ path, keyStore: new MemoryKeyStore(random), clock, random });
    return { name, core, random, path };
  }

  async addDevice(name: string, options: AddDeviceOptions = {}): Promise<FieldDevice> {
    const kind = options.kind ?? (name.startsWith('kiosk') ? 'kiosk' : 'cab');
    const opened = this.openDevice(name, options.clockOffsetMs);
    const transport = options.transport ? options.transport(this.http()) : this.http();
    const token = await issueEnrollmentToken(this.server, options.siteId ?? NORTH, kind);
    await opened.core.enroll({ transport, token, kind, label: name });
    const device: FieldDevice = { ...opened, transport, client: opened.core.syncClient(transport, options.client) };
    this.devices.push(device);
    if (options.pull ?? true) await device.client.pull();
    return device;
  }

  async close(): Promise<void> {
    for (const device of this.devices) device.core.close();
    await this.server.close();
  }
}

/** Syncs each device, then pulls each again: the second round brings each what the others pushed after its own pull. */
export async function syncAll(...devices: FieldDevice[]): Promise<void> {
  for (const device of devices) await device.client.sync();
  for (const device of devices) await device.client.pull();
}

/** The dispatcher at the office console. */
export class Office {
  constructor(
    private readonly server: Pick<TestServer, 'url'>,
    readonly token: string,
  ) {}

  async createWorkOrder(values: Record<string, unknown>): Promise<CanonicalRecord> {
    const answer = await this.#write('POST', '/v1/office/work-orders', { siteId: NORTH, ...values });
    if (!answer.record) throw new Error(`work order not created: ${JSON.stringify(answer)}`);
    return answer.record;
  }

  updateWorkOrder(id: string, set: Record<string, unknown>, baseVersion?: number): Promise<OfficeWriteResponse> {
    return this.#write('PATCH', `/v1/office/work-orders/${id}`, { set, ...(baseVersion ? { baseVersion } : {}) });
  }

  deleteWorkOrder(id: string, baseVersion?: number): Promise<OfficeWriteResponse> {
    return this.#write('DELETE', `/v1/office/work-orders/${id}`, baseVersion ? { baseVersion } : {});
  }

  /** The office's canonical copy of a record, or null when it has none. */
  async record(type: string, id: string): Promise<CanonicalRecord | null> {
    const answer = await call(this.server, 'GET', `/v1/office/records/${type}/${id}`, { token: this.token });
    if (answer.status === 404) return null;
    if (answer.status !== 200) throw new Error(`record ${type} ${id}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return canonicalRecordSchema.parse(answer.body);
  }

  async #write(method: string, path: string, body: unknown): Promise<OfficeWriteResponse> {
    const answer = await call(this.server, method, path, { token: this.token, body });
    if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return officeWriteResponseSchema.parse(answer.body);
  }
}
