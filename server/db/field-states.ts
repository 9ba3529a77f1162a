import { customType } from 'drizzle-orm/pg-core';
import type { ChangeStamp, FieldState, Origin } from '../../protocol/policies/index.js';

/**
 * How a record's field states are stored. Every field of a record written by the same write
 * carries the same change stamp (version, times, origin, author); stored per field, those stamps
 * were most of a record row, written again on every version. Here each distinct stamp is stored
 * once and fields name theirs by position. Values (with the stamps sets and maps keep inside
 * them) are stored as they are. Pure: the column type below applies it on every read and write.
 */
export interface StoredFieldStates {
  stamps: StoredStamp[];
  /** Field name → [position in `stamps`, value]. */
  fields: Record<string, [number, unknown]>;
}

/** [version, effectiveTime, receivedAt, origin, operatorId, deviceId, seq] */
type StoredStamp = [number, number, number, Origin, string, string | null, number | null];

export function encodeFieldStates(states: Record<string, FieldState>): StoredFieldStates {
  const stamps: StoredStamp[] = [];
  const positions = new Map<string, number>();
  const fields: [string, [number, unknown]][] = [];
  for (const [name, state] of Object.entries(states)) {
    const id = stampId(state);
    let position = positions.get(id);
    if (position === undefined) {
      position = stamps.push(storedStamp(state)) - 1;
      positions.set(id, position);
    }
    fields.push([name, [position, state.value]]);
  }
  return { stamps, fields: Object.fromEntries(fields) };
}

/** Also reads field states stored before this encoding: an object of whole states per field. */
export function decodeFieldStates(stored: StoredFieldStates | Record<string, FieldState>): Record<string, FieldState> {
  if (!isEncoded(stored)) return stored;
  const stamps = stored.stamps.map(changeStampOf);
  return Object.fromEntries(
    Object.entries(stored.fields).map(([name, [position, value]]) => {
      const stamp = stamps[position];
      if (!stamp) throw new Error(`stored field state ${name} names stamp ${position}, which is missing`);
      return [name, { ...stamp, author: { ...stamp.author }, value }];
    }),
  );
}

function isEncoded(stored: StoredFieldStates | Record<string, FieldState>): stored is StoredFieldStates {
  return Array.isArray((stored as Partial<StoredFieldStates>).stamps);
}

/** Equal exactly when the stamps are: JSON of each part, so no text inside one can imitate a separator. */
function stampId({ version, effectiveTime, receivedAt, origin, author }: ChangeStamp): string {
  return `${version},${effectiveTime},${receivedAt},${JSON.stringify(origin)},${JSON.stringify(author.operatorId)},${JSON.stringify(author.deviceId)},${author.seq}`;
}

function storedStamp({ version, effectiveTime, receivedAt, origin, author }: ChangeStamp): StoredStamp {
  return [version, effectiveTime, receivedAt, origin, author.operatorId, author.deviceId, author.seq];
}

function changeStampOf([version, effectiveTime, receivedAt, origin, operatorId, deviceId, seq]: StoredStamp): ChangeStamp {
  return { version, effectiveTime, receivedAt, origin, author: { operatorId, deviceId, seq } };
}

/**
 * A jsonb column holding field states in the stored encoding. The driver value is the encoded
 * object (node-postgres and PGlite send objects to jsonb as JSON); the bulk insert path embeds it
 * in its JSON parameter as is.
 */
export const fieldStatesColumn = customType<{ data: Record<string, FieldState>; driverData: StoredFieldStates | string }>({
  dataType: () => 'jsonb',
  toDriver: (states) => encodeFieldStates(states),
  fromDriver: (stored) => decodeFieldStates(typeof stored === 'string' ? (JSON.parse(stored) as StoredFieldStates) : stored),
});
