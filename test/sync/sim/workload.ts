import { sql } from 'drizzle-orm';
import type { RecordType } from '../../../protocol/index.js';
import { CLERK, INSPECTOR, SeededRandomness } from '../../support/device.js';
import { addSeal, billingLineCreate, gateEventCreate, noteCreate, remove, removeSeal, submit, tally, update, yardCountCreate } from '../../support/actions.js';
import { NORTH } from '../../support/server.js';
import type { SimDevice } from './device.js';
import type { OfficeWriteLog } from './invariants.js';
import { rowsOf } from './office.js';
import { count, opsOf, type World } from './run.js';

/**
 * What the people of the simulation do: operators on the devices edit every kind of field the
 * policies settle, the dispatcher edits, creates and deletes work orders (sometimes on a version
 * they looked at a while ago), the reviewer decides review items.
 */
type Input = { recordType: string; recordId?: string; action: string; ops: unknown[] };

function randomEdit(world: World, device: SimDevice, step: string): Input | undefined {
  const { dice } = world;
  const { core } = device;
  const pickId = (type: RecordType) => dice.pick(core.listRecords(type))?.id;
  switch (dice.below(15)) {
    case 13:
    case 14: {
      // A photo of the truck, large enough to go up in several chunks.
      const gate = dice.pick(core.listRecords('gateEvent').filter((record) => record.fields.status !== 'submitted'));
      if (!gate) return gateEventCreate({ truckPlate: `TX-${step}` });
      const photo = new SeededRandomness(`${device.options.seed}:photo:${step}:${device.name}`).bytes(dice.between(70, 120) * 1024);
      photo.set([0xff, 0xd8, 0xff, 0xe0]);
      const { sha256 } = core.putAttachment('image/jpeg', photo);
      return { recordType: 'gateEvent', recordId: gate.id, action: 'update', ops: [{ op: 'add', field: 'photos', member: sha256 }] };
    }
    case 0: {
      const id = pickId('workOrder');
      return id === undefined ? undefined : update('workOrder', id, { statusNote: `${device.name} ${step}` });
    }
    case 1: {
      const id = pickId('workOrder');
      return id === undefined ? undefined : update('workOrder', id, { location: `bay ${dice.between(1, 9)}` });
    }
    case 2: {
      const id = pickId('yardCount');
      return id && dice.chance(0.8) ? tally(id, dice.between(1, 5)) : yardCountCreate(`row-${step}`);
    }
    case 3: {
      const id = pickId('billingLine');
      const order = pickId('workOrder');
      if (id && dice.chance(0.6)) return update('billingLine', id, { quantity: dice.between(1, 9) });
      return order === undefined ? undefined : billingLineCreate(order, dice.between(1, 9));
    }
    case 4: {
      const id = pickId('gateEvent');
      return id && dice.chance(0.7) ? addSeal(id, `SEAL-${dice.below(6)}`) : gateEventCreate({ truckPlate: `TX-${step}`, seal: `SEAL-${dice.below(6)}` });
    }
    case 5: {
      const gate = dice.pick(core.listRecords('gateEvent'));
      const seal = gate && dice.pick(gate.fields.sealNumbers as string[]);
      return gate && seal ? removeSeal(gate.id, seal) : undefined;
    }
    case 6: {
      // The office's field: applies only when the operator had seen the office's last word.
      const id = pickId('workOrder');
      return id === undefined ? undefined : update('workOrder', id, { assignee: dice.pick([INSPECTOR.operatorId, CLERK.operatorId]) });
    }
    case 7: {
      // Server-authoritative: the device's count is only an observation.
      const id = pickId('yardCount');
      return id === undefined ? undefined : update('yardCount', id, { onHand: dice.below(50) });
    }
    case 8: {
      const id = pickId('note');
      return id && dice.chance(0.5) ? update('note', id, { body: `${device.name} edit ${step}` }) : noteCreate(`${device.name} remark ${step}`, pickId('workOrder') ?? 'wo-none');
    }
    case 9: {
      const type = dice.pick(['note', 'yardCount', 'billingLine'] as const)!;
      const id = pickId(type);
      return id === undefined ? undefined : remove(type, id);
    }
    case 10: {
      const id = pickId('gateEvent');
      return id === undefined ? undefined : submit('gateEvent', id);
    }
    case 11: {
      const id = pickId('workOrder');
      return id === undefined ? undefined : update('workOrder', id, { completionNote: `${device.name} done ${step}` });
    }
    default: {
      const id = pickId('workOrder');
      return id === undefined ? undefined : update('workOrder', id, { status: dice.pick(['open', 'in-progress', 'done'] as const)! });
    }
  }
}

function describe(input: Input): string {
  const ops = input.ops.map((op) => {
    const o = op as { op: string; field?: string; value?: unknown; by?: number; member?: string };
    return o.op === 'set' ? `${o.field}=${JSON.stringify(o.value)}` : o.op === 'tombstone' ? 'delete' : `${o.op} ${o.field} ${o.by ?? o.member}`;
  });
  return `${input.action} ${input.recordType}${input.recordId ? ` ${input.recordId}` : ''} {${ops.join(', ')}}`;
}

function perform(world: World, device: SimDevice, input: Input): void {
  const operator = world.dice.pick(device.operators)!;
  const result = device.act(operator, input);
  world.trace(`${device.name} (${operator.operatorId}): ${describe(input)} → ${result.ok ? `entry ${result.seq}` : `refused: ${result.reason}`}`);
  if (result.ok) count(world, 'edits');
}

export async function deviceAction(world: World, device: SimDevice, options: { burstWith?: SimDevice } = {}): Promise<void> {
  const step = `s${world.counts.edits ?? 0}`;
  const other = options.burstWith;
  if (other) {
    const shared = device.core.listRecords('workOrder').filter((record) => other.core.getRecord('workOrder', record.id));
    const target = world.dice.pick(shared);
    if (target) {
      const field = world.dice.pick(['statusNote', 'location'])!;
      world.trace(`burst: ${device.name} and ${other.name} edit ${field} at the same moment`);
      perform(world, device, update('workOrder', target.id, { [field]: `${device.name} ${step}` }) as Input);
      perform(world, other, update('workOrder', target.id, { [field]: `${other.name} ${step}` }) as Input);
      count(world, 'bursts');
      return;
    }
  }
  // Operators work in bursts: a few actions between two syncs.
  for (let action = world.dice.between(1, 3); action > 0; action--) {
    const input = randomEdit(world, device, `${step}.${action}`);
    if (input) perform(world, device, input);
  }
}

interface OfficeRecord {
  id: string;
  version: number;
  deleted: boolean;
}

export async function officeAction(world: World): Promise<void> {
  const { dice, office } = world;
  const roll = dice.below(10);
  if (roll < 2) {
    const values = { siteId: NORTH, title: `Work ${dice.below(1000)}`, statusNote: 'new' };
    const answer = await office.office('POST', '/v1/office/work-orders', values);
    const record = (answer.body as { record?: OfficeRecord }).record;
    world.trace(`office: create work order → ${answer.status} ${record?.id ?? ''}`);
    if (answer.status < 300 && record) log(world, { recordType: 'workOrder', recordId: record.id, action: 'create', ops: opsOf({ status: 'open', priority: 'normal', ...values }) });
    return;
  }
  if (roll < 4) {
    await decideReview(world);
    return;
  }
  const orders = await officeRecords(world, 'workOrder');
  const order = dice.pick(orders.filter((record) => !record.deleted));
  if (!order) return;
  // The dispatcher acts on what the console showed a while ago, or on the latest.
  const baseVersion = dice.chance(0.4) ? Math.max(1, order.version - dice.between(1, 3)) : undefined;
  if (roll === 4 && dice.chance(0.5)) {
    const answer = await office.office('DELETE', `/v1/office/work-orders/${order.id}`, baseVersion ? { baseVersion } : {});
    world.trace(`office: delete work order ${order.id} (seen v${baseVersion ?? order.version}) → ${answer.status}`);
    if (answer.status < 300) log(world, { recordType: 'workOrder', recordId: order.id, action: 'delete', ops: [{ op: 'tombstone' }], baseVersion });
    return;
  }
  const set = dice.pick<Record<string, unknown>>([
    { statusNote: `office ${dice.below(1000)}` },
    { priority: dice.pick(['low', 'high', 'urgent']) },
    { assignee: dice.pick([INSPECTOR.operatorId, CLERK.operatorId, null]) },
    { location: `gate ${dice.between(1, 4)}` },
    { completionNote: 'closed by the office' },
  ])!;
  const answer = await office.office('PATCH', `/v1/office/work-orders/${order.id}`, { set, ...(baseVersion ? { baseVersion } : {}) });
  world.trace(`office: ${order.id} ${JSON.stringify(set)} (seen v${baseVersion ?? order.version}) → ${answer.status} ${(answer.body as { outcome?: string }).outcome ?? ''}`);
  if (answer.status < 300) log(world, { recordType: 'workOrder', recordId: order.id, action: 'update', ops: opsOf(set), baseVersion });
}

/**
 * The dispatcher cancels a work order that a device, not yet told, goes on editing: the device's
 * update arrives on top of the office's tombstone.
 */
export async function cancelWhileEdited(world: World, device: SimDevice): Promise<void> {
  const { dice, office } = world;
  const live = new Set((await officeRecords(world, 'workOrder')).filter((record) => !record.deleted).map((record) => record.id));
  const order = dice.pick(device.core.listRecords('workOrder').filter((record) => live.has(record.id)));
  if (!order) return;
  const answer = await office.office('DELETE', `/v1/office/work-orders/${order.id}`, {});
  world.trace(`office: cancel work order ${order.id} while ${device.name} edits it → ${answer.status}`);
  if (answer.status >= 300) return;
  log(world, { recordType: 'workOrder', recordId: order.id, action: 'delete', ops: [{ op: 'tombstone' }] });
  perform(world, device, update('workOrder', order.id, { statusNote: `${device.name} after cancel` }) as Input);
}

async function decideReview(world: World): Promise<void> {
  const { dice, office } = world;
  const page = await office.inject('GET', '/v1/office/review-items?status=open', undefined, { authorization: `Bearer ${office.adminToken}` });
  const items = (page.body as { items: { id: number; recordType: string; recordId: string; field: string; current: unknown; proposed: unknown }[] }).items;
  const item = dice.pick(items);
  if (!item) return;
  const choice = item.field === '*' || dice.chance(0.5) ? 'current' : 'proposed';
  const answer = await office.inject('POST', `/v1/office/review-items/${item.id}/resolve`, { choice, reason: 'checked with the yard' }, { authorization: `Bearer ${office.adminToken}` });
  world.trace(`office: reviewer keeps the ${choice} ${item.recordType} ${item.recordId} ${item.field} → ${answer.status}`);
  if (answer.status < 300) {
    log(world, { recordType: item.recordType, recordId: item.recordId, action: 'update', ops: [], decision: { field: item.field, ...(choice === 'proposed' ? { proposed: item.proposed } : {}) } });
  }
}

function log(world: World, write: OfficeWriteLog): void {
  world.officeLog.push(write);
  world.changed = true;
  count(world, 'officeWrites');
}

async function officeRecords(world: World, type: string): Promise<OfficeRecord[]> {
  return rowsOf<OfficeRecord>(await world.office.database.db.execute(sql`SELECT id, version, deleted FROM records WHERE type = ${type} ORDER BY id`));
}
