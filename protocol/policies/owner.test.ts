import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fieldStateAfter, ownerPolicy, type FieldState, type FieldWrite, type Origin } from './index.js';
import { T0, authorArb, device, fieldWrite, foldConcurrent, office, stateFrom } from '../../test/support/policy-writes.js';

const officeOwned = ownerPolicy('office');
const fieldOwned = ownerPolicy('field');
const assignee = (value: string | null, overrides: Partial<Omit<FieldWrite, 'op'>> = {}) =>
  fieldWrite({ op: 'set', field: 'assignee', value }, overrides);
const completionNote = (value: string, overrides: Partial<Omit<FieldWrite, 'op'>> = {}) =>
  fieldWrite({ op: 'set', field: 'completionNote', value }, overrides);

describe('owner: office-owned fields (assignee, due date)', () => {
  const dispatched = stateFrom(officeOwned, assignee('op-ines', { author: office(), version: 1 }));

  it('applies the office write whether or not it was concurrent', () => {
    const reassign = assignee('op-gus', { author: office('op-rita'), baseVersion: 1, version: 2 });
    expect(officeOwned(dispatched, reassign, false)).toEqual({ outcome: 'applied', value: 'op-gus' });
    expect(officeOwned(null, reassign, true)).toEqual({ outcome: 'applied', value: 'op-gus' });
  });

  it('applies a device edit made on the current version', () => {
    const handOver = assignee('op-gus', { author: device('cab-1', 4), baseVersion: 1, version: 2 });
    expect(officeOwned(dispatched, handOver, false)).toEqual({ outcome: 'applied', value: 'op-gus' });
  });

  it('rejects a concurrent device edit with a reason naming the office, and keeps the office value', () => {
    const stale = assignee('op-gus', { author: device('cab-1', 4), effectiveTime: T0 + 999_999, version: 2 });
    const resolution = officeOwned(dispatched, stale, true);
    expect(resolution.outcome).toBe('rejected');
    expect(resolution.outcome === 'rejected' && resolution.reason).toMatch(/^assignee belongs to the office: operator op-dana in the office at \S+ changed it after/);
    expect(fieldStateAfter(dispatched, stale, resolution)).toBe(dispatched);
  });

  it('lets a concurrent office write replace a value a device had set, reporting what it replaced', () => {
    const deviceSet = stateFrom(officeOwned, assignee('op-gus', { author: device('cab-1', 4), version: 2 }));
    const officeEdit = assignee('op-ines', { author: office(), effectiveTime: T0 - 60_000, baseVersion: 1, version: 3 });
    expect(officeOwned(deviceSet, officeEdit, true)).toMatchObject({
      outcome: 'merged',
      value: 'op-ines',
      superseded: 'op-gus',
      reason: expect.stringContaining('assignee belongs to the office'),
    });
  });

  it('settles two concurrent office writes by latest observation, whichever arrives first', () => {
    const early = assignee('op-ines', { author: office('op-dana'), effectiveTime: T0, version: 1 });
    const late = assignee('op-gus', { author: office('op-rita'), effectiveTime: T0 + 1, version: 2 });
    expect(foldConcurrent(officeOwned, [early, late])?.value).toBe('op-gus');
    expect(foldConcurrent(officeOwned, [late, early])?.value).toBe('op-gus');
  });
});

describe('owner: field-owned fields (completion note, submitted status)', () => {
  const completed = stateFrom(fieldOwned, completionNote('replaced left marker lamp', { author: device('cab-1', 9), version: 1 }));

  it('applies the device write and rejects a concurrent office edit, naming the field devices', () => {
    const officeEdit = completionNote('lamp ok', { author: office(), version: 2 });
    expect(fieldOwned(completed, completionNote('also checked wiring', { author: device('cab-1', 10), version: 2 }), false)).toMatchObject({
      outcome: 'applied',
    });
    expect(fieldOwned(completed, officeEdit, true)).toMatchObject({
      outcome: 'rejected',
      reason: expect.stringMatching(/^completionNote belongs to the field devices/),
    });
    expect(fieldOwned(completed, officeEdit, false)).toEqual({ outcome: 'applied', value: 'lamp ok' });
  });

  it('reports the loser when two devices complete the same work order concurrently', () => {
    const other = completionNote('lamp replaced, lens cracked', { author: device('cab-2', 3), effectiveTime: T0 + 5, version: 2 });
    expect(fieldOwned(completed, other, true)).toMatchObject({ outcome: 'merged', superseded: 'replaced left marker lamp' });
    const olderOther = { ...other, effectiveTime: T0 - 5 };
    expect(fieldOwned(completed, olderOther, true).outcome).toBe('superseded');
  });
});

describe('owner properties', () => {
  const stateArb = (owner: Origin): fc.Arbitrary<FieldState> =>
    fc.record({
      value: fc.oneof(fc.string(), fc.constant(null)),
      version: fc.integer({ min: 1, max: 10 }),
      effectiveTime: fc.integer({ min: 0, max: 5 }),
      receivedAt: fc.integer({ min: 0, max: 5 }),
      origin: fc.constantFrom<Origin>(owner, owner === 'office' ? 'field' : 'office'),
      author: authorArb,
    });
  const writeArb = (origin: Origin) =>
    fc.record({ value: fc.string(), effectiveTime: fc.integer({ min: 0, max: 5 }), version: fc.integer({ min: 11, max: 20 }) }).map(
      ({ value, effectiveTime, version }) =>
        assignee(value, { author: origin === 'office' ? office() : device('cab-3', 1), origin, effectiveTime: T0 + effectiveTime, version }),
    );

  it.each<Origin>(['office', 'field'])('never lets a concurrent write from the side that does not own a %s-owned field through', (owner) => {
    const policy = ownerPolicy(owner);
    const other: Origin = owner === 'office' ? 'field' : 'office';
    fc.assert(
      fc.property(stateArb(owner), writeArb(other), (current, write) => {
        const resolution = policy(current, write, true);
        expect(resolution.outcome).toBe('rejected');
        expect(fieldStateAfter(current, write, resolution)).toBe(current);
      }),
      { numRuns: 200 },
    );
  });

  it.each<Origin>(['office', 'field'])('never rejects the owner side of a %s-owned field', (owner) => {
    const policy = ownerPolicy(owner);
    fc.assert(
      fc.property(stateArb(owner), writeArb(owner), fc.boolean(), (current, write, concurrent) => {
        const resolution = policy(current, write, concurrent);
        expect(resolution.outcome).not.toBe('rejected');
        if (current.origin !== owner || !concurrent) expect(resolution).toMatchObject({ value: write.op.op === 'set' && write.op.value });
      }),
      { numRuns: 200 },
    );
  });
});
