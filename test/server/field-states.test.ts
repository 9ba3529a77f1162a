import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FieldState } from '../../protocol/policies/index.js';
import { decodeFieldStates, encodeFieldStates } from '../../server/db/field-states.js';

const device = { operatorId: 'op-gus', deviceId: 'cab-1', seq: 7 };
const office = { operatorId: 'usr-dora', deviceId: null, seq: null };

describe('stored field states', () => {
  it('store a stamp shared by the fields of one write once, and read back every field with its own stamp and value', () => {
    const created = { version: 1, effectiveTime: 1_000, receivedAt: 1_500, origin: 'field' as const, author: device };
    const edited = { version: 2, effectiveTime: 2_000, receivedAt: 2_500, origin: 'office' as const, author: office };
    const states: Record<string, FieldState> = {
      truckPlate: { ...created, value: 'TX-1' },
      carrier: { ...created, value: 'Prairie Freight' },
      sealNumbers: { ...edited, value: { members: [{ member: 'SEAL-1', adds: [{ version: 2, author: office }] }] } },
      driverName: { ...edited, value: null },
    };
    const stored = encodeFieldStates(states);
    expect(stored.stamps).toHaveLength(2);
    // Through JSON, as the database keeps it.
    expect(decodeFieldStates(JSON.parse(JSON.stringify(stored)))).toEqual(states);
  });

  it('read field names that are object keys of JavaScript itself as plain fields', () => {
    const stamp = { version: 1, effectiveTime: 1, receivedAt: 1, origin: 'field' as const, author: device };
    const stored = JSON.stringify(encodeFieldStates(JSON.parse('{"__proto__":{"version":1,"effectiveTime":1,"receivedAt":1,"origin":"field","author":{"operatorId":"op-gus","deviceId":"cab-1","seq":7},"value":"x"}}')));
    const decoded = decodeFieldStates(JSON.parse(stored));
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(Object.entries(decoded)).toEqual([['__proto__', { ...stamp, value: 'x' }]]);
  });

  it('read states stored before the encoding (whole state per field) unchanged', () => {
    const legacy: Record<string, FieldState> = { title: { version: 3, effectiveTime: 5, receivedAt: 6, origin: 'office', author: office, value: 'Reefer check' } };
    expect(decodeFieldStates(JSON.parse(JSON.stringify(legacy)))).toEqual(legacy);
  });

  it('refuse a stored state that names a stamp it does not hold, rather than invent one', () => {
    expect(() => decodeFieldStates({ stamps: [], fields: { title: [0, 'x'] } })).toThrow(/stamp 0/);
  });

  it('read back any field states exactly as written', () => {
    const author = fc.record({ operatorId: fc.string(), deviceId: fc.option(fc.string()), seq: fc.option(fc.nat()) });
    const state = fc.record({
      version: fc.integer({ min: 1, max: 4 }),
      effectiveTime: fc.integer({ min: 0, max: 3 }),
      receivedAt: fc.integer({ min: 0, max: 3 }),
      origin: fc.constantFrom('field' as const, 'office' as const),
      author: fc.oneof(fc.constant(device), author),
      value: fc.jsonValue(),
    });
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1 }), state), (states) => {
        expect(decodeFieldStates(JSON.parse(JSON.stringify(encodeFieldStates(states))))).toEqual(JSON.parse(JSON.stringify(states)));
      }),
      { numRuns: 300 },
    );
  });
});
