import { z } from 'zod';

/** Schema versions. */
/** The wire and record schema this build speaks. Bump it when a record field or a shape changes. */
export const CURRENT_SCHEMA_VERSION = 1;
/** The oldest client schema the server still accepts (older ones get `update-required`). */
export const MINIMUM_SCHEMA_VERSION = 1;
export const SCHEMA_VERSION_HEADER = 'waypost-schema-version';

/**
 * Record fields added after schema version 1, by the version that introduced them. A client
 * older than a field's version cannot know it: the server refuses its operations on that field
 * (`field-unknown-to-client`) and leaves the field out of what it sends that client.
 */
export const FIELDS_ADDED_IN_VERSION: Readonly<Record<number, readonly { recordType: string; field: string }[]>> = {};
export type FieldHistory = typeof FIELDS_ADDED_IN_VERSION;

/** Whether a client speaking `clientVersion` knows `recordType.field`. */
export function clientKnowsField(
  clientVersion: number,
  recordType: string,
  field: string,
  history: Readonly<Record<number, readonly { recordType: string; field: string }[]>> = FIELDS_ADDED_IN_VERSION,
): boolean {
  for (const [version, added] of Object.entries(history)) {
    if (Number(version) > clientVersion && added.some((f) => f.recordType === recordType && f.field === field)) return false;
  }
  return true;
}

/** Version 0 is what a client that predates versioning would send: always below the window. */
export const schemaVersionSchema = z.number().int().nonnegative().max(1_000_000);
