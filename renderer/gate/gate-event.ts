import type { RecordView } from '../../main/ipc/contract.js';
import type { FieldOperation } from '../../protocol/actions.js';
import { checkContainerInput } from '../container-number.js';

/** A gate event as the clerk sees it (protocol/records/gate-event.ts holds the rules). */
export interface GateEvent {
  id: string;
  direction: 'in' | 'out';
  truckPlate: string;
  carrier: string;
  driverName: string | null;
  containerNumber: string | null;
  chassisNumber: string | null;
  sealNumbers: string[];
  /** By the hash the core stored each photo under. */
  photos: string[];
  recordedAt: number;
  status: 'draft' | 'submitted';
  correctsId: string | null;
  /** When the clerk entered it (recordedAt is when the truck passed the gate). */
  enteredAt: number;
}

/** What the clerk is typing: text as entered, checked and normalised only when recorded. */
export interface GateEventForm {
  direction: 'in' | 'out';
  truckPlate: string;
  carrier: string;
  driverName: string;
  containerNumber: string;
  chassisNumber: string;
  sealNumbers: string;
  /** Photos already stored in the core, by hash; the record names them when it is saved. */
  photos: string[];
}

export type GateEventFormErrors = Partial<Record<keyof GateEventForm, string>>;

export function readGateEvent(record: RecordView): GateEvent {
  // The core validated every field against the gate event schema when it was written.
  return { id: record.id, enteredAt: record.createdAt, ...(record.fields as Omit<GateEvent, 'id' | 'enteredAt'>) };
}

export const EMPTY_FORM: GateEventForm = {
  direction: 'in',
  truckPlate: '',
  carrier: '',
  driverName: '',
  containerNumber: '',
  chassisNumber: '',
  sealNumbers: '',
  photos: [],
};

/** A kept draft of the form, if it still has the form's shape. */
export function parseFormDraft(value: unknown): GateEventForm | null {
  if (typeof value !== 'object' || value === null) return null;
  const draft = value as Record<string, unknown>;
  const texts = ['truckPlate', 'carrier', 'driverName', 'containerNumber', 'chassisNumber', 'sealNumbers'] as const;
  if ((draft.direction !== 'in' && draft.direction !== 'out') || texts.some((name) => typeof draft[name] !== 'string')) return null;
  if (!Array.isArray(draft.photos) || draft.photos.some((photo) => typeof photo !== 'string')) return null;
  return draft as unknown as GateEventForm;
}

export function formFromEvent(event: GateEvent): GateEventForm {
  return {
    direction: event.direction,
    truckPlate: event.truckPlate,
    carrier: event.carrier,
    driverName: event.driverName ?? '',
    containerNumber: event.containerNumber ?? '',
    chassisNumber: event.chassisNumber ?? '',
    sealNumbers: event.sealNumbers.join(', '),
    photos: event.photos,
  };
}

export function parseSealNumbers(text: string): string[] {
  return [...new Set(text.split(/[,;\n]/).map((seal) => seal.trim()).filter((seal) => seal !== ''))].sort();
}

const MAX_TEXT = 200;

export function validateForm(form: GateEventForm): GateEventFormErrors {
  const errors: GateEventFormErrors = {};
  if (!form.truckPlate.trim()) errors.truckPlate = 'Enter the truck plate';
  if (!form.carrier.trim()) errors.carrier = 'Enter the carrier';
  for (const name of ['truckPlate', 'carrier', 'driverName', 'chassisNumber'] as const) {
    if (form[name].trim().length > MAX_TEXT) errors[name] = `At most ${MAX_TEXT} characters`;
  }
  const container = checkContainerInput(form.containerNumber);
  if (container.state === 'typing' || container.state === 'invalid') errors.containerNumber = container.message;
  if (container.state === 'empty' && !form.chassisNumber.trim()) {
    errors.containerNumber = 'Enter a container number or a chassis number';
  }
  if (parseSealNumbers(form.sealNumbers).some((seal) => seal.length > MAX_TEXT)) errors.sealNumbers = `A seal number is at most ${MAX_TEXT} characters`;
  return errors;
}

/** The values a valid form records, normalised the way the core stores them. */
function recordedValues(form: GateEventForm) {
  const container = checkContainerInput(form.containerNumber);
  const optional = (text: string) => text.trim() || null;
  return {
    direction: form.direction,
    truckPlate: form.truckPlate.trim().toUpperCase(),
    carrier: form.carrier.trim(),
    driverName: optional(form.driverName),
    containerNumber: container.state === 'valid' ? container.value : null,
    chassisNumber: optional(form.chassisNumber)?.toUpperCase() ?? null,
  };
}

export function createOperations(
  form: GateEventForm,
  context: { siteId: string; recordedAt: number; correctsId: string | null },
): FieldOperation[] {
  const values = { siteId: context.siteId, ...recordedValues(form), recordedAt: context.recordedAt, correctsId: context.correctsId };
  return [
    ...Object.entries(values).map(([field, value]): FieldOperation => ({ op: 'set', field, value })),
    ...setChanges('sealNumbers', parseSealNumbers(form.sealNumbers), []),
    ...setChanges('photos', form.photos, []),
  ];
}

/** Only what changed in a draft: each changed field is its own operation in the journal. */
export function updateOperations(form: GateEventForm, current: GateEvent): FieldOperation[] {
  const changed = Object.entries(recordedValues(form))
    .filter(([field, value]) => current[field as keyof GateEvent] !== value)
    .map(([field, value]): FieldOperation => ({ op: 'set', field, value }));
  return [...changed, ...setChanges('sealNumbers', parseSealNumbers(form.sealNumbers), current.sealNumbers), ...setChanges('photos', form.photos, current.photos)];
}

/** The members to add and then remove to make a set field hold `wanted`, one operation each. */
function setChanges(field: 'sealNumbers' | 'photos', wanted: readonly string[], current: readonly string[]): FieldOperation[] {
  return [
    ...wanted.filter((member) => !current.includes(member)).map((member): FieldOperation => ({ op: 'add', field, member })),
    ...current.filter((member) => !wanted.includes(member)).map((member): FieldOperation => ({ op: 'remove', field, member })),
  ];
}
