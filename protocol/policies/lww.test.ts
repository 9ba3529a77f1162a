import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  PolicyInputError,
  compareObservations,
  fieldStateAfter,
  lwwMapPolicy,
  lwwPolicy,
  mapContents,
  type ChangeStamp,
  type FieldWrite,
} from './index.js';
import { T0, authorArb, concurrentWrites, device, fieldWrite, foldConcurrent, office, permutations, stateFrom } from '../../test/support/policy-writes.js';

const note = (value: string, overrides: Partial<Omit<FieldWrite, 'op'>> = {}) =>
  fieldWrite({ op: 'set', field: 'statusNote', value }, overrides);
const item = (key: string, result: 'pass' | 'fail' | 'na', overrides: Partial<Omit<FieldWrite, 'op'>> = {}) =>
  fieldWrite({ op: 'set', field: 'items', key, value: { result } }, overrides);

describe('lww: latest observation wins', () => {
  const officeNote = note('wait at gate 4', { author: office(), effectiveTime: T0 + 60_000, receivedAt: T0 + 60_000, version: 1 });

  it('applies the first write to a field that was never set', () => {
    expect(lwwPolicy(null, officeNote, false)).toEqual({ outcome: 'applied', value: 'wait at gate 4' });
  });

  it('applies an edit made after seeing the current value, even though its clock reads earlier', () => {
    const current = stateFrom(lwwPolicy, officeNote);
    const edit = note('left the yard', { author: device('cab-1', 5), effectiveTime: T0, baseVersion: 1, version: 2 });
    expect(lwwPolicy(current, edit, false)).toEqual({ outcome: 'applied', value: 'left the yard' });
  });

  it('lets the later of two concurrent writes win and reports the value and author it replaced', () => {
    const current = stateFrom(lwwPolicy, officeNote);
    const later = note('left the yard', { author: device('cab-1', 5), effectiveTime: T0 + 90_000, version: 2 });
    const resolution = lwwPolicy(current, later, true);
    expect(resolution).toMatchObject({ outcome: 'merged', value: 'left the yard', superseded: 'wait at gate 4' });
    expect(resolution.outcome === 'merged' && resolution.reason).toContain('operator op-dana in the office');
    expect(fieldStateAfter(current, later, resolution)).toMatchObject({ value: 'left the yard', version: 2, origin: 'field' });
  });

  it('keeps the current value when a concurrent write is older, and says the write was superseded', () => {
    const current = stateFrom(lwwPolicy, officeNote);
    const older = note('at the fuel island', { author: device('cab-1', 5), effectiveTime: T0 + 30_000, receivedAt: T0 + 120_000, version: 2 });
    const resolution = lwwPolicy(current, older, true);
    expect(resolution.outcome).toBe('superseded');
    expect(resolution.outcome === 'superseded' && resolution.reason).toMatch(/statusNote: a later concurrent change by operator op-dana/);
    expect(fieldStateAfter(current, older, resolution)).toBe(current);
  });

  it('breaks a tie on device time by server receipt, office or field alike', () => {
    const fromCab = note('cab', { author: device('cab-1', 3), receivedAt: T0 + 5, version: 1 });
    const fromOffice = note('office', { author: office(), receivedAt: T0 + 9, version: 2 });
    expect(foldConcurrent(lwwPolicy, [fromCab, fromOffice])?.value).toBe('office');
    expect(foldConcurrent(lwwPolicy, [fromOffice, fromCab])?.value).toBe('office');
  });

  it('breaks a tie on device time and receipt by author, the same way whichever write arrives first', () => {
    const first = note('from cab-1', { author: device('cab-1', 7), version: 1 });
    const second = note('from cab-2', { author: device('cab-2', 2), version: 2 });
    expect(foldConcurrent(lwwPolicy, [first, second])?.value).toBe('from cab-2');
    expect(foldConcurrent(lwwPolicy, [second, first])?.value).toBe('from cab-2');
  });

  it('refuses operations that are not a plain set of this field, naming the field', () => {
    const increment = fieldWrite({ op: 'increment', field: 'statusNote', by: 1 });
    expect(() => lwwPolicy(null, increment, false)).toThrow(PolicyInputError);
    expect(() => lwwPolicy(null, increment, false)).toThrow(/lww policy settles set operations, not increment \(field statusNote\)/);
    expect(() => lwwPolicy(null, item('brakes', 'pass'), false)).toThrow(/items is not a map field/);
  });

  it('refuses writes with non-finite times or no record version instead of ordering them somewhere', () => {
    const current = stateFrom(lwwPolicy, officeNote);
    expect(() => lwwPolicy(current, note('x', { effectiveTime: Number.NaN, version: 2 }), true)).toThrow(/finite times/);
    expect(() => lwwPolicy(current, note('x', { receivedAt: Number.POSITIVE_INFINITY, version: 2 }), true)).toThrow(/finite times/);
    expect(() => lwwPolicy(current, note('x', { version: 0 }), true)).toThrow(/positive integer record version, not 0/);
  });
});

describe('lww map: checklist items, latest observation wins per item', () => {
  const brakesPass = item('brakes', 'pass', { author: device('cab-1', 1), effectiveTime: T0 + 10, version: 1 });

  it('keeps concurrent answers to different items', () => {
    const current = stateFrom(lwwMapPolicy, brakesPass);
    const lights = item('lights', 'fail', { author: device('cab-2', 1), effectiveTime: T0, version: 2 });
    const resolution = lwwMapPolicy(current, lights, true);
    expect(resolution.outcome).toBe('applied');
    expect(mapContents(fieldStateAfter(current, lights, resolution)!.value)).toEqual({
      brakes: { result: 'pass' },
      lights: { result: 'fail' },
    });
  });

  it('settles concurrent answers to the same item by latest observation', () => {
    const current = stateFrom(lwwMapPolicy, brakesPass);
    const older = item('brakes', 'fail', { author: device('cab-2', 1), effectiveTime: T0, version: 2 });
    const later = item('brakes', 'fail', { author: device('cab-2', 1), effectiveTime: T0 + 20, version: 2 });
    expect(lwwMapPolicy(current, older, true)).toMatchObject({ outcome: 'superseded', reason: expect.stringContaining('items.brakes') });
    const won = lwwMapPolicy(current, later, true);
    expect(won).toMatchObject({ outcome: 'merged', superseded: { result: 'pass' } });
    expect(mapContents(fieldStateAfter(current, later, won)!.value)).toEqual({ brakes: { result: 'fail' } });
  });

  it('applies an item the author had seen although another item changed after its base version', () => {
    const afterBrakes = stateFrom(lwwMapPolicy, brakesPass);
    const officeLights = item('lights', 'na', { author: office(), effectiveTime: T0 + 50, version: 2 });
    const current = fieldStateAfter(afterBrakes, officeLights, lwwMapPolicy(afterBrakes, officeLights, false))!;
    const recheck = item('brakes', 'fail', { author: device('cab-2', 4), effectiveTime: T0, baseVersion: 1, version: 3 });
    const resolution = lwwMapPolicy(current, recheck, true);
    expect(resolution.outcome).toBe('applied');
    expect(mapContents(fieldStateAfter(current, recheck, resolution)!.value)).toEqual({ brakes: { result: 'fail' }, lights: { result: 'na' } });
  });

  it('treats an item called __proto__ as data, not as the object prototype', () => {
    const state = stateFrom(lwwMapPolicy, item('__proto__', 'fail'));
    const contents = mapContents(state.value);
    expect(Object.hasOwn(contents, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(contents)).toBe(Object.prototype);
    expect(contents['__proto__']).toEqual({ result: 'fail' });
  });

  it('refuses a set without a key and a stored value that is not a map value', () => {
    expect(() => lwwMapPolicy(null, note('x'), false)).toThrow(/statusNote is a map field: a set needs the key/);
    const plainObject = { ...stateFrom(lwwMapPolicy, brakesPass), value: { brakes: { result: 'pass' } } };
    expect(() => lwwMapPolicy(plainObject, item('lights', 'pass', { version: 2 }), true)).toThrow(/stored value of items is not a map value/);
  });
});

describe('lww properties', () => {
  const stampArb: fc.Arbitrary<ChangeStamp> = fc.record({
    version: fc.integer({ min: 1, max: 2 }),
    effectiveTime: fc.integer({ min: 0, max: 1 }),
    receivedAt: fc.integer({ min: 0, max: 1 }),
    origin: fc.constantFrom('office' as const, 'field' as const),
    author: authorArb,
  });
  const identity = (stamp: ChangeStamp) => [stamp.version, stamp.effectiveTime, stamp.receivedAt, stamp.author];

  it('orders observations totally: antisymmetric, transitive, equal only for the same write', () => {
    fc.assert(
      fc.property(stampArb, stampArb, stampArb, (a, b, c) => {
        for (const [x, y] of [[a, b], [b, c], [a, c]] as const) {
          expect(Math.sign(compareObservations(x, y))).toBe(-Math.sign(compareObservations(y, x)) || 0);
          expect(compareObservations(x, y) === 0).toBe(JSON.stringify(identity(x)) === JSON.stringify(identity(y)));
        }
        if (compareObservations(a, b) <= 0 && compareObservations(b, c) <= 0) expect(compareObservations(a, c)).toBeLessThanOrEqual(0);
      }),
      { numRuns: 500 },
    );
  });

  it('settles concurrent writes on the latest observation whatever order they arrive in', () => {
    const writes = concurrentWrites(fc.string({ maxLength: 3 }).map((value) => ({ op: 'set' as const, field: 'location', value })));
    fc.assert(
      fc.property(
        writes.chain((list) => fc.tuple(fc.constant(list), permutations(list))),
        ([inOrder, shuffled]) => {
          const latest = inOrder.reduce((a, b) => (compareObservations(a, b) >= 0 ? a : b));
          const settled = foldConcurrent(lwwPolicy, inOrder);
          expect(settled).toEqual(foldConcurrent(lwwPolicy, shuffled));
          expect(settled?.value).toBe(latest.op.op === 'set' && latest.op.value);
          expect(settled?.version).toBe(latest.version);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('settles concurrent checklist answers from different authors item by item, whatever the order', () => {
    const answer = fc.record({ key: fc.constantFrom('brakes', 'lights', 'tires'), result: fc.constantFrom('pass', 'fail', 'na') });
    const drafts = fc.array(fc.record({ answer, effectiveTime: fc.integer({ min: 0, max: 3 }), receivedAt: fc.integer({ min: 0, max: 3 }) }), {
      minLength: 1,
      maxLength: 8,
    });
    // Each write from its own device: pairwise concurrent, none saw another.
    const writes = drafts.map((list) =>
      list.map(({ answer: { key, result }, effectiveTime, receivedAt }, index) =>
        item(key, result as 'pass', { author: device(`cab-${index}`, 1), effectiveTime: T0 + effectiveTime, receivedAt: T0 + receivedAt, version: index + 1 }),
      ),
    );
    fc.assert(
      fc.property(
        writes.chain((list) => fc.tuple(fc.constant(list), permutations(list))),
        ([inOrder, shuffled]) => {
          const settled = foldConcurrent(lwwMapPolicy, inOrder)!;
          expect(foldConcurrent(lwwMapPolicy, shuffled)!.value).toEqual(settled.value);
          for (const key of ['brakes', 'lights', 'tires']) {
            const forKey = inOrder.filter((write) => write.op.op === 'set' && write.op.key === key);
            const latest = forKey.reduce<FieldWrite | null>((a, b) => (a && compareObservations(a, b) >= 0 ? a : b), null);
            expect(mapContents(settled.value)[key]).toEqual(latest?.op.op === 'set' ? latest.op.value : undefined);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
