import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repairCertificationVerifies } from '../../protocol/maintenance-signature.js';
import { maintenanceQueueSchema, workOrderBoardSchema } from '../../protocol/wire.js';
import { INSPECTOR } from '../support/device.js';
import { ACTIONS_PER_INSPECTION, performInspection, submitInspection } from '../support/inspection.js';
import { type ConsoleAccount, consoleAccount } from '../support/console.js';
import { call, countRows, NORTH } from '../support/server.js';
import { type FieldDevice, SyncWorld, syncAll } from '../sync/support/world.js';

/**
 * Maintenance sign-off against a real office (Postgres when DATABASE_URL is set) with a real device
 * core: defects a driver reports land in the queue per unit, a mechanic certifies what was done,
 * the office signs it, and the certification reaches the unit's devices.
 */
describe('maintenance sign-off', () => {
  let world: SyncWorld;
  let cab: FieldDevice;
  let mechanic: ConsoleAccount;
  let brakesInspection: string;
  let wipersInspection: string;

  const queue = async () => maintenanceQueueSchema.parse((await call(world.server, 'GET', '/v1/office/maintenance', { token: mechanic.token })).body);
  const certify = (body: unknown, token = mechanic.token) => call(world.server, 'POST', '/v1/office/maintenance/certifications', { token, body });

  beforeAll(async () => {
    world = await SyncWorld.start();
    mechanic = await consoleAccount(world.server, 'user-max', 'maintenance');
    cab = await world.addDevice('cab-maintenance');
    cab.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
    const now = () => world.server.clock.now();
    // Inspection 0 fails the service brakes (an out-of-service item) on TRK-1000.
    performInspection(cab.core, 0, { signatureSeed: 'maintenance', now });
    // Inspection 6 fails the wipers on TRK-1006, and the driver writes in a second defect before submitting.
    performInspection(cab.core, 6, { signatureSeed: 'maintenance', now, actions: ACTIONS_PER_INSPECTION - 1 });
    const inspections = cab.core.listRecords('inspection');
    brakesInspection = inspections.find((record) => record.fields.equipmentNumber === 'TRK-1000')!.id;
    wipersInspection = inspections.find((record) => record.fields.equipmentNumber === 'TRK-1006')!.id;
    cab.core.perform({ recordType: 'inspection', recordId: wipersInspection, action: 'update', ops: [{ op: 'add', field: 'defects', member: 'Mud flap torn off' }] });
    cab.core.perform(submitInspection(wipersInspection, now()));
    await syncAll(cab);
  });
  afterAll(async () => world?.close());

  it('lists each unit with the defects its drivers reported, out-of-service units first, with who reported them', async () => {
    const { units, certified } = await queue();
    expect(certified).toEqual([]);
    expect(units.map((unit) => [unit.equipmentNumber, unit.outOfService])).toEqual([
      ['TRK-1000', true],
      ['TRK-1006', false],
    ]);
    expect(units[0]!.inspections).toEqual([
      {
        inspectionId: brakesInspection,
        siteId: NORTH,
        submittedAt: expect.any(Number),
        submittedBy: expect.objectContaining({ operatorId: INSPECTOR.operatorId, deviceId: expect.any(String) }),
        defects: [{ key: 'item:service-brakes', label: 'Service brakes including trailer brake connections', note: expect.stringMatching(/chamber leaks/), outOfService: true }],
      },
    ]);
    expect(units[1]!.inspections[0]!.defects.map((defect) => [defect.key, defect.outOfService])).toEqual([
      ['item:wipers', false],
      ['defect:Mud flap torn off', false],
    ]);
  });

  it('marks a unit with an open out-of-service defect on the dispatch board, whatever case the work order writes it in', async () => {
    await world.office.createWorkOrder({ id: 'wo-trk-1000', siteId: NORTH, title: 'Yard move', equipmentNumber: 'trk-1000' });
    await world.office.createWorkOrder({ id: 'wo-trk-1006', siteId: NORTH, title: 'Fuel run', equipmentNumber: 'TRK-1006' });
    const board = workOrderBoardSchema.parse((await call(world.server, 'GET', '/v1/office/work-orders', { token: world.office.token })).body);
    expect(board.unitsOutOfService).toEqual([{ equipmentNumber: 'TRK-1000', inspectionId: brakesInspection, defects: ['Service brakes including trailer brake connections'] }]);
  });

  it('refuses a certification that breaks the rule, saying why, and writes nothing', async () => {
    const before = await countRows(world.server.database);
    const tries: [string, unknown, RegExp][] = [
      ['an out-of-service defect deferred', { inspectionId: brakesInspection, repairs: [{ defect: 'item:service-brakes', disposition: 'deferred', reason: 'parts on order' }] }, /puts the unit out of service/],
      ['a deferral without a reason', { inspectionId: wipersInspection, repairs: [{ defect: 'item:wipers', disposition: 'deferred' }, { defect: 'defect:Mud flap torn off', disposition: 'repaired' }] }, /say why .*deferred/],
      ['a defect left undecided', { inspectionId: wipersInspection, repairs: [{ defect: 'item:wipers', disposition: 'repaired' }] }, /Mud flap torn off.* has no decision yet/],
      ['a defect the inspection never reported', { inspectionId: brakesInspection, repairs: [{ defect: 'item:service-brakes', disposition: 'repaired' }, { defect: 'item:horn', disposition: 'repaired' }] }, /“horn” is not a defect this inspection reported/],
    ];
    for (const [tried, body, message] of tries) {
      const answer = await certify(body);
      expect([tried, answer.status, answer.body.code, answer.body.message]).toEqual([tried, 400, 'invalid-request', expect.stringMatching(message)]);
    }
    expect((await certify({ inspectionId: 'insp-nowhere', repairs: [{ defect: 'item:horn', disposition: 'repaired' }] })).status).toBe(404);
    expect((await certify({ inspectionId: brakesInspection, repairs: [] })).status).toBe(400);
    const dispatcherTries = await certify({ inspectionId: brakesInspection, repairs: [{ defect: 'item:service-brakes', disposition: 'repaired' }] }, world.office.token);
    expect([dispatcherTries.status, dispatcherTries.body.code]).toEqual([403, 'forbidden']);
    expect(await countRows(world.server.database)).toEqual(before);
  });

  it('certifies with the mechanic’s name and time, signed by the office; the unit leaves the queue and the board, and a second certification is refused', async () => {
    const answer = await certify({
      inspectionId: brakesInspection,
      repairs: [{ defect: 'item:service-brakes', disposition: 'repaired', reason: 'Replaced the right rear brake chamber' }],
    });
    expect(answer.status).toBe(201);
    const record = answer.body.record;
    expect(record).toMatchObject({
      type: 'repairCertification',
      fields: {
        siteId: NORTH,
        equipmentNumber: 'TRK-1000',
        inspectionId: brakesInspection,
        mechanicName: 'maintenance user-max',
        certifiedBy: 'user-max',
        certifiedAt: world.server.clock.now(),
        repairs: [{ defect: 'item:service-brakes', label: 'Service brakes including trailer brake connections', disposition: 'repaired', reason: 'Replaced the right rear brake chamber' }],
      },
    });
    expect(repairCertificationVerifies(record.id, record.fields, world.server.serverSigner.publicKey)).toBe(true);
    // A certification whose content was changed after signing no longer verifies.
    expect(repairCertificationVerifies(record.id, { ...record.fields, mechanicName: 'Someone else' }, world.server.serverSigner.publicKey)).toBe(false);
    expect(repairCertificationVerifies(record.id, { ...record.fields, repairs: [{ ...record.fields.repairs[0], disposition: 'no-repair-needed' }] }, world.server.serverSigner.publicKey)).toBe(false);

    const { units, certified } = await queue();
    expect(units.map((unit) => unit.equipmentNumber)).toEqual(['TRK-1006']);
    expect(certified).toEqual([expect.objectContaining({ recordId: record.id, equipmentNumber: 'TRK-1000', mechanicName: 'maintenance user-max', reviewedBy: null })]);
    const board = workOrderBoardSchema.parse((await call(world.server, 'GET', '/v1/office/work-orders', { token: world.office.token })).body);
    expect(board.unitsOutOfService).toEqual([]);

    const again = await certify({ inspectionId: brakesInspection, repairs: [{ defect: 'item:service-brakes', disposition: 'no-repair-needed' }] });
    expect([again.status, again.body.message]).toEqual([409, expect.stringMatching(/already certified by maintenance user-max/)]);
  });

  it('journals the certification as an office write and sends it to the devices of the unit’s site, where the office signature verifies', async () => {
    const history = await call(world.server, 'GET', `/v1/audit/records/repairCertification/${(await queue()).certified[0]!.recordId}/history`, { token: world.server.adminToken });
    expect(history.status).toBe(200);
    expect(JSON.stringify(history.body)).toContain('user-max');

    await syncAll(cab);
    const [onDevice] = cab.core.listRecords('repairCertification');
    expect(onDevice).toMatchObject({ fields: { equipmentNumber: 'TRK-1000', inspectionId: brakesInspection, mechanicName: 'maintenance user-max' } });
    const officeKey = Uint8Array.from(Buffer.from(cab.core.enrollment()!.serverPublicKey, 'hex'));
    expect(repairCertificationVerifies(onDevice!.id, onDevice!.fields, officeKey)).toBe(true);
  });

  it('shows the next driver the certification to review; the review is their own signed entry, which the office records once', async () => {
    const [toReview] = cab.core.repairsToReview();
    expect(toReview).toMatchObject({ equipmentNumber: 'TRK-1000', mechanicName: 'maintenance user-max', verified: true, repairs: [{ label: 'Service brakes including trailer brake connections', disposition: 'repaired' }] });

    cab.core.signOut();
    expect(() => cab.core.reviewRepairs(toReview!.recordId)).toThrow(/sign in to review repairs/);
    cab.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
    world.server.clock.advance(60_000);
    const { seq } = cab.core.reviewRepairs(toReview!.recordId);
    expect(cab.core.journal({ fromSeq: seq, toSeq: seq })[0]?.body).toMatchObject({ operatorId: INSPECTOR.operatorId, recordType: 'repairCertification', action: 'update' });
    expect(cab.core.repairsToReview()).toEqual([]);
    expect(() => cab.core.reviewRepairs(toReview!.recordId)).toThrow(/already reviewed/);

    await syncAll(cab);
    const { certified } = await queue();
    expect(certified[0]).toMatchObject({ reviewedBy: INSPECTOR.operatorId, reviewedByName: INSPECTOR.displayName, reviewedAt: world.server.clock.now() });
  });

  it('does not let a driver review a certification whose office signature does not hold (a copy altered on the device)', async () => {
    const answer = await certify({ inspectionId: wipersInspection, repairs: [{ defect: 'item:wipers', disposition: 'repaired' }, { defect: 'defect:Mud flap torn off', disposition: 'deferred', reason: 'Part on order, not a safety item' }] });
    expect(answer.status).toBe(201);
    await syncAll(cab);
    cab.core.database.sqlite.prepare(`UPDATE rec_repair_certification SET mechanic_name = 'Not the mechanic' WHERE id = ?`).run(answer.body.record.id);
    expect(cab.core.repairsToReview()).toEqual([expect.objectContaining({ recordId: answer.body.record.id, verified: false })]);
    expect(() => cab.core.reviewRepairs(answer.body.record.id)).toThrow(/signature on this certification does not check out/);
  });
});
