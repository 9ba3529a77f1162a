import type { RecordView } from '../../main/ipc/contract.js';
import type { FieldOperation } from '../../protocol/actions.js';
import { equipmentInterchange } from '../../protocol/records/interchange.js';
import { SHORT_TEXT_MAX } from '../../protocol/records/define.js';
import { checkContainerInput } from '../container-number.js';
import { sentence } from '../format.js';

export type EquipmentType = 'trailer' | 'container' | 'chassis';
export type Condition = 'good' | 'fair' | 'damaged';

/** An equipment interchange as the clerk or inspector sees it (protocol/records/interchange.ts holds the rules). */
export interface Interchange {
  id: string;
  equipmentType: EquipmentType;
  equipmentNumber: string;
  fromCarrier: string;
  toCarrier: string;
  condition: Condition | null;
  conditionNote: string | null;
  /** Damage marks, each "side · type · size" (see damageMark), or words recorded some other way. */
  damages: string[];
  photos: string[];
  fromSignature: string | null;
  toSignature: string | null;
  interchangedAt: number;
  status: 'draft' | 'submitted';
  correctsId: string | null;
  startedAt: number;
}

export function readInterchange(record: RecordView): Interchange {
  // The core validated every field against the interchange schema when it was written.
  return { id: record.id, startedAt: record.createdAt, ...(record.fields as Omit<Interchange, 'id' | 'startedAt'>) };
}

export const EQUIPMENT_TYPES = [
  { value: 'trailer', label: 'Trailer' },
  { value: 'container', label: 'Container' },
  { value: 'chassis', label: 'Chassis' },
] as const satisfies readonly { value: EquipmentType; label: string }[];

export function equipmentTypeLabel(type: EquipmentType): string {
  return EQUIPMENT_TYPES.find((each) => each.value === type)!.label;
}

export const CONDITIONS = [
  { value: 'good', label: 'Good' },
  { value: 'fair', label: 'Fair' },
  { value: 'damaged', label: 'Damaged' },
] as const satisfies readonly { value: Condition; label: string }[];

export const SIDES = ['front', 'rear', 'left', 'right', 'top', 'interior'] as const;
export type Side = (typeof SIDES)[number];
export const DAMAGE_TYPES = ['dent', 'scratch', 'hole', 'rust', 'missing part'] as const;
export type DamageType = (typeof DAMAGE_TYPES)[number];
export const DAMAGE_SIZES = ['small', 'medium', 'large'] as const;
export type DamageSize = (typeof DAMAGE_SIZES)[number];

export interface DamageMark {
  side: Side;
  type: DamageType;
  size: DamageSize;
}

const MARK_SEPARATOR = ' · ';

/** A mark as the record keeps it in its damages set: words anyone reads as they are, in Records or on paper. */
export function damageMark({ side, type, size }: DamageMark): string {
  return [side, type, size].join(MARK_SEPARATOR);
}

/** The mark a damages entry holds, or null for words recorded some other way (still listed, never lost). */
export function readDamageMark(text: string): DamageMark | null {
  const [side, type, size, ...rest] = text.split(MARK_SEPARATOR);
  if (rest.length > 0) return null;
  const known = <T extends string>(values: readonly T[], value: string | undefined): value is T => (values as readonly string[]).includes(value ?? '');
  return known(SIDES, side) && known(DAMAGE_TYPES, type) && known(DAMAGE_SIZES, size) ? { side, type, size } : null;
}

/** How many marks each side of the diagram carries. */
export function marksPerSide(damages: readonly string[]): Record<Side, number> {
  const counts = Object.fromEntries(SIDES.map((side) => [side, 0])) as Record<Side, number>;
  for (const text of damages) {
    const mark = readDamageMark(text);
    if (mark) counts[mark.side]++;
  }
  return counts;
}

/** What is typed to start an interchange: text as entered, checked and normalised when it is started. */
export interface StartForm {
  equipmentType: EquipmentType;
  equipmentNumber: string;
  fromCarrier: string;
  toCarrier: string;
}

export type StartFormErrors = Partial<Record<keyof StartForm, string>>;

export const EMPTY_START: StartForm = { equipmentType: 'container', equipmentNumber: '', fromCarrier: '', toCarrier: '' };

/** A kept draft of the start form, if it still has the form's shape. */
export function parseStartDraft(value: unknown): StartForm | null {
  if (typeof value !== 'object' || value === null) return null;
  const draft = value as Record<string, unknown>;
  if (!EQUIPMENT_TYPES.some((type) => type.value === draft.equipmentType)) return null;
  if ((['equipmentNumber', 'fromCarrier', 'toCarrier'] as const).some((name) => typeof draft[name] !== 'string')) return null;
  return draft as unknown as StartForm;
}

/** The unit's number as recorded (a container's without spaces), or why it cannot be. */
export function checkEquipmentNumber(type: EquipmentType, text: string): { ok: true; value: string } | { ok: false; message: string } {
  if (type === 'container') {
    const container = checkContainerInput(text);
    if (container.state === 'valid') return { ok: true, value: container.value };
    return { ok: false, message: container.state === 'empty' ? 'Enter the container number' : container.message };
  }
  const value = text.trim().toUpperCase();
  if (!value) return { ok: false, message: `Enter the ${type} number` };
  if (value.length > SHORT_TEXT_MAX) return { ok: false, message: `At most ${SHORT_TEXT_MAX} characters` };
  return { ok: true, value };
}

/** A delivering or receiving party as recorded, or why it cannot be. */
export function checkParty(text: string, which: 'delivering' | 'receiving'): { ok: true; value: string } | { ok: false; message: string } {
  const value = text.trim();
  if (!value) return { ok: false, message: `Enter the ${which} party` };
  if (value.length > SHORT_TEXT_MAX) return { ok: false, message: `At most ${SHORT_TEXT_MAX} characters` };
  return { ok: true, value };
}

/** The one action that starts a valid form's interchange as a draft (everything after is its own action), or what to fix first. */
export function startInterchange(form: StartForm, now: number): { ok: true; ops: FieldOperation[] } | { ok: false; errors: StartFormErrors } {
  const number = checkEquipmentNumber(form.equipmentType, form.equipmentNumber);
  const from = checkParty(form.fromCarrier, 'delivering');
  const to = checkParty(form.toCarrier, 'receiving');
  if (!number.ok || !from.ok || !to.ok) {
    return {
      ok: false,
      errors: {
        ...(number.ok ? {} : { equipmentNumber: number.message }),
        ...(from.ok ? {} : { fromCarrier: from.message }),
        ...(to.ok ? {} : { toCarrier: to.message }),
      },
    };
  }
  const values = {
    equipmentType: form.equipmentType,
    equipmentNumber: number.value,
    fromCarrier: from.value,
    toCarrier: to.value,
    interchangedAt: now,
    correctsId: null,
  };
  return { ok: true, ops: Object.entries(values).map(([field, value]): FieldOperation => ({ op: 'set', field, value })) };
}

/** Where on the form a problem shows: beside the part the operator must fix. */
export type Place = 'identity' | 'condition' | 'damages' | 'photos' | 'signatures' | 'submit';

/** What filling each part of the form gives the record, to learn which of the core's submit problems it settles. */
const FILLED: Partial<Record<Place, Partial<Interchange>>> = {
  condition: { condition: 'good' },
  signatures: { fromSignature: '0'.repeat(64), toSignature: '0'.repeat(64) },
};

/**
 * What still stops the submit, in the core's own words (the record type's submit checks), each by
 * the part of the form that settles it: the one whose filling makes the problem go away. A problem
 * no part settles shows by the Submit button.
 */
export function submitProblems(interchange: Interchange): Partial<Record<Place, string[]>> {
  const check = (state: Interchange) => equipmentInterchange.submitChecks?.(state as unknown as Record<string, unknown>) ?? [];
  const remaining = new Set(check(interchange));
  const placed: Partial<Record<Place, string[]>> = {};
  for (const [place, filled] of Object.entries(FILLED) as [Place, Partial<Interchange>][]) {
    const settled = [...remaining].filter((problem) => !check({ ...interchange, ...filled }).includes(problem));
    if (settled.length === 0) continue;
    placed[place] = settled.map((problem) => `${sentence(problem)}.`);
    for (const problem of settled) remaining.delete(problem);
  }
  if (remaining.size > 0) placed.submit = [...remaining].map((problem) => `${sentence(problem)}.`);
  return placed;
}
