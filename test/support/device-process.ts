import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DeviceKind } from '../../protocol/wire.js';
import { bundleChild } from './bundle.js';
import { RpcChild } from './child-rpc.js';

/**
 * A device core in a process of its own (device-process-child.ts), for tests that SIGKILL devices
 * and start them again from their files. The child is bundled once and started with plain node.
 */
export interface DeviceChildConfig {
  name: string;
  /** The device's directory: database, attachments, key file. */
  dir: string;
  officeUrl: string;
  migrationsFolder: string;
  kind: DeviceKind;
  operator: { badgeId: string; pin: string };
  /** How many times this device was started before: seeds this life's randomness. */
  life: number;
  /** Needed by the first life only, which enrolls. */
  enrollmentToken?: string;
  /** The daemon's interval between syncs. */
  intervalMs: number;
}

/** A user action as the screens send it; the device validates it as it would the renderer's. */
export interface ActionRequest {
  recordType: string;
  recordId?: string;
  action: string;
  ops: readonly unknown[];
}

export type DeviceChildRequest =
  | { type: 'open' }
  | { type: 'perform'; input: ActionRequest; signatureSeed?: string }
  | { type: 'sync' }
  | { type: 'signOut' }
  | { type: 'recordEntriesAfter'; seq: number };

export interface PerformedAction {
  seq: number;
  recordId: string;
}

export interface DeviceSyncSummary {
  pending: number;
  failed: number;
  /** Attachments the office has not confirmed. */
  unstored: number;
  lastError: string | null;
}

/** A record entry of the device's journal, as a parent learns what committed before a kill. */
export interface RecordEntryMark {
  seq: number;
  recordType: string;
  recordId: string;
}

/** Hang guards only, far above what each request takes on a loaded 2-core machine. */
const OPEN_GUARD_MS = 120_000;
const ACTION_GUARD_MS = 60_000;
const SYNC_GUARD_MS = 300_000;

const CHILD_ENTRY = fileURLToPath(new URL('./device-process-child.ts', import.meta.url));

/** Bundles the child into `dir`; returns the script to start devices with. */
export async function bundleDeviceChild(dir: string): Promise<string> {
  const script = join(dir, 'device-process-child.mjs');
  await bundleChild(CHILD_ENTRY, script);
  return script;
}

export class DeviceProcess {
  readonly #rpc: RpcChild<DeviceChildRequest>;

  private constructor(
    rpc: RpcChild<DeviceChildRequest>,
    readonly deviceId: string,
    /** The journal's last sequence number when this life began. */
    readonly lastSeqAtStart: number,
  ) {
    this.#rpc = rpc;
  }

  /** Starts the device (enrolling it on its first life), signs its operator in and starts its sync. */
  static async start(script: string, config: DeviceChildConfig): Promise<DeviceProcess> {
    const rpc = new RpcChild<DeviceChildRequest>(script, { args: [JSON.stringify(config)], label: config.name });
    try {
      const { deviceId, lastSeq } = await rpc.call<{ deviceId: string; lastSeq: number }>({ type: 'open' }, OPEN_GUARD_MS);
      return new DeviceProcess(rpc, deviceId, lastSeq);
    } catch (error) {
      await rpc.kill();
      throw error;
    }
  }

  get pid(): number {
    return this.#rpc.pid;
  }

  /** Resolves once the action's transaction has committed on the device. */
  perform(input: ActionRequest, signatureSeed?: string): Promise<PerformedAction> {
    return this.#rpc.call({ type: 'perform', input, ...(signatureSeed === undefined ? {} : { signatureSeed }) }, ACTION_GUARD_MS);
  }

  sync(): Promise<DeviceSyncSummary> {
    return this.#rpc.call({ type: 'sync' }, SYNC_GUARD_MS);
  }

  signOut(): Promise<void> {
    return this.#rpc.call({ type: 'signOut' }, ACTION_GUARD_MS);
  }

  recordEntriesAfter(seq: number): Promise<RecordEntryMark[]> {
    return this.#rpc.call({ type: 'recordEntriesAfter', seq }, ACTION_GUARD_MS);
  }

  kill(): Promise<void> {
    return this.#rpc.kill();
  }

  /** Sync stops, the database closes, the process exits. */
  end(): Promise<void> {
    return this.#rpc.end();
  }
}
