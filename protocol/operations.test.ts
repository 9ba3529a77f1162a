import fc from 'fast-check';
import { checklistTemplate } from './checklists.js';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from './crypto/hash.js';
import type { FieldOperation, RecordAction } from './journal.js';
import { type ActionErrorCode, type RecordState, applyAction, isSubmitted } from './operations.js';
import { RECORD_TYPES, type RecordType } from './records/index.js';

const PHOTO = sha256Hex('defect photo');
const SIGNATURE = sha256Hex('signature strokes');

function apply(type: RecordType, current: RecordState | null, action: RecordAction, ops: FieldOperation[]) {
  return applyAction(RECORD_TYPES[type], current, action, ops);
}

/** Applies an action that must succeed and returns the new state. */
function applyOk(type: RecordType, current: RecordState | null, action: RecordAction, ops: FieldOperation[]): RecordState {
  const result = apply(type, current, action, ops);
  if (!result.ok) throw new Error(`expected ${action} to succeed: ${result.error.code} ${result.error.message}`);
  return result.state;
}

function expectError(result: ReturnType<typeof apply>, code: ActionErrorCode, field?: string): void {
  if (result.ok) throw new Error(`expected ${code}, but the action applied`);
  expect(result.error.code).toBe(code);
  if (field !== undefined) expect(result.error.field).toBe(field);
}

const set = (field: string, value: unknown, key?: string): FieldOperation =>
  key === undefined ? { op: 'set', field, value } : { op: 'set', field, key, value };

const newNote = () => applyOk('note', null, 'create', [set('subjectType', 'workOrder'), set('subjectId', 'wo-7'), set('body', 'gate 3 light out')]);
const newInspection = () => applyOk('inspection', null, 'create', [set('templateId', 'dvir-power-unit'), set('equipmentNumber', 'TRK-204')]);
const newGateEvent = (ops: FieldOperation[] = []) =>
  applyOk('gateEvent', null, 'create', [
    set('siteId', 'yard-north'),
    set('direction', 'in'),
    set('truckPlate', 'TX 4KD-221'),
    set('carrier', 'Lone Star Drayage'),
    set('recordedAt', Date.UTC(2026, 10, 22, 8, 5)),
    ...ops,
  ]);
const newYardCount = () =>
  applyOk('yardCount', null, 'create', [set('siteId', 'yard-north'), set('location', 'row C'), set('itemCode', 'chassis-40ft')]);

/** An inspection with everything submit asks for: every item of its checklist answered, and signed. */
const readyInspection = () =>
  applyOk('inspection', newInspection(), 'update', [...checklistTemplate('dvir-power-unit')!.items.map((item) => set('items', { result: 'pass' }, item.id)), set('signature', SIGNATURE)]);

describe('create', () => {
  it('starts from empty values, a draft status and applies the given fields', () => {
    expect(newInspection()).toEqual({
      deleted: false,
      fields: {
        workOrderId: null,
        templateId: 'dvir-power-unit',
        equipmentNumber: 'TRK-204',
        odometer: null,
        items: {},
        defects: [],
        photos: [],
        signature: null,
        remarks: null,
        status: 'draft',
        submittedAt: null,
        correctsId: null,
      },
    });
  });

  it('may set immutable fields, which later updates may not', () => {
    const note = newNote();
    expect(note.fields.subjectId).toBe('wo-7');
    expectError(apply('note', note, 'update', [set('subjectId', 'wo-8')]), 'immutable-field', 'subjectId');
  });

  it('is refused for a record that already exists (record-exists)', () => {
    expectError(apply('note', newNote(), 'create', [set('body', 'again')]), 'record-exists');
  });

  it('is refused when a required field is left out (missing-field), naming the field', () => {
    expectError(apply('note', null, 'create', [set('subjectType', 'workOrder'), set('subjectId', 'wo-7')]), 'missing-field', 'body');
    expectError(
      apply('workOrder', null, 'create', [set('siteId', 'yard-north'), set('title', 'Replace gate 3 light')]),
      'missing-field',
      'status',
    );
  });
});

describe('update', () => {
  it('changes only the named fields', () => {
    const updated = applyOk('note', newNote(), 'update', [set('body', 'gate 3 light replaced')]);
    expect(updated.fields).toEqual({ subjectType: 'workOrder', subjectId: 'wo-7', body: 'gate 3 light replaced' });
  });

  it('of a record that does not exist is unknown-record', () => {
    expectError(apply('note', null, 'update', [set('body', 'x')]), 'unknown-record');
  });

  it('of a deleted record is record-deleted', () => {
    const deleted = applyOk('note', newNote(), 'delete', [{ op: 'tombstone' }]);
    expectError(apply('note', deleted, 'update', [set('body', 'x')]), 'record-deleted');
  });

  it('of a submitted inspection is record-immutable', () => {
    const submitted = applyOk('inspection', readyInspection(), 'submit', []);
    expectError(apply('inspection', submitted, 'update', [set('remarks', 'late remark')]), 'record-immutable');
  });

  it.each([
    ['a field the type does not have', 'colour'],
    ['an inherited property name', 'toString'],
    ['the prototype key', '__proto__'],
  ])('of %s is unknown-field', (_label, field) => {
    expectError(apply('note', newNote(), 'update', [set(field, 'x')]), 'unknown-field', field);
  });

  it.each<[string, RecordType, () => RecordState, FieldOperation, string]>([
    ['set on a counter', 'yardCount', newYardCount, set('tally', 5), 'tally'],
    ['set on a set field', 'gateEvent', () => newGateEvent(), set('sealNumbers', ['S1']), 'sealNumbers'],
    ['increment on a scalar', 'yardCount', newYardCount, { op: 'increment', field: 'onHand', by: 1 }, 'onHand'],
    ['add to a scalar', 'gateEvent', () => newGateEvent(), { op: 'add', field: 'carrier', member: 'x' }, 'carrier'],
    ['remove from a map', 'inspection', newInspection, { op: 'remove', field: 'items', member: 'brakes' }, 'items'],
    ['a map set without a key', 'inspection', newInspection, set('items', { result: 'pass' }), 'items'],
    ['a scalar set with a key', 'inspection', newInspection, set('remarks', 'ok', 'brakes'), 'remarks'],
    ['setting status of a submittable record', 'inspection', newInspection, set('status', 'submitted'), 'status'],
  ])('with %s is wrong-operation', (_label, type, make, op, field) => {
    expectError(apply(type, make(), 'update', [op]), 'wrong-operation', field);
  });

  it('with a tombstone is wrong-operation: deletes are their own action', () => {
    expectError(apply('note', newNote(), 'update', [{ op: 'tombstone' }]), 'wrong-operation');
  });

  it.each<[string, RecordType, () => RecordState, FieldOperation, string]>([
    ['an empty note body', 'note', newNote, set('body', ''), 'body'],
    ['a number where text is expected', 'gateEvent', () => newGateEvent(), set('carrier', 42), 'carrier'],
    ['a negative odometer', 'inspection', newInspection, set('odometer', -5), 'odometer'],
    ['a checklist answer outside pass/fail/na', 'inspection', newInspection, set('items', { result: 'maybe' }, 'brakes'), 'items'],
    ['a photo that is not a SHA-256 name', 'inspection', newInspection, { op: 'add', field: 'photos', member: 'IMG_0001.jpg' }, 'photos'],
    ['a direction other than in/out', 'gateEvent', () => newGateEvent(), set('direction', 'sideways'), 'direction'],
  ])('with %s is invalid-value', (_label, type, make, op, field) => {
    expectError(apply(type, make(), 'update', [op]), 'invalid-value', field);
  });

  it('checks container numbers by ISO 6346 and asks for the canonical spelling', () => {
    const gate = newGateEvent();
    const wrongDigit = apply('gateEvent', gate, 'update', [set('containerNumber', 'CSQU3054384')]);
    expectError(wrongDigit, 'invalid-value', 'containerNumber');
    expect(!wrongDigit.ok && wrongDigit.error.message).toContain('check digit should be 3, not 4');

    const lowerCase = apply('gateEvent', gate, 'update', [set('containerNumber', 'csqu3054383')]);
    expect(!lowerCase.ok && lowerCase.error.message).toContain('must be written CSQU3054383');

    expect(applyOk('gateEvent', gate, 'update', [set('containerNumber', 'CSQU3054383')]).fields.containerNumber).toBe('CSQU3054383');
  });
});

describe('field kinds', () => {
  it('set fields add once, remove, ignore removing an absent member, and keep members sorted', () => {
    let gate = newGateEvent();
    gate = applyOk('gateEvent', gate, 'update', [
      { op: 'add', field: 'sealNumbers', member: 'S-300' },
      { op: 'add', field: 'sealNumbers', member: 'S-100' },
      { op: 'add', field: 'sealNumbers', member: 'S-300' },
    ]);
    expect(gate.fields.sealNumbers).toEqual(['S-100', 'S-300']);

    gate = applyOk('gateEvent', gate, 'update', [
      { op: 'remove', field: 'sealNumbers', member: 'S-100' },
      { op: 'remove', field: 'sealNumbers', member: 'S-999' },
    ]);
    expect(gate.fields.sealNumbers).toEqual(['S-300']);
  });

  it('set fields end with exactly the members added and not removed afterwards', () => {
    const member = fc.constantFrom('S-1', 'S-2', 'S-3', 'S-4');
    const op = fc.record({ op: fc.constantFrom('add' as const, 'remove' as const), member });
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 30 }), (ops) => {
        const expected = new Set<string>();
        for (const { op: kind, member: seal } of ops) {
          if (kind === 'add') expected.add(seal);
          else expected.delete(seal);
        }
        const gate = applyOk('gateEvent', newGateEvent(), 'update', ops.map((o) => ({ ...o, field: 'sealNumbers' })));
        expect(gate.fields.sealNumbers).toEqual([...expected].sort());
      }),
      { numRuns: 100, seed: 17 },
    );
  });

  it('counters start at 0 and add increments, negative ones too', () => {
    let count = newYardCount();
    expect(count.fields.tally).toBe(0);
    count = applyOk('yardCount', count, 'update', [
      { op: 'increment', field: 'tally', by: 5 },
      { op: 'increment', field: 'tally', by: 3 },
    ]);
    count = applyOk('yardCount', count, 'update', [{ op: 'increment', field: 'tally', by: -2 }]);
    expect(count.fields.tally).toBe(6);
  });

  it('map fields set one entry per key and keep the other entries', () => {
    let inspection = applyOk('inspection', newInspection(), 'update', [
      set('items', { result: 'pass' }, 'parking-brake'),
      set('items', { result: 'fail', note: 'left rear tread 2/32' }, 'tires'),
    ]);
    inspection = applyOk('inspection', inspection, 'update', [set('items', { result: 'pass', note: 'tire replaced' }, 'tires')]);
    expect(inspection.fields.items).toEqual({
      'parking-brake': { result: 'pass' },
      tires: { result: 'pass', note: 'tire replaced' },
    });
  });
});

describe('submit', () => {
  it('marks the record submitted, with the ops given alongside', () => {
    const submittedAt = Date.UTC(2026, 10, 22, 9, 0);
    const submitted = applyOk('inspection', readyInspection(), 'submit', [set('submittedAt', submittedAt)]);
    expect(submitted.fields).toMatchObject({ status: 'submitted', submittedAt });
    expect(isSubmitted(RECORD_TYPES.inspection, submitted)).toBe(true);
    expect(isSubmitted(RECORD_TYPES.inspection, readyInspection())).toBe(false);
  });

  it('lists every problem of an incomplete inspection (incomplete)', () => {
    const bare = apply('inspection', newInspection(), 'submit', []);
    expectError(bare, 'incomplete');
    expect(!bare.ok && bare.error.message).toBe('cannot submit: 11 of 11 checklist items are not answered yet; the inspection must be signed');
    // Answering some items is not enough: N/A is an answer, no answer is not.
    const partly = applyOk('inspection', newInspection(), 'update', [set('items', { result: 'pass' }, 'horn'), set('items', { result: 'na' }, 'wipers'), set('signature', SIGNATURE)]);
    expect(!apply('inspection', partly, 'submit', []).ok && (apply('inspection', partly, 'submit', []) as { error: { message: string } }).error.message).toBe(
      'cannot submit: 9 of 11 checklist items are not answered yet',
    );

    const failedWithoutNote = applyOk('inspection', readyInspection(), 'update', [set('items', { result: 'fail' }, 'horn')]);
    const result = apply('inspection', failedWithoutNote, 'submit', []);
    expect(!result.ok && result.error.message).toBe('cannot submit: failed item “Horn” needs a note saying what is wrong');
  });

  it('of a gate event needs a container or a chassis number', () => {
    expectError(apply('gateEvent', newGateEvent(), 'submit', []), 'incomplete');
    expect(applyOk('gateEvent', newGateEvent([set('chassisNumber', 'CH-88120')]), 'submit', []).fields.status).toBe('submitted');
  });

  it('of a type that is never submitted is not-submittable', () => {
    expectError(apply('note', newNote(), 'submit', []), 'not-submittable');
  });

  it('twice is record-immutable', () => {
    const submitted = applyOk('inspection', readyInspection(), 'submit', []);
    expectError(apply('inspection', submitted, 'submit', []), 'record-immutable');
  });
});

describe('delete', () => {
  it('tombstones the record and keeps its fields for the audit trail', () => {
    const note = newNote();
    const deleted = applyOk('note', note, 'delete', [{ op: 'tombstone' }]);
    expect(deleted).toEqual({ deleted: true, fields: note.fields });
    expectError(apply('note', deleted, 'delete', [{ op: 'tombstone' }]), 'record-deleted');
  });

  it('of a type that is never deleted is not-deletable', () => {
    expectError(apply('inspection', newInspection(), 'delete', [{ op: 'tombstone' }]), 'not-deletable');
  });

  it('must be a single tombstone (wrong-operation otherwise)', () => {
    expectError(apply('note', newNote(), 'delete', [set('body', 'x')]), 'wrong-operation');
    expectError(apply('note', newNote(), 'delete', [{ op: 'tombstone' }, set('body', 'x')]), 'wrong-operation');
  });

  it('of a record that does not exist is unknown-record', () => {
    expectError(apply('note', null, 'delete', [{ op: 'tombstone' }]), 'unknown-record');
  });
});

describe('a refused action changes nothing', () => {
  function deepFreeze<T>(value: T): T {
    if (value && typeof value === 'object') {
      for (const inner of Object.values(value)) deepFreeze(inner);
      Object.freeze(value);
    }
    return value;
  }

  it.each<[string, FieldOperation[]]>([
    ['valid operations followed by an invalid one', [
      { op: 'add', field: 'defects', member: 'cracked mirror' },
      set('items', { result: 'fail', note: 'cracked' }, 'mirrors'),
      set('odometer', -1),
    ]],
    ['valid operations followed by an unknown field', [{ op: 'add', field: 'photos', member: PHOTO }, set('mileage', 10)]],
  ])('%s leaves the given state as it was', (_label, ops) => {
    const before = readyInspection();
    const snapshot = structuredClone(before);
    const result = apply('inspection', deepFreeze(before), 'update', ops);
    expect(result.ok).toBe(false);
    expect(before).toEqual(snapshot);
  });

  it('a successful action returns a new state and leaves the given one as it was', () => {
    const before = deepFreeze(readyInspection());
    const snapshot = structuredClone(before);
    const after = applyOk('inspection', before, 'update', [{ op: 'add', field: 'defects', member: 'horn weak' }, set('items', { result: 'na' }, 'horn')]);
    expect(before).toEqual(snapshot);
    expect(after.fields.defects).toEqual(['horn weak']);
  });
});
