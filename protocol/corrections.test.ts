import { describe, expect, it } from 'vitest';
import { correctedRecordId, correctionProblem } from './corrections.js';
import { RECORD_TYPES } from './records/index.js';

/** The one correction rule the device's write path and the office's push both apply. */
describe('corrections', () => {
  const gate = RECORD_TYPES.gateEvent;
  const submitted = { fields: { status: 'submitted', truckPlate: 'TX 4411' }, deleted: false };

  it('reads the original a new record names in its correction field, and nothing from other actions or types', () => {
    const naming = [{ op: 'set' as const, field: 'correctsId', value: 'gate-1' }];
    expect(correctedRecordId(gate, 'create', naming)).toBe('gate-1');
    expect(correctedRecordId(gate, 'update', naming)).toBeNull();
    expect(correctedRecordId(gate, 'create', [{ op: 'set', field: 'correctsId', value: null }])).toBeNull();
    expect(correctedRecordId(RECORD_TYPES.note, 'create', naming)).toBeNull();
    expect(correctedRecordId(undefined, 'create', naming)).toBeNull();
  });

  it('takes a submitted original only: a missing, draft or deleted one is refused with the same words on both sides', () => {
    expect(correctionProblem(gate, 'gate-1', submitted)).toBeNull();
    expect(correctionProblem(gate, 'gate-1', null)).toBe('the gate event being corrected (gate-1) does not exist');
    expect(correctionProblem(gate, 'gate-1', { fields: { status: 'draft' }, deleted: false })).toBe('only a submitted gate event can be corrected; edit the draft instead');
    // Before this rule was shared, the device took a deleted original and the office refused it.
    expect(correctionProblem(gate, 'gate-1', { ...submitted, deleted: true })).toBe('only a submitted gate event can be corrected; edit the draft instead');
  });
});
