import { recordTypeSpec } from '../../protocol/records/index.js';

const QUOTED_LENGTH = 40;

function quoted(text: unknown): string | null {
  if (typeof text !== 'string' || text.trim() === '') return null;
  const line = text.trim().replace(/\s+/g, ' ');
  return `“${line.length > QUOTED_LENGTH ? `${line.slice(0, QUOTED_LENGTH - 1)}…` : line}”`;
}

function present(text: unknown): string | null {
  return typeof text === 'string' && text.trim() !== '' ? text.trim() : null;
}

/**
 * A record named the way the people who use it would name it (the plate of a gate event, the unit of
 * an inspection, a work order's title), never by its id. `fields` is null when the device no longer
 * holds the record; it is then named by its kind alone.
 */
export function recordTitle(type: string, fields: Record<string, unknown> | null): string {
  const kind = recordTypeSpec(type)?.label ?? 'Record';
  const named = fields && nameOf(type, fields);
  return named ?? `${kind} (no longer on this device)`;
}

function nameOf(type: string, fields: Record<string, unknown>): string | null {
  switch (type) {
    case 'workOrder':
      return withKind('Work order', quoted(fields.title));
    case 'gateEvent': {
      const plate = present(fields.truckPlate);
      return plate && `Gate-${fields.direction === 'out' ? 'out' : 'in'} of ${plate}`;
    }
    case 'inspection':
      return withKind('Inspection of', present(fields.equipmentNumber));
    case 'equipmentInterchange':
      return withKind('Interchange of', present(fields.equipmentNumber));
    case 'yardCount':
      return withKind('Yard count at', present(fields.location));
    case 'billingLine':
      return withKind('Billing line', quoted(fields.description));
    case 'note':
      return withKind('Note', quoted(fields.body));
    default:
      return null;
  }
}

function withKind(kind: string, name: string | null): string | null {
  return name && `${kind} ${name}`;
}
