import { z } from 'zod';
import { identifier } from './field-operations.js';

/**
 * Inspection checklist templates. The office edits templates later and syncs them down, so a
 * template is data with a schema, and an inspection stores answers keyed by item id: an answer
 * stays attached to its item when the office rewords or reorders the list. An item marked
 * `outOfService` puts its unit out of service when it fails, until a mechanic certifies the repair
 * (protocol/maintenance.ts).
 */
export const checklistTemplateSchema = z.strictObject({
  id: identifier,
  title: z.string().trim().min(1).max(200),
  items: z
    .array(z.strictObject({ id: identifier, label: z.string().trim().min(1).max(200), outOfService: z.boolean().optional() }))
    .min(1)
    .max(200)
    .refine((items) => new Set(items.map((item) => item.id)).size === items.length, 'item ids must be unique'),
});
export type ChecklistTemplate = z.infer<typeof checklistTemplateSchema>;
export type ChecklistItem = ChecklistTemplate['items'][number];

/** Seed templates: the DVIR items of 49 CFR 396.11(a)(1) and the intermodal chassis items of 49 CFR 396.11(b). */
export const SEED_CHECKLIST_TEMPLATES: readonly ChecklistTemplate[] = [
  {
    id: 'dvir-power-unit',
    title: 'Driver vehicle inspection — power unit',
    items: [
      { id: 'service-brakes', label: 'Service brakes including trailer brake connections', outOfService: true },
      { id: 'parking-brake', label: 'Parking brake', outOfService: true },
      { id: 'steering', label: 'Steering mechanism', outOfService: true },
      { id: 'lighting', label: 'Lighting devices and reflectors' },
      { id: 'tires', label: 'Tires', outOfService: true },
      { id: 'horn', label: 'Horn' },
      { id: 'wipers', label: 'Windshield wipers' },
      { id: 'mirrors', label: 'Rear vision mirrors' },
      { id: 'coupling', label: 'Coupling devices', outOfService: true },
      { id: 'wheels-rims', label: 'Wheels and rims', outOfService: true },
      { id: 'emergency-equipment', label: 'Emergency equipment' },
    ],
  },
  {
    id: 'intermodal-chassis',
    title: 'Intermodal equipment (chassis) inspection',
    items: [
      { id: 'brakes', label: 'Brakes', outOfService: true },
      { id: 'lighting', label: 'Lighting devices, lamps, markers and conspicuity marking material' },
      { id: 'wheels-tires', label: 'Wheels, rims, lugs and tires', outOfService: true },
      { id: 'air-lines', label: 'Air line connections, hoses and couplers', outOfService: true },
      { id: 'king-pin', label: 'King pin upper coupling device', outOfService: true },
      { id: 'rails-frames', label: 'Rails or support frames' },
      { id: 'tie-downs', label: 'Tie down bolts or locking pins, clevises, clamps or hooks' },
      { id: 'sliders', label: 'Sliders or sliding frame lock' },
    ],
  },
];

/** The checklist an inspection follows, by id; undefined for one this version does not know. */
export function checklistTemplate(id: unknown): ChecklistTemplate | undefined {
  return SEED_CHECKLIST_TEMPLATES.find((template) => template.id === id);
}
