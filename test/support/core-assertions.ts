import { expect } from 'vitest';
import { allRecords } from '../../db/queries/records.js';
import type { DeviceCore } from '../../main/core/device-core.js';
import { CoreError, type CoreErrorCode } from '../../main/core/errors.js';

/** Everything an action could leave behind: journal size and head, outbox, every record row. */
export function storeFootprint(core: DeviceCore) {
  const { journal, outbox } = core.status();
  return { journal, outbox, records: allRecords(core.database.db) };
}

/** Runs `attempt`, expects it to fail with a CoreError of `code` whose message matches, returns it. */
export function expectCoreError(attempt: () => unknown, code: CoreErrorCode, message: RegExp): CoreError {
  let thrown: unknown = null;
  try {
    attempt();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(CoreError);
  const error = thrown as CoreError;
  expect({ code: error.code, message: error.message }).toEqual({ code, message: expect.stringMatching(message) });
  return error;
}

/** Expects `attempt` to be refused with `code` and to leave the journal, outbox and records exactly as they were. */
export function expectRefusedWithoutWriting(core: DeviceCore, attempt: () => unknown, code: CoreErrorCode, message: RegExp): CoreError {
  const before = storeFootprint(core);
  const error = expectCoreError(attempt, code, message);
  expect(storeFootprint(core)).toEqual(before);
  return error;
}
