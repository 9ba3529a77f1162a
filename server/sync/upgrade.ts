import { CURRENT_SCHEMA_VERSION } from '../../protocol/wire.js';

/**
 * Older clients' request shapes, brought up to the current one before the current wire schema
 * parses them. An entry at version v turns a v-shaped body into the v+1 shape; a request is taken
 * through every step from its client's version. What the client's version cannot know (fields
 * added later) is refused separately (protocol/wire.ts clientKnowsField), because no upgrade can
 * invent what an old client meant.
 *
 * Version 1 is the first versioned shape, so the table is empty today; the first shape change adds
 * its step here and bumps CURRENT_SCHEMA_VERSION (and MINIMUM_SCHEMA_VERSION when a step is dropped).
 */
export type UpgradedRequest = 'enroll' | 'push' | 'pull' | 'attachment' | 'attachment-batch';
export type RequestBody = Record<string, unknown>;
export type RequestUpgrader = (body: RequestBody) => RequestBody;
export type UpgraderTable = Readonly<Record<number, Partial<Record<UpgradedRequest, RequestUpgrader>>>>;

export const REQUEST_UPGRADERS: UpgraderTable = {};

export function upgradeRequest(
  kind: UpgradedRequest,
  body: unknown,
  clientVersion: number,
  upgraders: UpgraderTable = REQUEST_UPGRADERS,
  currentVersion: number = CURRENT_SCHEMA_VERSION,
): unknown {
  // Anything but a plain object is left for the wire schema to refuse with its own message.
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  let shaped = body as RequestBody;
  for (let version = clientVersion; version < currentVersion; version++) {
    const step = upgraders[version]?.[kind];
    if (step) shaped = step(shaped);
  }
  return shaped;
}
