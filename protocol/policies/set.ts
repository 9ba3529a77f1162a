import { z } from 'zod';
import { expectOperation, parseStoredValue } from './input.js';
import { authorSchema, compareAuthors, compareText, describeAuthor, isConcurrent, stampOf } from './stamps.js';
import type { Author, FieldPolicyFunction } from './types.js';

/**
 * Add-wins sets (defects, seal numbers, photos): an observed-remove set.
 *
 * Every add leaves an add tag (the record version the server gave the write, and its author) on
 * the member, even when the member is already there. A remove clears only the tags its author had
 * seen (`isConcurrent` is false for them: inside the base version, from the author's own earlier
 * entries, or nothing changed concurrently at all). Tags it had not seen belong to concurrent adds:
 * they keep the member (add wins) and the remove comes back `merged` with a reason. So a
 * concurrent add and remove of the same member keep it, and a remove of a member the remover had
 * seen removes it, in whichever order the two arrive.
 *
 * Representation of `FieldState.value` (a `SetValue`), readable as stored:
 *   { members: [{ member: 'seal-0042', adds: [{ version: 3, author: {...} }] }, ...] }
 * members sorted by member (code units), each with at least one add; adds sorted by version, then
 * author. An array rather than an object, so members such as `__proto__` are plain data.
 * `setMembers(value)` is the sorted member list devices see.
 */
export interface SetAdd {
  version: number;
  author: Author;
}

export interface SetMember {
  member: string;
  adds: SetAdd[];
}

export interface SetValue {
  members: SetMember[];
}

const setAddSchema = z.object({ version: z.number().int().positive(), author: authorSchema });
const setValueSchema: z.ZodType<SetValue> = z.object({
  members: z.array(z.object({ member: z.string(), adds: z.array(setAddSchema).min(1) })),
});

export const addWinsSetPolicy: FieldPolicyFunction = (current, write, concurrent) => {
  const op = expectOperation(write, 'set', ['add', 'remove']);
  const set = current ? parseSetValue(current.value, op.field) : { members: [] };
  const existing = set.members.find((entry) => entry.member === op.member);
  const combined = current !== null && concurrent;
  const outcome = combined ? 'merged' : 'applied';

  if (op.op === 'add') {
    const add: SetAdd = { version: stampOf(write).version, author: write.author };
    const adds = [...(existing?.adds.filter((other) => compareAdds(other, add) !== 0) ?? []), add].sort(compareAdds);
    return { outcome, value: withMember(set, { member: op.member, adds }) };
  }

  const unseen = existing?.adds.filter((add) => combined && isConcurrent(add, write)) ?? [];
  const latestUnseen = unseen.at(-1);
  if (!latestUnseen) return { outcome, value: withoutMember(set, op.member) };
  return {
    outcome: 'merged',
    value: withMember(set, { member: op.member, adds: unseen }),
    reason: `${op.member} stays in ${op.field}: ${describeAuthor(latestUnseen.author)} added it concurrently (add wins)`,
  };
};

/** The members devices and people see, sorted. */
export function setMembers(value: unknown): string[] {
  return parseSetValue(value, 'a set field').members.map((entry) => entry.member);
}

function parseSetValue(value: unknown, field: string): SetValue {
  return parseStoredValue(setValueSchema, value, field, 'a set value ({ members: [...] })');
}

function withMember(set: SetValue, member: SetMember): SetValue {
  return { members: [...withoutMember(set, member.member).members, member].sort((a, b) => compareText(a.member, b.member)) };
}

function withoutMember(set: SetValue, member: string): SetValue {
  return { members: set.members.filter((entry) => entry.member !== member) };
}

function compareAdds(a: SetAdd, b: SetAdd): number {
  return a.version - b.version || compareAuthors(a.author, b.author);
}
