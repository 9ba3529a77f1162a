import { describe, expect, it } from 'vitest';
import { equipmentInterchange } from '../../protocol/records/interchange.js';
import { checkEquipmentNumber, damageMark, EMPTY_START, marksPerSide, parseStartDraft, readDamageMark, startInterchange, submitProblems, type Interchange } from './interchange.js';

const SIGNATURE = 'a'.repeat(64);

function draft(fields: Partial<Interchange> = {}): Interchange {
  return {
    id: 'eir-1',
    equipmentType: 'container',
    equipmentNumber: 'CSQU3054383',
    fromCarrier: 'Blue Line Drayage',
    toCarrier: 'Demo yard',
    condition: null,
    conditionNote: null,
    damages: [],
    photos: [],
    fromSignature: null,
    toSignature: null,
    interchangedAt: 1,
    status: 'draft',
    correctsId: null,
    startedAt: 1,
    ...fields,
  };
}

describe('damage marks', () => {
  it('are kept as readable words and read back, and words written otherwise are not taken for marks', () => {
    const mark = damageMark({ side: 'left', type: 'missing part', size: 'medium' });
    expect(mark).toBe('left · missing part · medium');
    expect(readDamageMark(mark)).toEqual({ side: 'left', type: 'missing part', size: 'medium' });
    for (const other of ['left door dented', 'left · dent', 'left · dent · medium · again', 'roof · dent · small', 'left · dent · huge', '']) expect(readDamageMark(other)).toBeNull();
  });

  it('are counted per side of the diagram', () => {
    const counts = marksPerSide(['left · dent · small', 'left · rust · large', 'top · hole · small', 'scraped somewhere']);
    expect(counts).toEqual({ front: 0, rear: 0, left: 2, right: 0, top: 1, interior: 0 });
  });

  it("fit the record type's damages: each is a short text the schema takes", () => {
    const longest = damageMark({ side: 'interior', type: 'missing part', size: 'medium' });
    expect(equipmentInterchange.fields.damages.schema.safeParse(longest).success).toBe(true);
  });
});

function startOps() {
  const started = startInterchange({ equipmentType: 'container', equipmentNumber: 'csqu 305438 3', fromCarrier: ' Blue Line Drayage ', toCarrier: 'Demo yard' }, 1_700_000_000_000);
  if (!started.ok) throw new Error(JSON.stringify(started.errors));
  return started.ops;
}

describe('starting an interchange', () => {
  it('records the identity normalised, every required field set, in one action', () => {
    const ops = startOps();
    expect(ops).toEqual([
      { op: 'set', field: 'equipmentType', value: 'container' },
      { op: 'set', field: 'equipmentNumber', value: 'CSQU3054383' },
      { op: 'set', field: 'fromCarrier', value: 'Blue Line Drayage' },
      { op: 'set', field: 'toCarrier', value: 'Demo yard' },
      { op: 'set', field: 'interchangedAt', value: 1_700_000_000_000 },
      { op: 'set', field: 'correctsId', value: null },
    ]);
    // The core refuses a record created without a required field other than the status it sets itself.
    const required = Object.entries(equipmentInterchange.fields).filter(([name, field]) => field.required && name !== 'status');
    for (const [name] of required) expect(ops.some((op) => op.op === 'set' && op.field === name)).toBe(true);
  });

  it('refuses a container number with a wrong check digit and empty parties, each beside its field', () => {
    const started = startInterchange({ equipmentType: 'container', equipmentNumber: 'CSQU3054384', fromCarrier: '', toCarrier: '  ' }, 1);
    expect(started).toEqual({
      ok: false,
      errors: { equipmentNumber: 'Check digit should be 3, not 4', fromCarrier: 'Enter the delivering party', toCarrier: 'Enter the receiving party' },
    });
  });

  it('checks only a container number against ISO 6346: a trailer or chassis number is any unit number', () => {
    expect(checkEquipmentNumber('container', '')).toEqual({ ok: false, message: 'Enter the container number' });
    expect(checkEquipmentNumber('container', 'CSQU30')).toEqual({ ok: false, message: 'A container number is 3 letters, U/J/Z, 6 digits and a check digit' });
    expect(checkEquipmentNumber('trailer', ' tr-5521 ')).toEqual({ ok: true, value: 'TR-5521' });
    expect(checkEquipmentNumber('chassis', ' ')).toEqual({ ok: false, message: 'Enter the chassis number' });
    expect(checkEquipmentNumber('trailer', 'x'.repeat(201))).toEqual({ ok: false, message: 'At most 200 characters' });
  });

  it('takes back a kept draft only in the form’s shape', () => {
    expect(parseStartDraft({ ...EMPTY_START, equipmentNumber: 'CSQU' })).toEqual({ ...EMPTY_START, equipmentNumber: 'CSQU' });
    for (const broken of [null, 'text', { ...EMPTY_START, equipmentType: 'boat' }, { ...EMPTY_START, fromCarrier: 4 }]) expect(parseStartDraft(broken)).toBeNull();
  });
});

describe('what stops the submit', () => {
  it("is the record type's own problems, each beside the part of the form that settles it", () => {
    expect(submitProblems(draft())).toEqual({ condition: ['Record the equipment condition.'], signatures: ['Both carriers must sign the interchange.'] });
    expect(submitProblems(draft({ condition: 'damaged', fromSignature: SIGNATURE }))).toEqual({ signatures: ['Both carriers must sign the interchange.'] });
    expect(submitProblems(draft({ condition: 'good', fromSignature: SIGNATURE, toSignature: SIGNATURE }))).toEqual({});
  });
});
