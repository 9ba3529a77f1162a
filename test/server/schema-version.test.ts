import { describe, expect, it } from 'vitest';
import { CURRENT_SCHEMA_VERSION, MINIMUM_SCHEMA_VERSION, clientKnowsField } from '../../protocol/wire.js';
import { checkSchemaVersion } from '../../server/app.js';
import { ApiFailure } from '../../server/errors.js';

describe('schema versions', () => {
  it('a field added in a later schema is unknown to older clients only', () => {
    const history = { 3: [{ recordType: 'workOrder', field: 'trailerTemp' }] };
    expect(clientKnowsField(2, 'workOrder', 'trailerTemp', history)).toBe(false);
    expect(clientKnowsField(3, 'workOrder', 'trailerTemp', history)).toBe(true);
    expect(clientKnowsField(2, 'inspection', 'trailerTemp', history)).toBe(true);
    expect(clientKnowsField(2, 'workOrder', 'title', history)).toBe(true);
  });

  it('answers update-required below the window, unsupported above it, and accepts the window', () => {
    const failure = (version: unknown) => {
      try {
        checkSchemaVersion(version);
      } catch (error) {
        return error as ApiFailure;
      }
      return null;
    };
    expect(failure(MINIMUM_SCHEMA_VERSION - 1)).toMatchObject({ status: 426, code: 'update-required', extra: { minimumVersion: MINIMUM_SCHEMA_VERSION } });
    expect(failure(CURRENT_SCHEMA_VERSION + 1)).toMatchObject({ status: 400, code: 'schema-version-unsupported' });
    expect(failure('1')).toMatchObject({ status: 400, code: 'invalid-request' });
    expect(failure(undefined)).toBeInstanceOf(ApiFailure);
    expect(checkSchemaVersion(CURRENT_SCHEMA_VERSION)).toBe(CURRENT_SCHEMA_VERSION);
  });
});
