import type { DeviceDb } from '../../db/open.js';
import { allRecords, type StoredRecord } from '../../db/queries/records.js';
import { type RecordType, recordTypeSpec } from '../../protocol/records/index.js';
import { type StateLeaf, type StateSummary, outsideWindow, recordStateLeaf, summarizeState } from '../../protocol/state-hash.js';

export interface RecordRef {
  type: RecordType;
  id: string;
}

/** The records a device holds, as the state check and compaction see them. */
export interface LocalState {
  /** The state hash of the synced records inside the window: what the office must agree with. */
  summary: StateSummary;
  leaves: StateLeaf[];
  /** Records whose copy holds unsent work (or never reached the office): left out on both sides. */
  unsettled: RecordRef[];
  /** Synced records closed before the window: the device may evict them. */
  evictable: RecordRef[];
}

/** One pass over the records held; its cost is bounded by what eviction leaves on the device. */
export function localState(db: DeviceDb, closedBefore: number): LocalState {
  const { compared, unsettled, evictable } = partitionRecords(db, closedBefore);
  const leaves = compared.map((record) => recordStateLeaf(recordTypeSpec(record.type)!, { ...record, version: record.serverVersion! }));
  return { summary: summarizeState(leaves), leaves, unsettled, evictable };
}

/** The synced records closed before the window, without hashing anything (eviction asks at every sync). */
export function evictableRecords(db: DeviceDb, closedBefore: number): RecordRef[] {
  return partitionRecords(db, closedBefore).evictable;
}

function partitionRecords(db: DeviceDb, closedBefore: number): { compared: StoredRecord[]; unsettled: RecordRef[]; evictable: RecordRef[] } {
  const compared: StoredRecord[] = [];
  const unsettled: RecordRef[] = [];
  const evictable: RecordRef[] = [];
  for (const record of allRecords(db)) {
    const ref = { type: record.type, id: record.id };
    if (record.syncState !== 'synced' || record.serverVersion === null) unsettled.push(ref);
    else if (outsideWindow(record.type, record.fields, closedBefore)) evictable.push(ref);
    else compared.push(record);
  }
  return { compared, unsettled, evictable };
}
