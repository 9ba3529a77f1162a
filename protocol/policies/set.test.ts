import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addWinsSetPolicy, fieldStateAfter, isConcurrent, setMembers, type Author, type FieldState, type FieldWrite } from './index.js';
import { device, fieldWrite, foldConcurrent, interleavings, office, stateFrom } from '../../test/support/policy-writes.js';

type Overrides = Partial<Omit<FieldWrite, 'op'>>;
const add = (member: string, overrides: Overrides = {}) => fieldWrite({ op: 'add', field: 'sealNumbers', member }, overrides);
const remove = (member: string, overrides: Overrides = {}) => fieldWrite({ op: 'remove', field: 'sealNumbers', member }, overrides);

/** Resolves a write as the server would: concurrency from the field's last change and the write's base version. */
function settle(current: FieldState | null, write: FieldWrite) {
  const resolution = addWinsSetPolicy(current, write, isConcurrent(current, write));
  return { resolution, state: fieldStateAfter(current, write, resolution) };
}

describe('add-wins set (seal numbers, defects, photos)', () => {
  const sealed = stateFrom(addWinsSetPolicy, add('SEAL-200', { author: office(), version: 1 }));

  it('adds members and shows them sorted', () => {
    const { resolution, state } = settle(sealed, add('SEAL-100', { baseVersion: 1, version: 2 }));
    expect(resolution.outcome).toBe('applied');
    expect(setMembers(state!.value)).toEqual(['SEAL-100', 'SEAL-200']);
  });

  it('removes a member its remover had seen', () => {
    const { resolution, state } = settle(sealed, remove('SEAL-200', { baseVersion: 1, version: 2 }));
    expect(resolution.outcome).toBe('applied');
    expect(setMembers(state!.value)).toEqual([]);
  });

  it('removes a member the remover had seen although other members changed concurrently', () => {
    const other = settle(sealed, add('SEAL-300', { author: device('cab-2', 1), baseVersion: 1, version: 2 })).state;
    const { resolution, state } = settle(other, remove('SEAL-200', { author: device('cab-1', 4), baseVersion: 1, version: 3 }));
    expect(resolution.outcome).toBe('merged');
    expect(setMembers(state!.value)).toEqual(['SEAL-300']);
  });

  it('keeps a member that was added again concurrently with its removal, in either arrival order', () => {
    const readd = (version: number) => add('SEAL-200', { author: device('cab-2', 7), baseVersion: 1, version });
    const removal = (version: number) => remove('SEAL-200', { author: device('cab-1', 4), baseVersion: 1, version });

    const addFirst = settle(sealed, readd(2)).state;
    const thenRemove = settle(addFirst, removal(3));
    expect(thenRemove.resolution).toMatchObject({
      outcome: 'merged',
      reason: 'SEAL-200 stays in sealNumbers: operator op-ines on device cab-2 added it concurrently (add wins)',
    });
    expect(setMembers(thenRemove.state!.value)).toEqual(['SEAL-200']);

    const removeFirst = settle(sealed, removal(2)).state;
    expect(setMembers(removeFirst!.value)).toEqual([]);
    expect(setMembers(settle(removeFirst, readd(3)).state!.value)).toEqual(['SEAL-200']);
  });

  it("removes a device's own offline add when the same device removes it later in the same batch", () => {
    const offlineAdd = settle(sealed, add('SEAL-999', { author: device('cab-1', 5), baseVersion: 1, version: 2 })).state;
    const offlineRemove = remove('SEAL-999', { author: device('cab-1', 6), baseVersion: 1, version: 3 });
    const { state } = settle(offlineAdd, offlineRemove);
    expect(setMembers(state!.value)).toEqual(['SEAL-200']);
    // Even when told the field changed concurrently, the device's own earlier add counts as seen.
    expect(setMembers(fieldStateAfter(offlineAdd, offlineRemove, addWinsSetPolicy(offlineAdd, offlineRemove, true))!.value)).toEqual([
      'SEAL-200',
    ]);
  });

  it('does not pile up tags when one entry adds the same member twice', () => {
    const twice = add('SEAL-200', { author: office(), version: 1 });
    const state = fieldStateAfter(sealed, twice, addWinsSetPolicy(sealed, twice, false))!;
    expect(state.value).toEqual(sealed.value);
  });

  it('leaves the set as it was when removing a member that is not there', () => {
    expect(settle(sealed, remove('SEAL-404', { baseVersion: 1, version: 2 })).resolution).toEqual({ outcome: 'applied', value: sealed.value });
  });

  it('keeps a member called __proto__ as an ordinary member', () => {
    const state = stateFrom(addWinsSetPolicy, add('__proto__'));
    expect(setMembers(state.value)).toEqual(['__proto__']);
    expect(setMembers(settle(state, remove('__proto__', { author: device('cab-1', 2), version: 2 })).state!.value)).toEqual([]);
  });

  it('stores a readable value: members with the adds that keep them', () => {
    expect(sealed.value).toEqual({ members: [{ member: 'SEAL-200', adds: [{ version: 1, author: office() }] }] });
  });

  it('refuses a set operation and a stored plain array with clear errors', () => {
    expect(() => addWinsSetPolicy(sealed, fieldWrite({ op: 'set', field: 'sealNumbers', value: [] }), false)).toThrow(
      /set policy settles add\/remove operations, not set \(field sealNumbers\)/,
    );
    expect(() => addWinsSetPolicy({ ...sealed, value: ['SEAL-200'] }, add('SEAL-1', { version: 2 }), false)).toThrow(
      /stored value of sealNumbers is not a set value/,
    );
    expect(() => setMembers(['SEAL-200'])).toThrow(/not a set value/);
  });
});

describe('add-wins set properties', () => {
  const members = ['A', 'B', 'C'];
  const authors: Author[] = [device('cab-1', 0), device('cab-2', 0), device('kiosk-1', 0, 'op-gus'), office()];
  const opArb = fc.record({ op: fc.constantFrom('add' as const, 'remove' as const), member: fc.constantFrom(...members) });

  /** One sequence of add/remove writes per author, in the author's own order, with server versions all distinct. */
  const sequencesArb = fc.tuple(...authors.map(() => fc.array(opArb, { maxLength: 5 }))).map((perAuthor) => {
    let version = 0;
    return perAuthor.map((ops, index) =>
      ops.map(({ op, member }, position) => {
        const template = authors[index]!;
        const author = template.deviceId === null ? template : { ...template, seq: position + 1 };
        return fieldWrite({ op, field: 'sealNumbers', member }, { author, version: ++version });
      }),
    );
  });

  /** Add-wins with nothing seen across authors: a member stays if some add of it was not removed later by the same device. */
  function expectedMembers(sequences: FieldWrite[][]): string[] {
    const kept = new Set<string>();
    for (const sequence of sequences) {
      sequence.forEach((write, position) => {
        if (write.op.op !== 'add') return;
        const { member } = write.op;
        const removedLater =
          write.author.deviceId !== null && sequence.slice(position + 1).some(({ op }) => op.op === 'remove' && op.member === member);
        if (!removedLater) kept.add(member);
      });
    }
    return [...kept].sort();
  }

  it('ends with the same members in every arrival order that keeps each device in sequence, as add-wins predicts', () => {
    fc.assert(
      fc.property(
        sequencesArb.chain((sequences) => fc.tuple(fc.constant(sequences), interleavings(sequences), interleavings(sequences))),
        ([sequences, oneOrder, otherOrder]) => {
          const one = foldConcurrent(addWinsSetPolicy, oneOrder);
          const other = foldConcurrent(addWinsSetPolicy, otherOrder);
          const membersOf = (state: FieldState | null) => (state ? setMembers(state.value) : []);
          expect(membersOf(one)).toEqual(expectedMembers(sequences));
          expect(one?.value).toEqual(other?.value);
        },
      ),
      { numRuns: 300 },
    );
  });
});
