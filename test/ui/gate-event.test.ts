import { describe, expect, it } from 'vitest';
import { checkContainerInput } from '../../renderer/container-number.js';
import { createOperations, EMPTY_FORM, formFromEvent, type GateEvent, updateOperations, validateForm } from '../../renderer/gate/gate-event.js';

/** The gate form's rules, as a clerk typing into it meets them (the core checks everything again). */
const SHAPE = 'A container number is 3 letters, U/J/Z, 6 digits and a check digit';
const FILLED = { ...EMPTY_FORM, truckPlate: ' 7abc123 ', carrier: 'Blue Line Drayage', containerNumber: 'csqu 305438-3', sealNumbers: 'SEAL-2, SEAL-1,, SEAL-2' };

describe('container number feedback while typing', () => {
  it('does not call a number wrong while it is still being typed, but says what it takes', () => {
    for (const partial of ['C', 'CSQ', 'CSQU', 'CSQU30543', 'csqu 305438']) {
      expect(checkContainerInput(partial)).toEqual({ state: 'typing', message: SHAPE });
    }
  });

  it('names the right check digit once all 11 characters are in', () => {
    expect(checkContainerInput('CSQU3054384')).toEqual({ state: 'invalid', message: 'Check digit should be 3, not 4' });
    expect(checkContainerInput('TGHU 620143 4')).toEqual({ state: 'invalid', message: 'Check digit should be 7, not 4' });
  });

  it('explains the shape when the characters cannot become a container number', () => {
    for (const wrong of ['1234', 'CSQX3054383', 'CSQU30543833']) {
      expect(checkContainerInput(wrong)).toEqual({ state: 'invalid', message: SHAPE });
    }
  });

  it('accepts spaced, dashed and lower-case input and shows it normalised', () => {
    expect(checkContainerInput('mscu-123456-6')).toEqual({ state: 'valid', value: 'MSCU1234566' });
  });
});

describe('recording a gate event', () => {
  it('asks for plate, carrier and a container or chassis number', () => {
    expect(validateForm(EMPTY_FORM)).toEqual({
      truckPlate: 'Enter the truck plate',
      carrier: 'Enter the carrier',
      containerNumber: 'Enter a container number or a chassis number',
    });
    expect(validateForm({ ...FILLED, containerNumber: '', chassisNumber: 'DCLZ402211' })).toEqual({});
    expect(validateForm({ ...FILLED, containerNumber: 'CSQU3054384' })).toEqual({ containerNumber: 'Check digit should be 3, not 4' });
  });

  it('creates the record with normalised values and each seal once', () => {
    expect(createOperations(FILLED, { siteId: 'yard-7', recordedAt: 1000, correctsId: null })).toEqual([
      { op: 'set', field: 'siteId', value: 'yard-7' },
      { op: 'set', field: 'direction', value: 'in' },
      { op: 'set', field: 'truckPlate', value: '7ABC123' },
      { op: 'set', field: 'carrier', value: 'Blue Line Drayage' },
      { op: 'set', field: 'driverName', value: null },
      { op: 'set', field: 'containerNumber', value: 'CSQU3054383' },
      { op: 'set', field: 'chassisNumber', value: null },
      { op: 'set', field: 'recordedAt', value: 1000 },
      { op: 'set', field: 'correctsId', value: null },
      { op: 'add', field: 'sealNumbers', member: 'SEAL-1' },
      { op: 'add', field: 'sealNumbers', member: 'SEAL-2' },
    ]);
  });

  it('edits a draft with only what changed, seals added and removed one by one', () => {
    const event: GateEvent = {
      id: 'gateEvent-1',
      direction: 'in',
      truckPlate: '7ABC123',
      carrier: 'Blue Line Drayage',
      driverName: null,
      containerNumber: 'CSQU3054383',
      chassisNumber: null,
      sealNumbers: ['SEAL-1', 'SEAL-2'],
      photos: [],
      recordedAt: 1000,
      status: 'draft',
      correctsId: null,
      enteredAt: 1000,
    };
    expect(updateOperations(formFromEvent(event), event)).toEqual([]);
    expect(updateOperations({ ...formFromEvent(event), driverName: 'Sam Ortiz', sealNumbers: 'SEAL-2, SEAL-3' }, event)).toEqual([
      { op: 'set', field: 'driverName', value: 'Sam Ortiz' },
      { op: 'add', field: 'sealNumbers', member: 'SEAL-3' },
      { op: 'remove', field: 'sealNumbers', member: 'SEAL-1' },
    ]);
  });

  it('names the photos attached in the form, and on an edit adds and removes only the changed ones', () => {
    const [front, seal, rear] = ['a', 'b', 'c'].map((digit) => digit.repeat(64)) as [string, string, string];
    const created = createOperations({ ...FILLED, photos: [front, seal] }, { siteId: 'yard-7', recordedAt: 1000, correctsId: null });
    expect(created.filter((op) => op.op === 'add' && op.field === 'photos')).toEqual([
      { op: 'add', field: 'photos', member: front },
      { op: 'add', field: 'photos', member: seal },
    ]);
    const event: GateEvent = { ...draftGateEvent(), photos: [front, seal] };
    expect(updateOperations({ ...formFromEvent(event), photos: [seal, rear] }, event)).toEqual([
      { op: 'add', field: 'photos', member: rear },
      { op: 'remove', field: 'photos', member: front },
    ]);
  });
});

function draftGateEvent(): GateEvent {
  return {
    id: 'gateEvent-2',
    direction: 'out',
    truckPlate: '7ABC123',
    carrier: 'Blue Line Drayage',
    driverName: null,
    containerNumber: 'CSQU3054383',
    chassisNumber: null,
    sealNumbers: [],
    photos: [],
    recordedAt: 1000,
    status: 'draft',
    correctsId: null,
    enteredAt: 1000,
  };
}
