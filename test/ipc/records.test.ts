import { describe, expect, it } from 'vitest';
import type { HistoryEntryView, IpcResult, RecordDetailView, RecordSearchView } from '../../main/ipc/contract.js';
import { insertConflict, markFailed, writeSyncValue } from '../../db/queries/sync.js';
import { RETENTION_WINDOW_MS } from '../../protocol/state-hash.js';
import { storeFootprint } from '../support/core-assertions.js';
import { CLERK, INSPECTOR } from '../support/device.js';
import { useIpcTestDevice } from '../support/ipc-device.js';
import { gateEventCreate, submit, update, VALID_CREATES } from '../support/actions.js';
import { signaturePng } from '../support/inspection.js';

/**
 * The Records screens' calls: records.search finds records by unit, plate or container number in a
 * time range, in the core and bounded; records.open answers a whole record with every field
 * labelled; records.history says who changed what and what the office made of it. Malformed
 * searches are refused with a clear error and write nothing.
 */
const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
/** 22 November 2026 in UTC: the test clock's day. */
const TODAY = Date.UTC(2026, 10, 22);
const YESTERDAY = TODAY - DAY;

const ipc = useIpcTestDevice();

async function expectValue<T>(result: Promise<IpcResult>): Promise<T> {
  const settled = await result;
  if (!settled.ok) throw new Error(`expected success, got ${settled.error.code}: ${settled.error.message}`);
  return settled.value as T;
}

async function signIn(operator: { badgeId: string; pin: string }): Promise<void> {
  await expectValue(ipc.handle('session.signIn', { badgeId: operator.badgeId, pin: operator.pin }));
}

function gateEvent(truckPlate: string, recordedAt: number, containerNumber = 'CSQU3054383'): string {
  const create = gateEventCreate({ truckPlate, containerNumber });
  const ops = create.ops.map((op) => (op.field === 'recordedAt' ? { ...op, value: recordedAt } : op));
  return ipc.device.core.perform({ ...create, ops }).record.id;
}

function search(input: Record<string, unknown>): Promise<RecordSearchView> {
  return expectValue<RecordSearchView>(ipc.handle('records.search', input));
}

const titles = (found: RecordSearchView) => found.rows.map((row) => row.title);

describe('records.search', () => {
  it('finds gate events by plate and container number, ignoring case, spaces and hyphens, within the day, newest first', async () => {
    await signIn(CLERK);
    gateEvent('7ABC 123', TODAY + 8 * HOUR);
    gateEvent('8XYZ999', TODAY + 10 * HOUR, 'MSCU1234566');
    gateEvent('7ABC123', YESTERDAY + 15 * HOUR);
    const today = { recordType: 'gateEvent', from: TODAY, to: TODAY + DAY };

    expect(titles(await search(today))).toEqual(['Gate-in of 8XYZ999', 'Gate-in of 7ABC 123']);
    expect(titles(await search({ ...today, text: '7abc123' }))).toEqual(['Gate-in of 7ABC 123']);
    expect(titles(await search({ ...today, text: ' 7aBc ' }))).toEqual(['Gate-in of 7ABC 123']);
    // ISO 6346 numbers as they are written on the box, with or without the check digit.
    for (const text of ['mscu 123456 6', 'MSCU-123456-6', 'mscu123456', 'MSCU 123456']) {
      expect(titles(await search({ ...today, text }))).toEqual(['Gate-in of 8XYZ999']);
    }
    expect(titles(await search({ recordType: 'gateEvent', text: '7ABC123', from: YESTERDAY, to: TODAY + DAY }))).toEqual(['Gate-in of 7ABC 123', 'Gate-in of 7ABC123']);
    expect(titles(await search({ recordType: 'gateEvent', text: '7ABC123', from: YESTERDAY, to: TODAY }))).toEqual(['Gate-in of 7ABC123']);
    expect(await search({ ...today, text: 'NOPE42' })).toEqual({ rows: [], more: false, keptSince: null });
  });

  it('finds equipment interchanges by equipment number, at the time the equipment changed hands', async () => {
    await signIn(CLERK);
    ipc.device.core.perform({ recordType: 'equipmentInterchange', action: 'create', ops: VALID_CREATES.equipmentInterchange });
    const found = await search({ recordType: 'equipmentInterchange', text: 'dclz402211', from: TODAY, to: TODAY + DAY });
    expect(found.rows.map((row) => [row.title, row.at])).toEqual([['Interchange of DCLZ 402211', TODAY + 9 * HOUR]]);
  });

  it('answers each row with its title, local time, who recorded it, its state and its sync state in a word', async () => {
    await signIn(CLERK);
    const id = gateEvent('7ABC123', TODAY + 8 * HOUR);
    ipc.device.core.perform(submit('gateEvent', id));
    const [row] = (await search({ recordType: 'gateEvent', from: TODAY, to: TODAY + DAY })).rows;
    expect(row).toEqual({
      recordType: 'gateEvent',
      recordId: id,
      title: 'Gate-in of 7ABC123',
      at: TODAY + 8 * HOUR,
      who: CLERK.displayName,
      sync: 'on-device',
      status: 'submitted',
      correction: false,
    });
  });

  it('lists inspections at their submission, drafts at their start, and finds them by unit number', async () => {
    await signIn(INSPECTOR);
    const draft = ipc.device.core.perform({ recordType: 'inspection', action: 'create', ops: VALID_CREATES.inspection }).record.id;
    const submitted = ipc.device.core.perform({
      recordType: 'inspection',
      action: 'create',
      ops: VALID_CREATES.inspection.map((op) => (op.op === 'set' && op.field === 'equipmentNumber' ? { ...op, value: 'CHZ-5521' } : op)),
    }).record.id;
    const { sha256 } = ipc.device.core.putAttachment('image/png', signaturePng('records'));
    ipc.device.core.perform(update('inspection', submitted, { signature: sha256 }));
    ipc.device.core.submitInspection(submitted, TODAY + 10 * HOUR);

    const found = await search({ recordType: 'inspection', from: TODAY, to: TODAY + DAY });
    expect(found.rows.map((row) => [row.recordId, row.at, row.status])).toEqual([
      [submitted, TODAY + 10 * HOUR, 'submitted'],
      [draft, TODAY + 8 * HOUR, 'draft'],
    ]);
    expect(titles(await search({ recordType: 'inspection', text: 'chz 5521', from: TODAY, to: TODAY + DAY }))).toEqual(['Inspection of CHZ-5521']);
    expect(titles(await search({ recordType: 'inspection', text: 'trk104', from: TODAY, to: TODAY + DAY }))).toEqual(['Inspection of TRK-104']);
  });

  it('answers at most the limit asked for, newest first, and says more records match', async () => {
    await signIn(CLERK);
    for (let hour = 0; hour < 5; hour++) gateEvent(`PLATE${hour}`, TODAY + hour * HOUR);
    const found = await search({ recordType: 'gateEvent', from: TODAY, to: TODAY + DAY, limit: 3 });
    expect(titles(found)).toEqual(['Gate-in of PLATE4', 'Gate-in of PLATE3', 'Gate-in of PLATE2']);
    expect(found.more).toBe(true);
    expect((await search({ recordType: 'gateEvent', from: TODAY, to: TODAY + DAY, limit: 5 })).more).toBe(false);
  });

  it("says from when records are kept on an enrolled device: the kiosk's 30 days", async () => {
    await signIn(CLERK);
    writeSyncValue(ipc.device.core.database.db, 'enrollment', {
      deviceId: ipc.device.core.deviceId,
      kind: 'kiosk',
      siteId: 'site-oak',
      organisationId: 'org-1',
      credential: 'secret-credential-0123456789',
      serverPublicKey: 'c'.repeat(64),
      enrolledAt: 1,
    });
    expect((await search({ recordType: 'gateEvent', from: TODAY, to: TODAY + DAY })).keptSince).toBe(ipc.device.clock.now() - RETENTION_WINDOW_MS.kiosk);
  });

  it('refuses malformed searches with a clear error, naming the field, and writes nothing', async () => {
    await signIn(CLERK);
    const valid = { recordType: 'gateEvent', text: '7ABC', from: TODAY, to: TODAY + DAY };
    const refusals: [Record<string, unknown>, RegExp][] = [
      [{ ...valid, text: 'X'.repeat(65) }, /^text: is too long for a search: at most 64 characters$/],
      [{ ...valid, text: 'AB\u0000C' }, /^text: text may not contain NUL/],
      [{ ...valid, text: 42 }, /^text: must be text$/],
      [{ ...valid, recordType: 'workOrder' }, /^recordType: must be an inspection, a gate event or an equipment interchange$/],
      [{ ...valid, recordType: 'payroll' }, /^recordType: /],
      [{ ...valid, from: TODAY + DAY, to: TODAY }, /^to: the range must end after it starts$/],
      [{ ...valid, from: 1.5 }, /^from: must be a whole number of milliseconds$/],
      [{ ...valid, from: -1 }, /^from: cannot be before 1970$/],
      [{ ...valid, to: 'tomorrow' }, /^to: must be a time$/],
      [{ recordType: 'gateEvent', text: '7ABC' }, /^from: must be a time$/],
      [{ ...valid, limit: 0 }, /^limit: must be 1 or more$/],
      [{ ...valid, limit: 1000 }, /^limit: is at most 100$/],
      [{ ...valid, everything: true }, /everything/],
    ];
    for (const [input, message] of refusals) {
      const before = storeFootprint(ipc.device.core);
      expect(await ipc.handle('records.search', input)).toEqual({ ok: false, error: expect.objectContaining({ code: 'invalid-input', message: expect.stringMatching(message) }) });
      expect(storeFootprint(ipc.device.core)).toEqual(before);
    }
    const refused = await ipc.handle('records.search', { ...valid, text: 'X'.repeat(65) });
    expect(!refused.ok && refused.error.field).toBe('text');
  });

  it('refuses to search or open records before sign-in', async () => {
    expect(await ipc.handle('records.search', { recordType: 'gateEvent', from: TODAY, to: TODAY + DAY })).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'not-signed-in' }),
    });
    expect(await ipc.handle('records.open', { recordType: 'gateEvent', recordId: 'gate-1' })).toEqual({ ok: false, error: expect.objectContaining({ code: 'not-signed-in' }) });
  });
});

describe('records.open', () => {
  it('answers every field of an inspection by its label: checklist answers by item, photos, signature, submission time', async () => {
    await signIn(INSPECTOR);
    const id = ipc.device.core.perform({ recordType: 'inspection', action: 'create', ops: [...VALID_CREATES.inspection, { op: 'set', field: 'odometer', value: 120500 }] }).record.id;
    const photo = ipc.device.core.putAttachment('image/png', signaturePng('defect photo')).sha256;
    const signature = ipc.device.core.putAttachment('image/png', signaturePng('inspector')).sha256;
    ipc.device.core.perform({ recordType: 'inspection', recordId: id, action: 'update', ops: [{ op: 'add', field: 'photos', member: photo }, { op: 'set', field: 'signature', value: signature }] });
    ipc.device.core.submitInspection(id, TODAY + 9 * HOUR);

    const opened = await expectValue<RecordDetailView>(ipc.handle('records.open', { recordType: 'inspection', recordId: id }));
    expect(opened.row).toMatchObject({ title: 'Inspection of TRK-104', at: TODAY + 9 * HOUR, who: INSPECTOR.displayName, sync: 'on-device', status: 'submitted' });
    expect(opened.kind).toBe('Inspection');
    const field = (name: string) => opened.fields.find((shown) => shown.field === name);
    expect(opened.fields.map((shown) => shown.label)).toEqual([
      'Work order',
      'Checklist',
      'Unit / trailer number',
      'Odometer (miles)',
      'Checklist answers',
      'Defects',
      'Defect photos',
      'Inspector signature',
      'Remarks',
      'Status',
      'Submitted at',
      'Corrects',
    ]);
    expect(field('templateId')?.value).toEqual({ kind: 'text', text: 'Driver vehicle inspection — power unit' });
    expect(field('odometer')?.value).toEqual({ kind: 'number', value: 120500 });
    expect(field('defects')?.value).toEqual({ kind: 'list', items: ['parking brake'] });
    expect(field('photos')?.value).toEqual({ kind: 'photos', sha256: [photo] });
    expect(field('signature')?.value).toEqual({ kind: 'signature', sha256: signature });
    expect(field('status')?.value).toEqual({ kind: 'text', text: 'Submitted' });
    expect(field('submittedAt')?.value).toEqual({ kind: 'time', at: TODAY + 9 * HOUR });
    expect(field('workOrderId')?.value).toEqual({ kind: 'record', record: null });
    const checklist = field('items')?.value;
    expect(checklist?.kind === 'checklist' && checklist.answers.slice(0, 3)).toEqual([
      { label: 'Service brakes including trailer brake connections', result: 'pass', note: null },
      { label: 'Parking brake', result: 'fail', note: 'does not hold on grade' },
      { label: 'Steering mechanism', result: 'pass', note: null },
    ]);
    expect(opened.correctable).toBe(true);
    expect(await expectValue(ipc.handle('records.open', { recordType: 'inspection', recordId: 'inspection-gone' }))).toBeNull();
  });

  it('links a gate event and its correction both ways; a corrected event is not correctable again', async () => {
    await signIn(CLERK);
    const original = gateEvent('7ABC123', YESTERDAY + 15 * HOUR);
    ipc.device.core.perform(submit('gateEvent', original));
    const create = gateEventCreate({ truckPlate: '7ABC123', carrier: 'Harbor Haulers' });
    const correction = ipc.device.core.perform({ ...create, ops: [...create.ops, { op: 'set', field: 'correctsId', value: original }] }).record.id;

    const opened = await expectValue<RecordDetailView>(ipc.handle('records.open', { recordType: 'gateEvent', recordId: original }));
    expect(opened.correctedBy).toEqual([{ recordType: 'gateEvent', recordId: correction, title: 'Gate-in of 7ABC123', openable: true }]);
    expect(opened.correctable).toBe(false);
    expect(opened.fields.find((shown) => shown.field === 'direction')).toEqual({ field: 'direction', label: 'Direction', value: { kind: 'text', text: 'Gate in' } });
    const fix = await expectValue<RecordDetailView>(ipc.handle('records.open', { recordType: 'gateEvent', recordId: correction }));
    expect(fix.row.correction).toBe(true);
    expect(fix.fields.find((shown) => shown.field === 'correctsId')?.value).toEqual({
      kind: 'record',
      record: { recordType: 'gateEvent', recordId: original, title: 'Gate-in of 7ABC123', openable: true },
    });
    // A draft cannot be corrected: it is edited.
    expect(fix.correctable).toBe(false);
  });

  it('refuses an id that is not an id, and a record type it does not open', async () => {
    await signIn(CLERK);
    expect(await ipc.handle('records.open', { recordType: 'gateEvent', recordId: '../../etc/passwd' })).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'invalid-input', field: 'recordId' }),
    });
    expect(await ipc.handle('records.open', { recordType: 'note', recordId: 'note-1' })).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'invalid-input', message: 'recordType: must be an inspection, a gate event or an equipment interchange' }),
    });
  });
});

describe('records.history', () => {
  it('says who changed what, in labels, and what the office made of each change', async () => {
    await signIn(INSPECTOR);
    const created = ipc.device.core.perform({ recordType: 'inspection', action: 'create', ops: VALID_CREATES.inspection.slice(0, 3) });
    const id = created.record.id;
    const horn = ipc.device.core.perform({ recordType: 'inspection', recordId: id, action: 'update', ops: [{ op: 'set', field: 'items', key: 'horn', value: { result: 'pass' } }] });
    const remarks = ipc.device.core.perform(update('inspection', id, { remarks: 'Cab light flickers' }));
    const odometer = ipc.device.core.perform(update('inspection', id, { odometer: 120500 }));
    const photo = ipc.device.core.putAttachment('image/png', signaturePng('photo')).sha256;
    const photos = ipc.device.core.perform({ recordType: 'inspection', recordId: id, action: 'update', ops: [{ op: 'add', field: 'photos', member: photo }] });

    // As a push would leave them: the create accepted, the horn merged, the remarks rejected; the rest not sent yet.
    const { db } = ipc.device.core.database;
    ipc.device.core.acknowledge([created.seq, horn.seq]);
    insertConflict(db, { seq: horn.seq, operatorId: INSPECTOR.operatorId, recordType: 'inspection', recordId: id, outcome: 'merged', whatHappened: 'combined', createdAt: ipc.device.clock.now() });
    markFailed(db, remarks.seq, { reason: 'policy-rejected', message: 'remarks are closed on this unit' }, ipc.device.clock.now());

    const history = await expectValue<HistoryEntryView[]>(ipc.handle('records.history', { recordType: 'inspection', recordId: id }));
    expect(history.map((entry) => [entry.action, entry.operatorName, entry.office])).toEqual([
      ['create', INSPECTOR.displayName, { outcome: 'accepted', message: null }],
      ['update', INSPECTOR.displayName, { outcome: 'merged', message: null }],
      ['update', INSPECTOR.displayName, { outcome: 'rejected', message: 'remarks are closed on this unit' }],
      ['update', INSPECTOR.displayName, { outcome: 'not-sent', message: null }],
      ['update', INSPECTOR.displayName, { outcome: 'not-sent', message: null }],
    ]);
    expect(history[0]!.changes).toEqual([
      { label: 'Checklist', change: 'set', value: { kind: 'text', text: 'Driver vehicle inspection — power unit' } },
      { label: 'Unit / trailer number', change: 'set', value: { kind: 'text', text: 'TRK-104' } },
      { label: 'Checklist answers', change: 'set', value: { kind: 'checklist', answers: [{ label: 'Parking brake', result: 'fail', note: 'does not hold on grade' }] } },
    ]);
    expect(history[1]!.changes).toEqual([{ label: 'Checklist answers', change: 'set', value: { kind: 'checklist', answers: [{ label: 'Horn', result: 'pass', note: null }] } }]);
    expect(history[3]!.changes).toEqual([{ label: 'Odometer (miles)', change: 'set', value: { kind: 'number', value: 120500 } }]);
    expect(history[4]!.changes).toEqual([{ label: 'Defect photos', change: 'add', value: { kind: 'photos', sha256: [photo] } }]);
    expect(history.map((entry) => entry.seq)).toEqual([created.seq, horn.seq, remarks.seq, odometer.seq, photos.seq]);

    // The rejected change puts the inspection in front of the operator.
    const [row] = (await search({ recordType: 'inspection', from: TODAY, to: TODAY + DAY })).rows;
    expect(row?.sync).toBe('needs-review');
  });
});
