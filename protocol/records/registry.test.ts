import { describe, expect, it } from 'vitest';
import { identifier } from '../journal.js';
import { type RecordTypeSpec, RECORD_TYPE_NAMES, RECORD_TYPES, recordTypeSpec } from './index.js';

const specs: [string, RecordTypeSpec][] = RECORD_TYPE_NAMES.map((type) => [type, RECORD_TYPES[type]]);
const everyField = specs.flatMap(([type, spec]) => Object.entries(spec.fields).map(([name, field]) => ({ type, name, spec: field })));

describe('record type registry', () => {
  it('knows the record types of the design brief, each under its own name', () => {
    expect([...RECORD_TYPE_NAMES].sort()).toEqual(
      ['billingLine', 'equipmentInterchange', 'gateEvent', 'inspection', 'note', 'repairCertification', 'workOrder', 'yardCount'].sort(),
    );
    for (const type of RECORD_TYPE_NAMES) {
      expect(RECORD_TYPES[type].type).toBe(type);
      expect(recordTypeSpec(type)).toBe(RECORD_TYPES[type]);
    }
  });

  it.each(['toString', '__proto__', 'constructor', 'Note', ''])('has no record type %j', (name) => {
    expect(recordTypeSpec(name)).toBeUndefined();
  });

  it.each(everyField)('$type.$name has a policy that fits its kind', ({ spec }) => {
    // Concurrent increments only add up for counters, and add-wins union only makes sense for sets.
    expect(spec.kind === 'counter').toBe(spec.policy.kind === 'counter');
    expect(spec.kind === 'set').toBe(spec.policy.kind === 'set');
    if (spec.kind === 'map') expect(spec.policy.kind).toBe('lww');
    if (spec.immutable) expect(spec.kind).toBe('scalar');
  });

  it.each(everyField)('$type.$name can be named in a journal field operation', ({ name }) => {
    expect(identifier.safeParse(name).success).toBe(true);
  });

  it.each(specs.filter(([, spec]) => spec.submittable))('%s, once submitted, is corrected by a new record that names it', (_type, spec) => {
    const status = spec.fields.status;
    expect(status?.policy).toEqual({ kind: 'owner', owner: 'field' });
    expect(status?.schema.safeParse('submitted').success).toBe(true);
    const correction = spec.correctionField ? spec.fields[spec.correctionField] : undefined;
    expect(correction?.immutable).toBe(true);
  });
});
