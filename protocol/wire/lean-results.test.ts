import { describe, expect, it } from 'vitest';
import { type EntryResult, expandLeanResults, leanResults } from './push.js';

const hash = (seq: number) => seq.toString(16).padStart(64, '0');
const accepted = (seq: number): EntryResult => ({ seq, hash: hash(seq), outcome: 'accepted', acknowledged: true });
const sent = (...seqs: number[]) => seqs.map((seq) => ({ seq, hash: hash(seq) }));

describe('lean push answers', () => {
  const merged: EntryResult = { ...accepted(2), outcome: 'merged', fields: [{ field: 'items', key: 'tires', outcome: 'superseded' }] };
  const refused: EntryResult = { seq: 4, hash: hash(4), outcome: 'rejected', acknowledged: false, reason: 'bad-signature', message: 'signature does not verify' };
  const acceptedWithNote: EntryResult = { ...accepted(3), fields: [{ field: 'status', outcome: 'applied', reason: 'set by the office' }] };
  const appliedFields: EntryResult = { ...accepted(1), fields: [{ field: 'items', key: 'horn', outcome: 'applied' }] };

  it('leave out only the entries taken exactly as sent, and keep every result that says something', () => {
    expect(leanResults([appliedFields, merged, acceptedWithNote, refused])).toEqual([merged, acceptedWithNote, refused]);
    expect(leanResults([{ ...accepted(5), message: 'resent' }])).toHaveLength(1);
  });

  it('expand back to one result per sent entry, the ones left out accepted under the receipt', () => {
    expect(expandLeanResults(sent(1, 2, 3), [merged], { seq: 3 })).toEqual([accepted(1), merged, accepted(3)]);
    expect(expandLeanResults(sent(1, 2, 3, 4), [merged, refused], { seq: 3 })).toEqual([accepted(1), merged, accepted(3), refused]);
    // A full answer expands to itself.
    expect(expandLeanResults(sent(1, 2), [accepted(1), merged], { seq: 2 })).toEqual([accepted(1), merged]);
  });

  it('refuse an answer that cannot be for the entries sent', () => {
    // An entry left out beyond what the receipt anchors: the office did not take it.
    expect(expandLeanResults(sent(1, 2, 3), [], { seq: 2 })).toBeNull();
    // A result for an entry not sent, or results out of order.
    expect(expandLeanResults(sent(1, 3), [merged], { seq: 3 })).toBeNull();
    expect(expandLeanResults(sent(1, 2, 3, 4), [refused, merged], { seq: 4 })).toBeNull();
    // More results than entries.
    expect(expandLeanResults(sent(2), [merged, merged], { seq: 2 })).toBeNull();
  });
});
