import { describe, expect, it } from 'vitest';
import { nextChangeInMs, openUndo, UNDO_WINDOW_MS, undoLeftMs } from '../../renderer/work-orders/undo-window.js';
import { doneCautionText } from '../../renderer/work-orders/work-order.js';

/** The undo window after "Mark done" and the words of its confirmation, on a clock the test moves by hand. */
describe('the undo window', () => {
  const START = 5_000;
  /** Whole seconds left, rounded up, as the notice counts them down (messages.ts countdown). */
  const secondsShown = (ms: number) => Math.ceil(ms / 1000);

  it('stays open for ten seconds from the change and then closes for good', () => {
    const offer = openUndo('wo-1', START);
    expect(offer).toEqual({ subject: 'wo-1', until: START + UNDO_WINDOW_MS });
    expect(UNDO_WINDOW_MS).toBe(10_000);
    expect(undoLeftMs(offer, START)).toBe(10_000);
    expect(undoLeftMs(offer, START + 9_999)).toBe(1);
    expect(undoLeftMs(offer, START + 10_000)).toBe(0);
    expect(undoLeftMs(offer, START + 60_000)).toBe(0);
  });

  it('takes another length when told', () => {
    expect(undoLeftMs(openUndo('wo-1', START, 500), START + 499)).toBe(1);
    expect(undoLeftMs(openUndo('wo-1', START, 500), START + 500)).toBe(0);
  });

  it('wakes exactly when the countdown shown changes, and once more as the window closes', () => {
    const offer = openUndo('wo-1', START);
    const shown: number[] = [];
    let now = START;
    let wakes = 0;
    while (undoLeftMs(offer, now) > 0) {
      shown.push(secondsShown(undoLeftMs(offer, now)));
      now += nextChangeInMs(undoLeftMs(offer, now));
      wakes += 1;
    }
    expect(shown).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    expect([wakes, now]).toEqual([10, START + UNDO_WINDOW_MS]);
  });

  it('wakes in the part of a second left when the window opened between whole seconds', () => {
    expect(nextChangeInMs(9_250)).toBe(250);
    expect([secondsShown(9_250), secondsShown(9_250 - 250)]).toEqual([10, 9]);
    expect(nextChangeInMs(1)).toBe(1);
    expect(nextChangeInMs(0)).toBe(0);
  });
});

describe('the confirmation before "Mark done"', () => {
  it('names the inspection still in progress, or the defects no mechanic has certified', () => {
    expect(doneCautionText({ kind: 'inspection-in-progress', inspectionId: 'inspection-1', equipmentNumber: 'TRL-88' })).toBe(
      'The inspection of TRL-88 started from this work order is still in progress: it has not been submitted.',
    );
    expect(doneCautionText({ kind: 'unresolved-defects', inspectionId: 'inspection-1', equipmentNumber: '4127', defects: ['Parking brake'] })).toBe(
      'The inspection of 4127 found a defect no mechanic has certified as repaired: Parking brake.',
    );
    expect(doneCautionText({ kind: 'unresolved-defects', inspectionId: 'inspection-1', equipmentNumber: '', defects: ['Horn', 'Mirrors'] })).toBe(
      'The inspection of the unit found 2 defects no mechanic has certified as repaired: Horn; Mirrors.',
    );
  });
});
