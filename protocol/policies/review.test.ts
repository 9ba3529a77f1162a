import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalize } from '../canonical.js';
import { fieldStateAfter, reviewPolicy, type FieldState, type FieldWrite } from './index.js';
import { authorArb, device, fieldWrite, office, stateFrom } from '../../test/support/policy-writes.js';

const partsUsed = (value: unknown, overrides: Partial<Omit<FieldWrite, 'op'>> = {}) => fieldWrite({ op: 'set', field: 'partsUsed', value }, overrides);

describe('review: concurrent edits go to a reviewer', () => {
  const billed = stateFrom(reviewPolicy, partsUsed([{ part: 'brake pad', quantity: 4 }], { author: office(), version: 1 }));

  it('applies a write made on the current version', () => {
    const edit = partsUsed([{ part: 'brake pad', quantity: 2 }], { author: device('cab-1', 3), baseVersion: 1, version: 2 });
    expect(reviewPolicy(billed, edit, false)).toEqual({ outcome: 'applied', value: [{ part: 'brake pad', quantity: 2 }] });
  });

  it('sends a concurrent, different value to review with both versions and leaves the field as it was', () => {
    const edit = partsUsed([{ part: 'brake pad', quantity: 2 }], { author: device('cab-1', 3), version: 2 });
    const resolution = reviewPolicy(billed, edit, true);
    expect(resolution).toEqual({
      outcome: 'review',
      reason: expect.stringMatching(/^partsUsed was changed concurrently by operator op-dana in the office/),
      current: [{ part: 'brake pad', quantity: 4 }],
      proposed: [{ part: 'brake pad', quantity: 2 }],
    });
    expect(fieldStateAfter(billed, edit, resolution)).toBe(billed);
  });

  it('does not ask for review when the concurrent value is the same, even with keys in another order', () => {
    const same = partsUsed([{ quantity: 4, part: 'brake pad' }], { author: device('cab-1', 3), version: 2 });
    expect(reviewPolicy(billed, same, true)).toMatchObject({ outcome: 'merged', value: [{ part: 'brake pad', quantity: 4 }] });
  });

  it('treats a concurrent signature over a cleared one as a conflict, not as filling a blank', () => {
    const cleared = stateFrom(reviewPolicy, fieldWrite({ op: 'set', field: 'signature', value: null }, { author: office(), version: 1 }));
    const signed = fieldWrite({ op: 'set', field: 'signature', value: 'a'.repeat(64) }, { version: 2 });
    expect(reviewPolicy(cleared, signed, true)).toMatchObject({ outcome: 'review', current: null, proposed: 'a'.repeat(64) });
  });

  it('refuses map writes: review fields are plain values', () => {
    expect(() => reviewPolicy(null, fieldWrite({ op: 'set', field: 'partsUsed', key: 'k', value: 1 }), false)).toThrow(/not a map field/);
  });
});

describe('review properties', () => {
  const json = fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 3 }), fc.constantFrom('a', 'b'), fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 2 }));

  it('never silently drops either version of a concurrent edit', () => {
    fc.assert(
      fc.property(json, json, authorArb, authorArb, (currentValue, proposed, currentAuthor, writeAuthor) => {
        const current: FieldState = stateFrom(reviewPolicy, partsUsed(currentValue, { author: currentAuthor, version: 1 }));
        const write = partsUsed(proposed, { author: writeAuthor, version: 2 });
        const resolution = reviewPolicy(current, write, true);
        const after = fieldStateAfter(current, write, resolution);
        if (resolution.outcome === 'review') {
          expect(resolution.current).toEqual(currentValue);
          expect(resolution.proposed).toEqual(proposed);
          expect(after).toBe(current);
        } else {
          // Only agreement lets the write through, and then both versions are the value kept.
          expect(resolution.outcome).toBe('merged');
          expect(canonicalize(after?.value)).toBe(canonicalize(currentValue));
          expect(canonicalize(after?.value)).toBe(canonicalize(proposed));
        }
      }),
      { numRuns: 300 },
    );
  });
});
