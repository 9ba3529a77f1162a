import { createHash } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';
import type { ActionInput, ActionResult } from '../../main/core/write-path.js';
import { SEED_CHECKLIST_TEMPLATES } from '../../protocol/checklists.js';

/**
 * The inspector's day, as benchmarks load it and process tests perform it, sent the way the
 * inspection screens send it (renderer/inspection/): a create with the checklist, unit and odometer; one `set items[key]`
 * action per answer, where a tap saves the result and a note typed into an answered item saves
 * the result with its note again on blur; the signature pad's PNG stored as an attachment and set
 * as the signature; then the submit with its time. Items are the real ids of the DVIR checklist
 * (protocol/checklists.ts, 49 CFR 396.11(a)(1)): its 11 items answered, one failed with the note a
 * failed item needs, and notes (tread depth, pushrod stroke...) on 8 of the passed ones: 20
 * answers, 23 actions an inspection.
 */
export const INSPECTION_TEMPLATE = SEED_CHECKLIST_TEMPLATES.find((template) => template.id === 'dvir-power-unit')!;
export const ANSWERS_PER_INSPECTION = 20;
export const ACTIONS_PER_INSPECTION = 1 + ANSWERS_PER_INSPECTION + 2;

/** What the inspector writes next to an item: a failed item's defect, or a measurement on a passed one. */
const FAILED_NOTES: Record<string, string> = {
  'service-brakes': 'Right rear chamber leaks down, audible at the slack adjuster',
  'parking-brake': 'Does not hold on the yard ramp',
  steering: 'Free play over 2 in at the wheel rim',
  lighting: 'Left rear marker lamp out, lens cracked',
  tires: 'Steer tire tread 3/32 in at the outer groove',
  horn: 'Air horn does not sound',
  wipers: 'Driver side blade torn',
  mirrors: 'Passenger convex mirror cracked',
  coupling: 'Fifth wheel locking jaw worn past the mark',
  'wheels-rims': 'Two lug nuts loose, rust trails at the right steer',
  'emergency-equipment': 'Fire extinguisher gauge in the red',
};
const PASSED_NOTES: Record<string, string> = {
  'service-brakes': 'Pushrod stroke 1 3/4 in, within limits',
  'parking-brake': 'Held on grade, checked twice',
  steering: 'Lash within 2 in',
  lighting: 'All lamps and reflectors checked with a helper',
  tires: 'Tread 9/32 in steer, 12/32 in drive; pressures 105 psi',
  horn: 'Checked',
  wipers: 'Blades replaced last week',
  mirrors: 'Adjusted for the trailer',
  coupling: 'Jaws locked, no gap at the apron',
  'wheels-rims': 'Lug nuts torqued, no cracks',
  'emergency-equipment': 'Triangles and extinguisher on board, tag current',
};

export interface InspectingDevice {
  perform(input: ActionInput): ActionResult;
  putAttachment(mimeType: 'image/png', data: Uint8Array): { sha256: string };
}

/** The i-th inspection's create: checklist, unit and odometer (`recordId` when the caller names it). */
export function inspectionCreate(i: number, recordId?: string): ActionInput {
  return {
    recordType: 'inspection',
    ...(recordId ? { recordId } : {}),
    action: 'create',
    ops: [
      { op: 'set', field: 'templateId', value: INSPECTION_TEMPLATE.id },
      { op: 'set', field: 'equipmentNumber', value: `TRK-${String(1000 + (i % 9000))}` },
      { op: 'set', field: 'odometer', value: 182_000 + i * 37 },
    ],
  };
}

/** The i-th inspection's ANSWERS_PER_INSPECTION answers, in the order the inspector gives them. */
export function inspectionAnswers(recordId: string, i: number): ActionInput[] {
  const items = INSPECTION_TEMPLATE.items;
  const failed = i % items.length;
  // The two items left without a note: the ones after the failed item.
  const bare = new Set([(failed + 1) % items.length, (failed + 2) % items.length]);
  const answer = (key: string, value: { result: 'pass' | 'fail' | 'na'; note?: string }): ActionInput => ({
    recordType: 'inspection',
    recordId,
    action: 'update',
    ops: [{ op: 'set', field: 'items', key, value }],
  });
  return items.flatMap((item, index) => {
    // No trailer on a bobtail run every third inspection: coupling devices do not apply.
    const result = index === failed ? 'fail' : item.id === 'coupling' && i % 3 === 0 ? 'na' : 'pass';
    const tap = answer(item.id, { result });
    return bare.has(index) ? [tap] : [tap, answer(item.id, { result, note: (result === 'fail' ? FAILED_NOTES : PASSED_NOTES)[item.id] ?? 'Checked' })];
  });
}

/** The signature pad's image, stored as the attachment `sha256`, set as the inspection's signature. */
export function signInspection(recordId: string, sha256: string): ActionInput {
  return { recordType: 'inspection', recordId, action: 'update', ops: [{ op: 'set', field: 'signature', value: sha256 }] };
}

export function submitInspection(recordId: string, submittedAt: number): ActionInput {
  return { recordType: 'inspection', recordId, action: 'submit', ops: [{ op: 'set', field: 'submittedAt', value: submittedAt }] };
}

/**
 * Performs the first `actions` actions (all ACTIONS_PER_INSPECTION by default) of the i-th
 * inspection on `device`, in the order the inspector makes them; returns how many it performed.
 * `signatureSeed` makes each signature a different image, as hands do; `now` is the device clock.
 */
export function performInspection(device: InspectingDevice, i: number, options: { signatureSeed: string; now: () => number; actions?: number }): number {
  const budget = Math.min(options.actions ?? ACTIONS_PER_INSPECTION, ACTIONS_PER_INSPECTION);
  let performed = 0;
  const act = (input: ActionInput): ActionResult | null => {
    if (performed >= budget) return null;
    performed++;
    return device.perform(input);
  };
  const created = act(inspectionCreate(i));
  if (!created) return performed;
  const recordId = created.record.id;
  for (const answer of inspectionAnswers(recordId, i)) act(answer);
  if (performed < budget) {
    const { sha256 } = device.putAttachment('image/png', signaturePng(`${options.signatureSeed}:${i}`));
    act(signInspection(recordId, sha256));
  }
  act(submitInspection(recordId, options.now()));
  return performed;
}

/** An inspector's edit of a work order's status note or location, as the work-orders screen sends it. */
export function editWorkOrder(recordId: string, field: 'statusNote' | 'location', value: string): ActionInput {
  return { recordType: 'workOrder', recordId, action: 'update', ops: [{ op: 'set', field, value }] };
}

/**
 * A signature as the signature pad exports it: a 360×120 grayscale PNG, white, with a pen stroke
 * wandering across it (a few kB, like a real one). The seed shapes the stroke, so every signature
 * is a different file.
 */
export function signaturePng(seed: string): Uint8Array {
  const width = 360;
  const height = 120;
  const pixels = Buffer.alloc((width + 1) * height, 255);
  for (let row = 0; row < height; row++) pixels[row * (width + 1)] = 0; // filter byte: none
  const digest = createHash('sha256').update(seed).digest();
  let y = height / 2;
  for (let x = 8; x < width - 8; x++) {
    const wobble = ((digest[x % 32]! + x * 7) % 13) - 6;
    const next = Math.round(Math.max(6, Math.min(height - 7, y + wobble * 0.9)));
    // The pen moves continuously: ink every row between where it was and where it is.
    for (let row = Math.min(y, next) - 1; row <= Math.max(y, next) + 1; row++) {
      for (let dx = 0; dx <= 1; dx++) pixels[Math.round(row) * (width + 1) + 1 + x + dx] = 20 + ((x + row) % 5) * 30;
    }
    y = next;
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 0, 0, 0, 0], 8); // 8-bit grayscale, no interlace
  const chunk = (type: string, data: Buffer) => {
    const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const frame = Buffer.alloc(8 + data.length + 4);
    frame.writeUInt32BE(data.length, 0);
    typed.copy(frame, 4);
    frame.writeUInt32BE(crc32(typed), 8 + data.length);
    return frame;
  };
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return new Uint8Array(Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', deflateSync(pixels)), chunk('IEND', Buffer.alloc(0))]));
}
