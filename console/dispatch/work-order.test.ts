import { describe, expect, it } from 'vitest';
import { formatDuration } from '../format.js';
import { changedFields, createdFields, draftOf, EDITABLE_FIELDS, FIELD_OWNED, ownershipOf } from './work-order.js';

describe('the work-order form', () => {
  it("takes each field's owner from the record type's policies: completion is the field's, the office edits none of it", () => {
    expect(FIELD_OWNED).toEqual(['completionNote', 'completedAt']);
    expect(['assignee', 'dueDate', 'title'].map(ownershipOf)).toEqual(['office', 'office', 'office']);
    expect(['status', 'statusNote', 'location'].map(ownershipOf)).toEqual(['shared', 'shared', 'shared']);
    expect(EDITABLE_FIELDS.filter((field) => ownershipOf(field) === 'field')).toEqual([]);
  });

  it('sends only what changed, clearing an assignee or due date with null', () => {
    const loaded = draftOf({ title: 'Brakes', assignee: 'op-ines', dueDate: Date.UTC(2026, 10, 30), priority: 'high', status: 'open', completionNote: 'ignored' });
    expect(loaded).toMatchObject({ title: 'Brakes', assignee: 'op-ines', dueDate: '2026-11-30', priority: 'high', status: 'open', description: '' });
    expect(changedFields(loaded, loaded)).toEqual({});
    expect(changedFields(loaded, { ...loaded, assignee: 'op-sam', dueDate: '2026-12-02' })).toEqual({ assignee: 'op-sam', dueDate: Date.UTC(2026, 11, 2) });
    expect(changedFields(loaded, { ...loaded, assignee: '', dueDate: '', title: ' Brakes and lights ' })).toEqual({ assignee: null, dueDate: null, title: 'Brakes and lights' });
  });

  it('creates with the fields given values only', () => {
    expect(createdFields({ ...draftOf({}), title: 'Lights', equipmentNumber: 'TRL-1' })).toEqual({ title: 'Lights', equipmentNumber: 'TRL-1', priority: 'normal', status: 'open' });
  });
});

describe('durations', () => {
  it('reads to two units', () => {
    expect([0, 30_000, 90_000, 2 * 3_600_000 + 5 * 60_000 + 7_000, 4 * 86_400_000 + 3_600_000, -30_000].map(formatDuration)).toEqual(['0 s', '30 s', '1 min 30 s', '2 h 5 min', '4 d 1 h', '−30 s']);
  });
});
