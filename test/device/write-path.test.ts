import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FieldOperation, RecordType } from '../../protocol/index.js';
import type { DeviceCore } from '../../main/core/device-core.js';
import { CLERK, openTestDevice, type TestDevice } from '../support/device.js';
import { expectCoreError, expectRefusedWithoutWriting, storeFootprint } from '../support/core-assertions.js';
import { makePng } from '../support/png.js';
import { VALID_CREATES } from '../support/actions.js';

/**
 * Item 4, through DeviceCore.perform on a real encrypted SQLite file: one action is one transaction
 * that applies the field operations, appends one signed journal entry and marks it pending; every
 * refused action says why and leaves the journal, outbox, records and chain head untouched.
 */
/** Actions may name only attachments the device holds: these are put before each test. */
const SIGNATURE_PNG = makePng({ rgb: [0, 0, 0] });
const PHOTO_PNG = makePng({ rgb: [90, 120, 40] });
let SIGNATURE: string;
let PHOTO: string;
/** ISO 6346 numbers from the shared seed data (../shared/data/inspection-checklists.json). */
const VALID_CONTAINER = 'CSQU3054383';
const WRONG_CHECK_DIGIT_CONTAINER = 'TGHU6201434';


/** What each valid create must leave in the record's fields. */
const EXPECTED_FIELDS: Record<RecordType, Record<string, unknown>> = {
  workOrder: { siteId: 'site-oak', title: 'Replace brake chamber', status: 'open', priority: 'high', assignee: null },
  inspection: {
    templateId: 'dvir-power-unit',
    items: { 'parking-brake': { result: 'fail', note: 'does not hold on grade' } },
    defects: ['parking brake'],
    status: 'draft',
    signature: null,
  },
  gateEvent: { direction: 'in', containerNumber: VALID_CONTAINER, sealNumbers: ['SEAL-0042'], status: 'draft', correctsId: null },
  equipmentInterchange: { equipmentType: 'chassis', toCarrier: 'Harbor Haulers', damages: ['left marker lamp broken'], status: 'draft' },
  yardCount: { itemCode: 'chassis-40ft', tally: 3, onHand: null },
  billingLine: { workOrderId: 'wo-1', quantity: 2, unitPriceCents: 4250, partsUsed: null },
  note: { subjectId: 'wo-1', body: 'Gate 3 camera is down' },
  repairCertification: { equipmentNumber: 'TRK-104', repairs: [{ defect: 'item:parking-brake', label: 'Parking brake', disposition: 'repaired' }] },
};

let device: TestDevice;
let core: DeviceCore;

function create(recordType: RecordType, ops: FieldOperation[] = VALID_CREATES[recordType]): string {
  return core.perform({ recordType, action: 'create', ops }).record.id;
}

it('a submit with no operations only seals the record, in one signed entry', () => {
  const id = core.perform({ recordType: 'gateEvent', action: 'create', ops: VALID_CREATES.gateEvent }).record.id;
  const before = core.status().journal.lastSeq;
  const { seq, record } = core.perform({ recordType: 'gateEvent', recordId: id, action: 'submit', ops: [] });
  expect(seq).toBe(before + 1);
  expect(record.fields.status).toBe('submitted');
  expect(core.verifyJournal().ok).toBe(true);
});

function submittedGateEvent(): string {
  const id = create('gateEvent');
  core.perform({ recordType: 'gateEvent', recordId: id, action: 'submit', ops: [{ op: 'add', field: 'sealNumbers', member: 'SEAL-0043' }] });
  return id;
}

function submittedInspection(): string {
  const id = create('inspection');
  core.perform({ recordType: 'inspection', recordId: id, action: 'update', ops: [{ op: 'set', field: 'signature', value: SIGNATURE }] });
  core.perform({ recordType: 'inspection', recordId: id, action: 'submit', ops: [{ op: 'set', field: 'submittedAt', value: device.clock.now() }] });
  return id;
}

beforeEach(() => {
  device = openTestDevice({ seed: 'write-path' });
  core = device.core;
  SIGNATURE = core.putAttachment('image/png', SIGNATURE_PNG).sha256;
  PHOTO = core.putAttachment('image/png', PHOTO_PNG).sha256;
  core.signIn(CLERK.badgeId, CLERK.pin);
});

afterEach(() => {
  if (core.database.sqlite.open) expect(core.verifyJournal()).toMatchObject({ ok: true });
  core.close();
});

describe('a valid action', () => {
  it.each(Object.keys(VALID_CREATES) as RecordType[])('creates a %s: record, one signed journal entry and one pending outbox row, all durable', (recordType) => {
    const before = core.status();
    const { seq, record } = core.perform({ recordType, action: 'create', ops: VALID_CREATES[recordType] });

    expect(record.fields).toMatchObject(EXPECTED_FIELDS[recordType]);
    expect(record).toMatchObject({ type: recordType, lastSeq: seq, syncState: 'local', deleted: false, createdBy: CLERK.operatorId });
    expect(core.getRecord(recordType, record.id)).toEqual(record);
    const after = core.status();
    expect(after.journal.entries).toBe(before.journal.entries + 1);
    expect(after.journal.lastSeq).toBe(seq);
    expect(after.outbox.pending).toBe(before.outbox.pending + 1);
    expect(core.journal({ fromSeq: seq })).toEqual([
      expect.objectContaining({
        body: expect.objectContaining({ kind: 'record', seq, recordType, recordId: record.id, action: 'create', ops: VALID_CREATES[recordType] }),
      }),
    ]);

    device = device.reopen();
    core = device.core;
    expect(core.getRecord(recordType, record.id)).toEqual(record);
    expect(core.journal({ fromSeq: seq, toSeq: seq })).toHaveLength(1);
    // Closing the device added the signed session-close of the quit, also pending.
    expect(core.status().outbox.pending).toBe(after.outbox.pending + 1);
  });

  it('applies set, increment, add/remove and tombstone to an existing record, one entry each', () => {
    const id = create('yardCount');
    core.perform({ recordType: 'yardCount', recordId: id, action: 'update', ops: [{ op: 'increment', field: 'tally', by: -1 }, { op: 'set', field: 'location', value: 'row D' }] });
    const gate = create('gateEvent');
    core.perform({ recordType: 'gateEvent', recordId: gate, action: 'update', ops: [{ op: 'add', field: 'photos', member: PHOTO }, { op: 'remove', field: 'sealNumbers', member: 'SEAL-0042' }] });
    expect(core.getRecord('gateEvent', gate)!.fields).toMatchObject({ photos: [PHOTO], sealNumbers: [] });
    const { seq } = core.perform({ recordType: 'yardCount', recordId: id, action: 'delete', ops: [{ op: 'tombstone' }] });

    // A delete is soft: the row stays, marked deleted, with its fields, for audit and sync.
    expect(core.getRecord('yardCount', id)).toMatchObject({ deleted: true, lastSeq: seq, fields: { tally: 2, location: 'row D' } });
    expect(core.listRecords('yardCount')).toEqual([]);
    expect(core.recordHistory('yardCount', id).map((entry) => entry.body.kind === 'record' && entry.body.action)).toEqual(['create', 'update', 'delete']);
  });
});

describe('an invalid action is refused with a clear error and writes nothing', () => {
  interface Refusal {
    tried: string;
    input: () => unknown;
    code: Parameters<typeof expectCoreError>[1];
    message: RegExp;
  }
  const note = (ops: unknown, extra: Record<string, unknown> = {}) => ({ recordType: 'note', action: 'create', ops, ...extra });
  const noteBody = [...VALID_CREATES.note];
  const refusals: Refusal[] = [
    { tried: 'input that is not an object', input: () => null, code: 'invalid-input', message: /^invalid action: input: / },
    { tried: 'ops that are not a list', input: () => note('body=hello'), code: 'invalid-input', message: /^invalid action: ops: / },
    { tried: 'a create with no operations at all', input: () => note([]), code: 'invalid-input', message: /^invalid action: ops: every create needs at least one operation$/ },
    { tried: 'an unknown operation', input: () => note([{ op: 'multiply', field: 'body', by: 2 }]), code: 'invalid-input', message: /^invalid action: ops\.0\.op: / },
    { tried: 'an unknown record type', input: () => ({ recordType: 'invoice', action: 'create', ops: noteBody }), code: 'invalid-input', message: /^invalid action: recordType: / },
    { tried: 'an unknown action', input: () => note(noteBody, { action: 'archive' }), code: 'invalid-input', message: /^invalid action: action: / },
    { tried: 'an update without a record id', input: () => ({ recordType: 'note', action: 'update', ops: noteBody }), code: 'invalid-input', message: /recordId is required/ },
    { tried: 'a record id with forbidden characters', input: () => ({ recordType: 'note', recordId: 'note/../../x', action: 'update', ops: noteBody }), code: 'invalid-input', message: /^invalid action: recordId: / },
    { tried: 'an update of a record that does not exist', input: () => ({ recordType: 'note', recordId: 'note-nowhere', action: 'update', ops: [{ op: 'set', field: 'body', value: 'x' }] }), code: 'unknown-record', message: /no such note/ },
    { tried: 'an unknown field', input: () => note([...noteBody, { op: 'set', field: 'colour', value: 'red' }]), code: 'unknown-field', message: /Note has no field colour/ },
    { tried: 'an inherited property name as field', input: () => note([...noteBody, { op: 'set', field: 'constructor', value: 'x' }]), code: 'unknown-field', message: /no field constructor/ },
    { tried: 'increment on a text field', input: () => note([...noteBody, { op: 'increment', field: 'body', by: 1 }]), code: 'wrong-operation', message: /increment does not apply to body/ },
    { tried: 'set on a counter', input: () => ({ recordType: 'yardCount', action: 'create', ops: [...VALID_CREATES.yardCount, { op: 'set', field: 'tally', value: 7 }] }), code: 'wrong-operation', message: /tally .*use increment/ },
    { tried: 'add to a scalar field', input: () => note([...noteBody, { op: 'add', field: 'body', member: 'x' }]), code: 'wrong-operation', message: /add does not apply to body/ },
    { tried: 'set of a map field without a key', input: () => ({ recordType: 'inspection', action: 'create', ops: [...VALID_CREATES.inspection, { op: 'set', field: 'items', value: { result: 'pass' } }] }), code: 'wrong-operation', message: /items needs key/ },
    { tried: 'setting a submittable status by hand', input: () => ({ recordType: 'gateEvent', action: 'create', ops: [...VALID_CREATES.gateEvent, { op: 'set', field: 'status', value: 'submitted' }] }), code: 'wrong-operation', message: /status changes by submitting/ },
    { tried: 'a negative quantity', input: () => ({ recordType: 'billingLine', action: 'create', ops: [...VALID_CREATES.billingLine, { op: 'set', field: 'quantity', value: -1 }] }), code: 'invalid-value', message: /^quantity: / },
    { tried: 'a value outside an enum', input: () => ({ recordType: 'gateEvent', action: 'create', ops: [...VALID_CREATES.gateEvent, { op: 'set', field: 'direction', value: 'sideways' }] }), code: 'invalid-value', message: /^direction: / },
    { tried: 'a photo that is not a SHA-256', input: () => ({ recordType: 'gateEvent', action: 'create', ops: [...VALID_CREATES.gateEvent, { op: 'add', field: 'photos', member: 'IMG_0001.jpg' }] }), code: 'invalid-value', message: /named by its SHA-256/ },
    { tried: 'a container number with a wrong check digit', input: () => ({ recordType: 'gateEvent', action: 'create', ops: [...VALID_CREATES.gateEvent, { op: 'set', field: 'containerNumber', value: WRONG_CHECK_DIGIT_CONTAINER }] }), code: 'invalid-value', message: /container number TGHU6201434: check digit should be 7, not 4/ },
    { tried: 'a container number that is not ISO 6346', input: () => ({ recordType: 'gateEvent', action: 'create', ops: [...VALID_CREATES.gateEvent, { op: 'set', field: 'containerNumber', value: 'ABC123' }] }), code: 'invalid-value', message: /3 letters, U\/J\/Z, 6 digits and a check digit/ },
    { tried: 'a create missing a required field', input: () => note(noteBody.filter((op) => op.op !== 'set' || op.field !== 'body')), code: 'missing-field', message: /Note needs body/ },
    { tried: 'a non-finite number', input: () => ({ recordType: 'billingLine', action: 'create', ops: [...VALID_CREATES.billingLine, { op: 'set', field: 'quantity', value: Number.POSITIVE_INFINITY }] }), code: 'invalid-input', message: /^invalid action: ops\.4\.value: / },
    { tried: 'a __proto__ key on the action', input: () => JSON.parse(`{"recordType":"note","action":"create","ops":${JSON.stringify(noteBody)},"__proto__":{"polluted":true}}`), code: 'invalid-input', message: /__proto__/ },
    { tried: 'a __proto__ key on an operation', input: () => note(JSON.parse('[{"op":"set","field":"body","value":"x","__proto__":{"polluted":true}}]')), code: 'invalid-input', message: /__proto__/ },
    { tried: '__proto__ as a field name', input: () => note([...noteBody, { op: 'set', field: '__proto__', value: { polluted: true } }]), code: 'unknown-field', message: /Note has no field __proto__/ },
    { tried: '__proto__ as a map key', input: () => ({ recordType: 'inspection', action: 'create', ops: [...VALID_CREATES.inspection, { op: 'set', field: 'items', key: '__proto__', value: { result: 'pass' } }] }), code: 'invalid-input', message: /^invalid action: ops\.14\.key: the key __proto__ is not allowed$/ },
    { tried: 'a value nested 100,000 arrays deep (would overflow the parser stack)', input: () => note([{ op: 'set', field: 'body', value: deeplyNested(100_000) }]), code: 'invalid-input', message: /^invalid action: ops\.0\.value: values nest at most 32 levels deep$/ },
    { tried: 'a __proto__ key inside a structured value', input: () => ({ recordType: 'billingLine', action: 'create', ops: [...VALID_CREATES.billingLine, { op: 'set', field: 'partsUsed', value: JSON.parse('[{"part":"valve","quantity":1,"__proto__":{"polluted":true}}]') }] }), code: 'invalid-input', message: /^invalid action: ops\.4\.value: the key __proto__ is not allowed \(at 0\.__proto__\)$/ },
    { tried: 'a NUL character pasted into a note', input: () => note([...noteBody.slice(0, 2), { op: 'set', field: 'body', value: 'brake line \u0000 chafed' }]), code: 'invalid-input', message: /^invalid action: ops\.2\.value: text may not contain NUL characters or broken Unicode \(unpaired surrogates\)$/ },
    { tried: 'a lone surrogate inside a checklist answer', input: () => ({ recordType: 'inspection', action: 'create', ops: [...VALID_CREATES.inspection, { op: 'set', field: 'items', key: 'horn', value: { result: 'fail', note: 'cracked \ud83d' } }] }), code: 'invalid-input', message: /^invalid action: ops\.14\.value: text may not contain NUL characters or broken Unicode \(unpaired surrogates\) \(at note\)$/ },
    { tried: 'a NUL character in a key of a structured value', input: () => ({ recordType: 'billingLine', action: 'create', ops: [...VALID_CREATES.billingLine, { op: 'set', field: 'partsUsed', value: [{ part: 'valve', quantity: 1, ['lot\u0000']: 'x' }] }] }), code: 'invalid-input', message: /^invalid action: ops\.4\.value: text may not contain .* \(in a key at 0\)$/ },
    { tried: 'a NUL character in a seal number', input: () => ({ recordType: 'gateEvent', action: 'create', ops: [...VALID_CREATES.gateEvent, { op: 'add', field: 'sealNumbers', member: 'SEAL\u00000043' }] }), code: 'invalid-input', message: /^invalid action: ops\.7\.member: text may not contain NUL characters/ },
    { tried: 'an extra key on the action', input: () => note(noteBody, { priority: 'high' }), code: 'invalid-input', message: /priority/ },
    { tried: 'an extra key on an operation', input: () => note([...noteBody.slice(0, 2), { op: 'set', field: 'body', value: 'x', reason: 'typo' }]), code: 'invalid-input', message: /reason/ },
  ];

  it.each(refusals)('$tried → $code', ({ input, code, message }) => {
    create('note');
    expectRefusedWithoutWriting(core, () => core.perform(input()), code, message);
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses edits of existing records that their state forbids', () => {
    const gate = submittedGateEvent();
    const inspection = submittedInspection();
    const draftGate = create('gateEvent');
    const noteId = create('note');
    const deletedNote = create('note');
    core.perform({ recordType: 'note', recordId: deletedNote, action: 'delete', ops: [{ op: 'tombstone' }] });
    const incomplete = create('inspection');
    const set = (field: string, value: unknown) => [{ op: 'set', field, value }];
    const attempts: [string, unknown, Parameters<typeof expectCoreError>[1], RegExp][] = [
      ['edit of a submitted gate event', { recordType: 'gateEvent', recordId: gate, action: 'update', ops: set('truckPlate', '9XYZ999') }, 'record-immutable', /Gate event was submitted and cannot change; record a correction instead/],
      ['resubmit of a submitted gate event', { recordType: 'gateEvent', recordId: gate, action: 'submit', ops: set('truckPlate', '9XYZ999') }, 'record-immutable', /was submitted/],
      ['edit of a submitted inspection', { recordType: 'inspection', recordId: inspection, action: 'update', ops: [{ op: 'set', field: 'items', key: 'horn', value: { result: 'pass' } }] }, 'record-immutable', /Inspection was submitted/],
      ['tombstone of a gate event', { recordType: 'gateEvent', recordId: draftGate, action: 'delete', ops: [{ op: 'tombstone' }] }, 'not-deletable', /a gate event cannot be deleted/],
      ['tombstone of an inspection', { recordType: 'inspection', recordId: incomplete, action: 'delete', ops: [{ op: 'tombstone' }] }, 'not-deletable', /an? inspection cannot be deleted/],
      ['tombstone inside an update', { recordType: 'note', recordId: noteId, action: 'update', ops: [{ op: 'tombstone' }] }, 'wrong-operation', /tombstone is only allowed in a delete/],
      ['delete with more than a tombstone', { recordType: 'note', recordId: noteId, action: 'delete', ops: [{ op: 'tombstone' }, ...set('body', 'x')] }, 'wrong-operation', /single tombstone/],
      ['change of a field fixed at creation', { recordType: 'note', recordId: noteId, action: 'update', ops: set('subjectId', 'wo-2') }, 'immutable-field', /subjectId is set when the note is created/],
      ['a create with an id that exists', { recordType: 'note', recordId: noteId, action: 'create', ops: VALID_CREATES.note }, 'record-exists', /Note already exists/],
      ['an update of a deleted record', { recordType: 'note', recordId: deletedNote, action: 'update', ops: set('body', 'x') }, 'record-deleted', /Note was deleted/],
      ['submit of an unsigned inspection', { recordType: 'inspection', recordId: incomplete, action: 'submit', ops: set('remarks', 'done') }, 'incomplete', /the inspection must be signed/],
      ['submit of a type that is not submitted', { recordType: 'note', recordId: noteId, action: 'submit', ops: set('body', 'x') }, 'not-submittable', /a note is not submitted/],
    ];
    for (const [, input, code, message] of attempts) expectRefusedWithoutWriting(core, () => core.perform(input), code, message);
    expect(core.getRecord('gateEvent', gate)!.fields).toMatchObject({ status: 'submitted', truckPlate: '7ABC123' });
  });
});

describe('corrections', () => {
  it.each([
    ['gateEvent', submittedGateEvent, VALID_CREATES.gateEvent] as const,
    ['inspection', submittedInspection, VALID_CREATES.inspection] as const,
  ])('a %s correction is a new record that references the submitted original, which stays unchanged', (recordType, submitOriginal, ops) => {
    const originalId = submitOriginal();
    const original = core.getRecord(recordType, originalId);
    const { record } = core.perform({ recordType, action: 'create', ops: [...ops, { op: 'set', field: 'correctsId', value: originalId }] });

    expect(record.id).not.toBe(originalId);
    expect(record.fields).toMatchObject({ correctsId: originalId, status: 'draft' });
    expect(core.getRecord(recordType, originalId)).toEqual(original);
    expect(core.recordHistory(recordType, originalId).at(-1)?.body.seq).toBe(original!.lastSeq);
  });

  it('refuses to correct a draft, a missing record or a record of another type, writing nothing', () => {
    const draft = create('gateEvent');
    const inspection = submittedInspection();
    const correcting = (correctsId: string) => ({ recordType: 'gateEvent', action: 'create', ops: [...VALID_CREATES.gateEvent, { op: 'set', field: 'correctsId', value: correctsId }] });

    expectRefusedWithoutWriting(core, () => core.perform(correcting(draft)), 'invalid-correction', /^only a submitted gate event can be corrected; edit the draft instead$/);
    expectRefusedWithoutWriting(core, () => core.perform(correcting('gateEvent-nowhere')), 'invalid-correction', /^the gate event being corrected \(gateEvent-nowhere\) does not exist$/);
    expectRefusedWithoutWriting(core, () => core.perform(correcting(inspection)), 'invalid-correction', /does not exist/);
  });
});

describe('a full disk', () => {
  it('refuses each action that does not fit with storage-full, whole, keeps every earlier action, and recovers when space returns', () => {
    const sqlite = core.database.sqlite;
    let pageLimit = (sqlite.pragma('page_count', { simple: true }) as number) + 2;
    sqlite.pragma(`max_page_count = ${pageLimit}`);

    // After each refusal one more page becomes free, and the bodies vary in size, so the page that
    // runs out is sometimes the journal's and sometimes the record table's or the outbox's, after
    // earlier statements of the same action succeeded: none of that may be left behind.
    const bodySizes = [400, 3, 150, 1200, 40, 700, 10, 90];
    const saved: { id: string; seq: number }[] = [];
    let refusals = 0;
    for (let attempt = 0; attempt < 500 && refusals < 24; attempt++) {
      const before = storeFootprint(core);
      const body = `remark ${attempt} ${'x'.repeat(bodySizes[attempt % bodySizes.length]!)}`;
      try {
        const { seq, record } = core.perform({ recordType: 'note', action: 'create', ops: [...VALID_CREATES.note.slice(0, 2), { op: 'set', field: 'body', value: body }] });
        saved.push({ id: record.id, seq });
        const after = storeFootprint(core);
        expect([after.journal.entries, after.outbox.pending, after.records.length]).toEqual([before.journal.entries + 1, before.outbox.pending + 1, before.records.length + 1]);
      } catch (error) {
        expect(error).toMatchObject({ name: 'CoreError', code: 'storage-full', message: 'the disk is full: the action was not saved, nothing was lost' });
        expect(storeFootprint(core)).toEqual(before);
        refusals++;
        sqlite.pragma(`max_page_count = ${++pageLimit}`);
      }
    }
    expect(refusals).toBe(24);
    expect(saved.length).toBeGreaterThan(0);
    for (const { id, seq } of saved) expect(core.getRecord('note', id)).toMatchObject({ lastSeq: seq, deleted: false });
    expect(core.verifyJournal()).toMatchObject({ ok: true });

    sqlite.pragma('max_page_count = 1073741823');
    const lastSeq = core.status().journal.lastSeq;
    const { seq } = core.perform({ recordType: 'note', action: 'create', ops: VALID_CREATES.note });
    expect(seq).toBe(lastSeq + 1);
    device = device.reopen();
    core = device.core;
    expect(core.listRecords('note')).toHaveLength(saved.length + 1);
  });
});

describe('the journal is append-only in the database itself', () => {
  it('refuses UPDATE and DELETE of entries outside compaction, whatever the SQL', () => {
    create('note');
    const sqlite = core.database.sqlite;
    const before = storeFootprint(core);
    const journalRows = () => sqlite.prepare('SELECT * FROM journal ORDER BY seq').all();
    const rows = journalRows();

    expect(() => sqlite.prepare(`UPDATE journal SET body = '{}' WHERE seq = 2`).run()).toThrow(/journal is append-only: entries cannot be changed/);
    expect(() => sqlite.prepare('UPDATE journal SET seq = seq + 100').run()).toThrow(/journal is append-only/);
    expect(() => sqlite.prepare('DELETE FROM journal WHERE seq = 2').run()).toThrow(/only acknowledged entries covered by a checkpoint can be compacted/);
    expect(() => sqlite.prepare('DELETE FROM journal').run()).toThrow(/journal is append-only/);
    // Raising the compaction flag by hand is not enough: the entry must also be acknowledged and checkpointed.
    sqlite.prepare('UPDATE device SET compacting = 1').run();
    expect(() => sqlite.prepare('DELETE FROM journal WHERE seq = 2').run()).toThrow(/journal is append-only/);
    core.acknowledge([1, 2]);
    expect(() => sqlite.prepare('DELETE FROM journal WHERE seq = 2').run()).toThrow(/journal is append-only/);
    sqlite.prepare('UPDATE device SET compacting = 0').run();

    expect(journalRows()).toEqual(rows);
    expect(storeFootprint(core).journal).toEqual(before.journal);
  });

  it('lets compaction remove acknowledged entries into a checkpoint, which is itself unchangeable', () => {
    create('note');
    create('note');
    core.acknowledge([1, 2]);
    expect(core.compact()).toHaveLength(1);
    expect(core.journal().map((entry) => entry.body.seq)).toEqual([3]);
    const sqlite = core.database.sqlite;
    expect(() => sqlite.prepare('DELETE FROM checkpoints').run()).toThrow(/checkpoints cannot be deleted/);
    expect(() => sqlite.prepare('UPDATE checkpoints SET head = from_seq').run()).toThrow(/checkpoints cannot be changed/);
    expect(core.verifyJournal()).toMatchObject({ ok: true });
  });
});

function deeplyNested(levels: number): unknown {
  let value: unknown = 'x';
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}
