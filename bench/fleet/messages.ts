import type { DeviceKind } from '../../protocol/wire.js';

/**
 * What the benchmark process and its device worker processes say to each other over the fork IPC
 * channel. Every request carries an id and is answered once, with a value or an error.
 */

export interface DeviceSpec {
  /** A name for reports ("kiosk-1", "cab-07"); also shapes the device's seeded randomness. */
  name: string;
  /** Directory of the device's database and attachments. */
  dir: string;
  /** The office as this device reaches it: its own byte-counting proxy. */
  officeUrl: string;
  enrollmentToken: string;
  kind: DeviceKind;
  operator: { badgeId: string; pin: string };
}

/** The offline backlog one device builds before it reconnects. */
export interface BacklogPlan {
  /** Inspection actions, exactly (the last inspection stops part-way when the count says so). */
  inspectionActions: number;
  /** Edits of shared work orders, spread evenly between the inspections. */
  workOrderEdits: { recordId: string; field: 'statusNote' | 'location'; value: string }[];
}

export interface BuildReport {
  name: string;
  deviceId: string;
  actions: number;
  inspections: number;
  /** Journal entries waiting to be sent (actions plus session entries: sign-in, rotations). */
  pending: number;
  attachments: number;
  buildMs: number;
}

/** One moment in a device's sync, seen right after something changed what it holds. */
export interface Observation {
  /** Epoch ms (performance.timeOrigin + performance.now(): comparable between processes). */
  at: number;
  pending: number;
  failed: number;
  /** The change-feed id the device has pulled up to. */
  cursorId: number;
  /** The shared work orders' values as this device holds them; null while entries are pending. */
  digest: string | null;
  /** Attachments not yet confirmed by the office; null while entries are pending. */
  unstored: number | null;
}

export interface DeviceStatusReport {
  name: string;
  running: boolean;
  pending: number;
  failed: number;
  cursorId: number;
  /** As in `Observation`: null while entries are pending. */
  digest: string | null;
  unstored: number | null;
  lastError: string | null;
}

export interface DeviceRunReport {
  name: string;
  deviceId: string;
  observations: Observation[];
  /** Requests by "METHOD path status", the live stream's events by name. */
  requests: Record<string, number>;
  streamEvents: Record<string, number>;
  /** Errors the daemon reported, by code. */
  errors: Record<string, number>;
  failedEntries: number;
  conflicts: number;
}

export interface WorkerRunReport {
  devices: DeviceRunReport[];
  pid: number;
  /** CPU of the worker process from the reconnect to the stop, ms. */
  cpuMs: number;
  /** Peak resident memory over the worker's life (VmHWM) and the largest RSS seen while syncing, bytes. */
  peakRssBytes: number;
  peakRssDuringRunBytes: number;
}

/** The plain-HTTP baseline of one device: `requests` requests one after another, with these body sizes. */
export interface ReplayTarget {
  url: string;
  requests: number;
  upBodyBytes: number;
  downBodyBytes: number;
}

export type WorkerRequest =
  | { type: 'setup'; devices: DeviceSpec[]; sharedWorkOrders: string[] }
  | { type: 'build'; plans: BacklogPlan[] }
  | { type: 'export'; dir: string }
  | { type: 'go' }
  | { type: 'status' }
  | { type: 'stop' }
  | { type: 'replay'; targets: ReplayTarget[] };

/** A device's journal as written for the verification baseline. */
export interface ExportedJournal {
  deviceId: string;
  devicePublicKey: string;
  entries: unknown[];
}
