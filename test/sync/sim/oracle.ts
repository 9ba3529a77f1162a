import { isDeepStrictEqual } from 'node:util';
import type { FieldPolicy } from '../../../protocol/records/define.js';
import { recordTypeSpec } from '../../../protocol/records/index.js';

/**
 * A reference model of the conflict policies, written from the design brief's table ("Conflict
 * policies") and not from protocol/policies: given the writes the office accepted, in the order it
 * took them, what each record must hold. Only the per-field declaration (which policy a field has)
 * comes from the record registry.
 *
 *   lww        latest observation wins: skew-corrected device time, then server receipt, then who
 *              wrote it (the office before devices, then device, sequence, operator), then version;
 *              an edit made after seeing the value it replaces simply applies
 *   owner      the owner side's edit applies; the other side's applies only if it had seen the value
 *   review     an edit that had not seen the value and differs from it opens a review item and marks
 *              the record pending review; the value stays until a reviewer decides
 *   server     only the office sets it; a device's value is an observation
 *   counter    increments add up
 *   set        add wins: a remove takes away only the adds its author had seen
 *   tombstone  a delete wins over updates that had not seen it; the earliest delete is kept
 * "Had seen": the field changed at or before the version the edit was based on, or the change was an
 * earlier entry of the same device.
 */
export interface OracleWrite {
  origin: 'office' | 'field';
  recordType: string;
  recordId: string;
  action: string;
  ops: readonly Op[];
  /** The version the author had; undefined for a console edit made on the latest one. */
  baseVersion: number | null | undefined;
  effectiveTime: number;
  receivedAt: number;
  deviceId: string | null;
  seq: number | null;
  operatorId: string;
  /** A reviewer's decision on an open item of `field`: the proposed value taken, or (without one) the current kept. */
  decision?: Decision;
}

export interface Decision {
  field: string;
  proposed?: unknown;
}

export type Op =
  | { op: 'set'; field: string; value: unknown; key?: string }
  | { op: 'increment'; field: string; by: number }
  | { op: 'add' | 'remove'; field: string; member: string }
  | { op: 'tombstone' };

interface Stamp {
  version: number;
  effectiveTime: number;
  receivedAt: number;
  origin: 'office' | 'field';
  deviceId: string | null;
  seq: number | null;
  operatorId: string;
}

interface Cell {
  value: unknown;
  stamp: Stamp;
  /** Set fields: each member with the adds that keep it. */
  members?: Map<string, Stamp[]>;
}

export interface OracleRecord {
  type: string;
  id: string;
  version: number;
  deleted: boolean;
  pendingReview: boolean;
  fields: Record<string, unknown>;
}

interface State {
  type: string;
  id: string;
  version: number;
  deleted: boolean;
  tombstone: Stamp | null;
  pendingReview: boolean;
  openReviews: number;
  cells: Map<string, Cell>;
}

/** Later observation first-class: positive when `a` was observed after `b`. */
export function laterObservation(a: Stamp, b: Stamp): number {
  if (a.effectiveTime !== b.effectiveTime) return a.effectiveTime - b.effectiveTime;
  if (a.receivedAt !== b.receivedAt) return a.receivedAt - b.receivedAt;
  if (a.deviceId !== b.deviceId) {
    if (a.deviceId === null) return -1;
    if (b.deviceId === null) return 1;
    return a.deviceId < b.deviceId ? -1 : 1;
  }
  if (a.seq !== b.seq) return (a.seq ?? 0) - (b.seq ?? 0);
  if (a.operatorId !== b.operatorId) return a.operatorId < b.operatorId ? -1 : 1;
  return a.version - b.version;
}

function hadSeen(change: Stamp, write: Stamp, baseVersion: number | null): boolean {
  if (baseVersion !== null && change.version <= baseVersion) return true;
  if (change.version === write.version) return true;
  return change.deviceId !== null && change.deviceId === write.deviceId && change.seq !== null && write.seq !== null && change.seq < write.seq;
}

export class Oracle {
  readonly #records = new Map<string, State>();

  apply(write: OracleWrite): void {
    const key = `${write.recordType}/${write.recordId}`;
    const spec = recordTypeSpec(write.recordType);
    if (!spec) throw new Error(`oracle: no record type ${write.recordType}`);
    const state = this.#records.get(key);
    const stamp: Stamp = {
      version: (state?.version ?? 0) + 1,
      effectiveTime: write.effectiveTime,
      receivedAt: write.receivedAt,
      origin: write.origin,
      deviceId: write.deviceId,
      seq: write.seq,
      operatorId: write.operatorId,
    };
    const baseVersion = write.baseVersion === undefined ? (state?.version ?? null) : write.baseVersion;
    if (write.decision) {
      if (!state) throw new Error(`oracle: a decision on ${key}, which no write made`);
      this.#decide(state, write.decision, stamp);
      return;
    }
    if (state && (state.deleted || write.action === 'delete')) {
      this.#tombstone(state, write.action, stamp);
      return;
    }
    const next: State = state ?? { type: write.recordType, id: write.recordId, version: 0, deleted: false, tombstone: null, pendingReview: false, openReviews: 0, cells: new Map() };
    let changed = false;
    let reviews = 0;
    for (const op of impliedOps(spec.submittable, write.action, write.ops)) {
      if (op.op === 'tombstone') continue;
      const field = spec.fields[op.field];
      if (!field) throw new Error(`oracle: ${write.recordType} has no field ${op.field}`);
      const cell = next.cells.get(op.field) ?? null;
      const seen = cell === null || hadSeen(cell.stamp, stamp, baseVersion);
      const outcome = settle(field.policy, cell, op, stamp, seen, baseVersion);
      if (outcome === 'review') reviews++;
      else if (outcome) {
        next.cells.set(op.field, outcome);
        changed = true;
      }
    }
    if (!changed && reviews === 0) return;
    next.version = stamp.version;
    next.openReviews += reviews;
    next.pendingReview ||= reviews > 0;
    this.#records.set(key, next);
  }

  #tombstone(state: State, action: string, stamp: Stamp): void {
    if (action !== 'delete') {
      // An update that never saw the delete: kept for review, the record stays deleted.
      state.openReviews++;
      return;
    }
    if (!state.deleted) {
      state.deleted = true;
      state.tombstone = stamp;
      state.version = stamp.version;
      return;
    }
    if (state.tombstone && laterObservation(stamp, state.tombstone) < 0) {
      state.tombstone = stamp;
      state.version = stamp.version;
    }
  }

  #decide(state: State, decision: Decision, stamp: Stamp): void {
    const spec = recordTypeSpec(state.type)!;
    state.openReviews = Math.max(0, state.openReviews - 1);
    const pendingReview = state.openReviews > 0;
    const field = spec.fields[decision.field];
    const taken = 'proposed' in decision;
    const changed = field !== undefined && taken && !isDeepStrictEqual(visible(field.kind, state.cells.get(decision.field) ?? null), decision.proposed);
    if (changed) state.cells.set(decision.field, { value: decision.proposed, stamp });
    if (changed || pendingReview !== state.pendingReview) state.version = stamp.version;
    state.pendingReview = pendingReview;
  }

  /** Every record as devices must see it. */
  records(): OracleRecord[] {
    return [...this.#records.values()].map((state) => {
      const spec = recordTypeSpec(state.type)!;
      const fields = Object.fromEntries(Object.entries(spec.fields).map(([name, field]) => [name, visible(field.kind, state.cells.get(name) ?? null)]));
      return { type: state.type, id: state.id, version: state.version, deleted: state.deleted, pendingReview: state.pendingReview, fields };
    });
  }
}

/** Submittable records start as drafts and a submit makes them submitted. */
function impliedOps(submittable: boolean, action: string, ops: readonly Op[]): Op[] {
  if (!submittable) return [...ops];
  if (action === 'create') return [{ op: 'set', field: 'status', value: 'draft' }, ...ops];
  if (action === 'submit') return [...ops, { op: 'set', field: 'status', value: 'submitted' }];
  return [...ops];
}

/** The field's next cell, 'review' when a reviewer must decide, null when it stays as it is. */
function settle(policy: FieldPolicy, cell: Cell | null, op: Exclude<Op, { op: 'tombstone' }>, stamp: Stamp, seen: boolean, baseVersion: number | null): Cell | 'review' | null {
  switch (policy.kind) {
    case 'lww':
      return seen || laterObservation(stamp, cell!.stamp) > 0 ? { value: setValue(op), stamp } : null;
    case 'owner':
      return ownerSide(policy.owner, cell, op, stamp, seen);
    case 'server':
      return stamp.origin === 'office' ? ownerSide('office', cell, op, stamp, seen) : null;
    case 'review':
      if (seen) return { value: setValue(op), stamp };
      return isDeepStrictEqual(cell!.value, setValue(op)) ? { value: cell!.value, stamp } : 'review';
    case 'counter':
      if (op.op !== 'increment') throw new Error(`oracle: ${op.op} on counter ${op.field}`);
      return { value: ((cell?.value as number | undefined) ?? 0) + op.by, stamp };
    case 'set':
      return setMember(cell, op, stamp, baseVersion);
  }
}

function ownerSide(owner: 'office' | 'field', cell: Cell | null, op: Exclude<Op, { op: 'tombstone' }>, stamp: Stamp, seen: boolean): Cell | null {
  if (seen) return { value: setValue(op), stamp };
  if (stamp.origin !== owner) return null;
  if (cell!.stamp.origin === owner && laterObservation(stamp, cell!.stamp) < 0) return null;
  return { value: setValue(op), stamp };
}

function setMember(cell: Cell | null, op: Exclude<Op, { op: 'tombstone' }>, stamp: Stamp, baseVersion: number | null): Cell {
  if (op.op !== 'add' && op.op !== 'remove') throw new Error(`oracle: ${op.op} on set ${op.field}`);
  const members = new Map(cell?.members ?? []);
  if (op.op === 'add') {
    const adds = (members.get(op.member) ?? []).filter((add) => add.version !== stamp.version || add.deviceId !== stamp.deviceId || add.seq !== stamp.seq);
    members.set(op.member, [...adds, stamp]);
  } else {
    const fieldSeen = cell === null || hadSeen(cell.stamp, stamp, baseVersion);
    const unseen = fieldSeen ? [] : (members.get(op.member) ?? []).filter((add) => !hadSeen(add, stamp, baseVersion));
    if (unseen.length > 0) members.set(op.member, unseen);
    else members.delete(op.member);
  }
  return { value: [...members.keys()].sort(), stamp, members };
}

function setValue(op: Exclude<Op, { op: 'tombstone' }>): unknown {
  if (op.op !== 'set') throw new Error(`oracle: ${op.op} on a single-value field ${op.field}`);
  if (op.key !== undefined) throw new Error(`oracle: map fields are not simulated (${op.field})`);
  return op.value;
}

function visible(kind: string, cell: Cell | null): unknown {
  if (cell) return cell.value;
  return kind === 'counter' ? 0 : kind === 'set' ? [] : kind === 'map' ? {} : null;
}
