import { describe, expect, it } from 'vitest';
import { applyFieldsDelta, deltaWeight, diffFields, fieldsWeight, jsonEqual } from './record-delta.js';

const base = {
  status: 'draft',
  odometer: 183_100,
  items: { horn: { result: 'pass' }, tires: { result: 'pass', note: 'Tread 9/32 in' } },
  defects: [],
  remarks: 'Cab clean',
};

describe('record deltas', () => {
  it('carry only what changed, object fields by key, and rebuild the later version exactly', () => {
    const next = {
      status: 'submitted',
      odometer: 183_100,
      items: { horn: { result: 'pass' }, tires: { note: 'Tread 9/32 in', result: 'fail' }, wipers: { result: 'pass' } },
      defects: ['tires'],
      signature: 'ab'.repeat(32),
    };
    const delta = diffFields(base, next);
    expect(delta).toEqual({
      set: { status: 'submitted', defects: ['tires'], signature: 'ab'.repeat(32) },
      unset: ['remarks'],
      entries: { items: { set: { tires: { note: 'Tread 9/32 in', result: 'fail' }, wipers: { result: 'pass' } }, unset: [] } },
    });
    expect(applyFieldsDelta(base, delta)).toEqual(next);
    expect(deltaWeight(delta)).toBe(6);
    expect(fieldsWeight(next)).toBe(7);
    // Applying leaves the base as it was.
    expect(base.items).toEqual({ horn: { result: 'pass' }, tires: { result: 'pass', note: 'Tread 9/32 in' } });
  });

  it('remove map keys, replace a field that stops being a map, and say nothing when nothing changed', () => {
    const next = { ...base, items: { horn: { result: 'pass' } }, remarks: { text: 'now an object' } };
    const delta = diffFields(base, next);
    expect(delta).toEqual({ set: { remarks: { text: 'now an object' } }, unset: [], entries: { items: { set: {}, unset: ['tires'] } } });
    expect(applyFieldsDelta(base, delta)).toEqual(next);
    expect(deltaWeight(diffFields(base, structuredClone(base)))).toBe(0);
  });

  it('compare JSON values regardless of key order, and arrays in order', () => {
    expect(jsonEqual({ a: 1, b: [1, { c: null }] }, { b: [1, { c: null }], a: 1 })).toBe(true);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(jsonEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(jsonEqual(null, {})).toBe(false);
  });

  it('treat a key named __proto__ as data: what is tried is a delta that would change the prototype of the fields it builds', () => {
    const hostile = JSON.parse('{"set":{"__proto__":{"polluted":true}},"unset":[],"entries":{"items":{"set":{"__proto__":{"polluted":true}},"unset":[]}}}');
    const fields = applyFieldsDelta(base, hostile);
    expect(Object.getPrototypeOf(fields)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(fields.items)).toBe(Object.prototype);
    expect(Object.hasOwn(fields, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
