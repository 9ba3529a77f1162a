import type { z } from 'zod';
import { CURRENT_SCHEMA_VERSION, MINIMUM_SCHEMA_VERSION, SCHEMA_VERSION_HEADER, type UpdateRequired } from '../protocol/wire.js';
import { ApiFailure } from './errors.js';

/** How route handlers read a request: wire schemas and the client's schema version. */

/** Parses a request part with a wire schema; a mismatch is a 400 naming each problem. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what = 'request body'): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.slice(0, 20).map((issue) => ({ path: issue.path.join('.') || '(root)', message: issue.message }));
  const first = issues[0]!;
  throw new ApiFailure(400, 'invalid-request', `invalid ${what}: ${first.path}: ${first.message}`, { issues });
}

/** The client schema versions this server accepts (tests check the rule with other windows). */
export interface SchemaWindow {
  minimum: number;
  current: number;
}

export const SCHEMA_WINDOW: SchemaWindow = { minimum: MINIMUM_SCHEMA_VERSION, current: CURRENT_SCHEMA_VERSION };

/**
 * Checks the client's schema version before its body is parsed, so a client too old to be
 * understood is told to update rather than that its request is malformed.
 */
export function checkSchemaVersion(version: unknown, window: SchemaWindow = SCHEMA_WINDOW): number {
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0) {
    throw new ApiFailure(400, 'invalid-request', `the client schema version (schemaVersion in the body, or the ${SCHEMA_VERSION_HEADER} header) is required`);
  }
  const { minimum, current } = window;
  if (version < minimum) {
    const body: Omit<UpdateRequired, 'code' | 'message'> = { minimumVersion: minimum, currentVersion: current };
    throw new ApiFailure(426, 'update-required', `this app (schema ${version}) is too old to sync; update to schema ${minimum} or later`, body);
  }
  if (version > current) {
    throw new ApiFailure(400, 'schema-version-unsupported', `this server speaks schema ${minimum}..${current}, not ${version}`, {
      minimumVersion: minimum,
      currentVersion: current,
    });
  }
  return version;
}

export function schemaVersionOfBody(body: unknown): number {
  const version = typeof body === 'object' && body !== null ? (body as { schemaVersion?: unknown }).schemaVersion : undefined;
  return checkSchemaVersion(version);
}
