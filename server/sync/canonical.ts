import { clientKnowsField, type CanonicalRecord, type FieldHistory } from '../../protocol/wire.js';

/** A record as a client of `clientVersion` receives it: without fields its schema does not have. */
export function canonicalFor(
  record: Pick<CanonicalRecord, 'type' | 'id' | 'version' | 'fields' | 'deleted' | 'pendingReview'>,
  clientVersion: number,
  fieldsAddedIn?: FieldHistory,
): CanonicalRecord {
  const fields = Object.fromEntries(Object.entries(record.fields).filter(([name]) => clientKnowsField(clientVersion, record.type, name, fieldsAddedIn)));
  return { type: record.type, id: record.id, version: record.version, fields, deleted: record.deleted, pendingReview: record.pendingReview };
}
