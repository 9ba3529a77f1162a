import type { RECORD_TYPES } from './index.js';

/**
 * How people read the fields of the records they open and print: one label per field, in the words
 * of the form that fills it, for the device's Records screens and the signed receipts alike.
 */
export type PresentedRecordType = 'inspection' | 'gateEvent' | 'equipmentInterchange';

/** How a field reads: its label, and what its value is when it is more than words (`words` names an enum's values). */
export interface FieldPresentation {
  label: string;
  as?: 'time' | 'number' | 'photos' | 'signature' | 'checklist' | 'template' | 'workOrder' | 'correction';
  words?: Readonly<Record<string, string>>;
}

const STATUS: FieldPresentation = { label: 'Status', words: { draft: 'Draft', submitted: 'Submitted' } };
const CORRECTS: FieldPresentation = { label: 'Corrects', as: 'correction' };

/** Every field of each type people open and print: a field added to the registry does not compile until it has its label. */
export const FIELD_PRESENTATION: { [T in PresentedRecordType]: Record<keyof (typeof RECORD_TYPES)[T]['fields'], FieldPresentation> } = {
  inspection: {
    workOrderId: { label: 'Work order', as: 'workOrder' },
    templateId: { label: 'Checklist', as: 'template' },
    equipmentNumber: { label: 'Unit / trailer number' },
    odometer: { label: 'Odometer (miles)', as: 'number' },
    items: { label: 'Checklist answers', as: 'checklist' },
    defects: { label: 'Defects' },
    photos: { label: 'Defect photos', as: 'photos' },
    signature: { label: 'Inspector signature', as: 'signature' },
    remarks: { label: 'Remarks' },
    status: STATUS,
    submittedAt: { label: 'Submitted at', as: 'time' },
    correctsId: CORRECTS,
  },
  gateEvent: {
    siteId: { label: 'Site' },
    direction: { label: 'Direction', words: { in: 'Gate in', out: 'Gate out' } },
    truckPlate: { label: 'Truck plate' },
    carrier: { label: 'Carrier' },
    driverName: { label: 'Driver' },
    containerNumber: { label: 'Container number' },
    chassisNumber: { label: 'Chassis number' },
    sealNumbers: { label: 'Seal numbers' },
    photos: { label: 'Photos', as: 'photos' },
    recordedAt: { label: 'Passed the gate at', as: 'time' },
    status: STATUS,
    correctsId: CORRECTS,
  },
  equipmentInterchange: {
    equipmentType: { label: 'Equipment', words: { trailer: 'Trailer', container: 'Container', chassis: 'Chassis' } },
    equipmentNumber: { label: 'Equipment number' },
    // In the words of the interchange form, so what was typed under a label is found under it.
    fromCarrier: { label: 'Delivering party' },
    toCarrier: { label: 'Receiving party' },
    condition: { label: 'Condition', words: { good: 'Good', fair: 'Fair', damaged: 'Damaged' } },
    conditionNote: { label: 'Condition note' },
    damages: { label: 'Damage marks' },
    photos: { label: 'Photos', as: 'photos' },
    fromSignature: { label: "Delivering driver's signature", as: 'signature' },
    toSignature: { label: "Receiving clerk's signature", as: 'signature' },
    interchangedAt: { label: 'Handed over at', as: 'time' },
    status: STATUS,
    correctsId: CORRECTS,
  },
};

function isPresented(type: string): type is PresentedRecordType {
  return Object.hasOwn(FIELD_PRESENTATION, type);
}

/** How `field` of a `type` record reads; a type nobody opens, or a field this build does not know, reads by its name. */
export function fieldPresentation(type: string, field: string): FieldPresentation {
  const fields = isPresented(type) ? (FIELD_PRESENTATION[type] as Record<string, FieldPresentation>) : null;
  return (fields && Object.hasOwn(fields, field) ? fields[field] : undefined) ?? { label: field };
}

/** A field's value in words when its type names its values (an enum), else as it is. */
export function fieldWords(type: string, field: string, value: unknown): string {
  const words = fieldPresentation(type, field).words;
  return typeof value === 'string' && words && Object.hasOwn(words, value) ? words[value]! : String(value);
}
