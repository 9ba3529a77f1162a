import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIpcHandler, type IpcHandler } from '../../main/ipc/handlers.js';
import { ipcContract, type IpcResult } from '../../main/ipc/contract.js';
import { SEED_CHECKLIST_TEMPLATES } from '../../protocol/checklists.js';
import { writeSyncValue } from '../../db/queries/sync.js';
import { storeFootprint } from '../support/core-assertions.js';
import { CLERK, INSPECTOR, openTestDevice, type TestDevice } from '../support/device.js';

/**
 * The IPC boundary as the renderer sees it: every call answers with an IpcResult and never throws;
 * malformed calls are refused with a clear error before the core sees them and write nothing.
 */
const SITE = 'site-oak';
const VALID_CONTAINER = 'CSQU3054383';
const WRONG_CHECK_DIGIT_CONTAINER = 'CSQU3054384';

function gateEventCreate(containerNumber: string) {
  return {
    recordType: 'gateEvent',
    action: 'create',
    ops: [
      { op: 'set', field: 'siteId', value: SITE },
      { op: 'set', field: 'direction', value: 'in' },
      { op: 'set', field: 'truckPlate', value: '7ABC123' },
      { op: 'set', field: 'carrier', value: 'Blue Line Drayage' },
      { op: 'set', field: 'recordedAt', value: Date.UTC(2026, 10, 22, 8) },
      { op: 'set', field: 'containerNumber', value: containerNumber },
    ],
  };
}

let device: TestDevice;
let handle: IpcHandler;
let logged: unknown[];

beforeEach(() => {
  device = openTestDevice();
  logged = [];
  handle = createIpcHandler(device.core, { unenrolledSiteId: SITE, logError: (_message, error) => logged.push(error) });
});

afterEach(() => {
  device.core.close();
});

async function expectValue(result: Promise<IpcResult>): Promise<unknown> {
  const settled = await result;
  if (!settled.ok) throw new Error(`expected success, got ${settled.error.code}: ${settled.error.message}`);
  return settled.value;
}

/** Calls `method` with `input`, expects the error `code`, and that nothing at all was written. */
async function expectRefused(method: unknown, input: unknown, code: string, message: RegExp = /./): Promise<void> {
  const before = storeFootprint(device.core);
  const result = await handle(method, input);
  expect(result).toEqual({ ok: false, error: expect.objectContaining({ code, message: expect.stringMatching(message) }) });
  expect(storeFootprint(device.core)).toEqual(before);
}

async function signInClerk(): Promise<void> {
  await expectValue(handle('session.signIn', { badgeId: CLERK.badgeId, pin: CLERK.pin }));
}

describe('well-formed calls', () => {
  it('signs in, reports the operator name and role, and signs out', async () => {
    const session = await expectValue(handle('session.signIn', { badgeId: INSPECTOR.badgeId, pin: INSPECTOR.pin }));
    expect(session).toMatchObject({ operatorId: INSPECTOR.operatorId, displayName: INSPECTOR.displayName, role: 'inspector' });
    expect(await expectValue(handle('session.current', {}))).toEqual(session);
    expect(await expectValue(handle('session.signOut', {}))).toBeNull();
    expect(await expectValue(handle('session.current', {}))).toBeNull();
  });

  it('records a gate event and reads it back, with its history and the device status', async () => {
    await signInClerk();
    const performed = (await expectValue(handle('records.perform', gateEventCreate(VALID_CONTAINER)))) as { seq: number; record: { id: string } };
    const ref = { recordType: 'gateEvent', recordId: performed.record.id };
    expect(await expectValue(handle('records.get', ref))).toMatchObject({ id: performed.record.id, fields: { containerNumber: VALID_CONTAINER, siteId: SITE } });
    expect(await expectValue(handle('records.list', { recordType: 'gateEvent' }))).toHaveLength(1);
    expect(await expectValue(handle('records.history', ref))).toEqual([
      expect.objectContaining({ seq: performed.seq, action: 'create', operatorId: CLERK.operatorId }),
    ]);
    expect(await expectValue(handle('device.status', {}))).toMatchObject({
      siteId: SITE,
      session: { operatorId: CLERK.operatorId, role: 'gate-clerk' },
      journal: { lastSeq: performed.seq },
      outbox: { pending: performed.seq },
    });
    expect(await expectValue(handle('journal.verify', {}))).toMatchObject({ ok: true, lastSeq: performed.seq });
  });

  it('takes the site from the enrollment once the office has enrolled the device, never showing its credential', async () => {
    expect(await expectValue(handle('device.status', {}))).toMatchObject({ siteId: SITE, enrollment: null });
    const enrollment = { deviceId: device.core.deviceId, kind: 'kiosk', siteId: 'site-harbor', organisationId: 'org-1', credential: 'secret-credential-0123456789', serverPublicKey: 'c'.repeat(64), enrolledAt: 1 };
    writeSyncValue(device.core.database.db, 'enrollment', enrollment);
    const status = await expectValue(handle('device.status', {}));
    expect(status).toMatchObject({ siteId: 'site-harbor', enrollment: { siteId: 'site-harbor', organisationId: 'org-1', kind: 'kiosk', enrolledAt: 1 } });
    expect(JSON.stringify(status)).not.toContain('secret-credential');
  });

  it('lists the seed checklist templates, as copies the caller cannot alter', async () => {
    const templates = (await expectValue(handle('templates.list', {}))) as typeof SEED_CHECKLIST_TEMPLATES;
    expect(templates.map((template) => template.id)).toEqual(['dvir-power-unit', 'intermodal-chassis']);
    templates[0]!.items.length = 0;
    expect(await expectValue(handle('templates.list', {}))).toEqual(SEED_CHECKLIST_TEMPLATES);
  });
});

describe('refused calls write nothing', () => {
  it('refuses method names that are not in the contract, including prototype names and non-strings', async () => {
    await signInClerk();
    for (const method of ['records.drop', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '', 'x'.repeat(100_000), 42, null, undefined, {}, ['records.perform']]) {
      await expectRefused(method, gateEventCreate(VALID_CONTAINER), 'unknown-method', /unknown method/);
    }
    const longName = await handle('x'.repeat(100_000), {});
    expect(!longName.ok && longName.error.message.length).toBeLessThanOrEqual(300);
  });

  it('refuses inputs of the wrong type or with missing fields, naming the field', async () => {
    await expectRefused('session.signIn', { badgeId: 200, pin: 1357 }, 'invalid-input', /badgeId/);
    await expectRefused('session.signIn', { badgeId: CLERK.badgeId }, 'invalid-input', /pin/);
    await expectRefused('session.signIn', { badgeId: CLERK.badgeId, pin: '13a7' }, 'invalid-input', /PIN is 4 to 12 digits/);
    await expectRefused('session.signIn', undefined, 'invalid-input');
    await expectRefused('session.signIn', 'B200:1357', 'invalid-input');
    expect(device.core.sessions.current).toBeNull();

    await signInClerk();
    const { ops: _ops, ...withoutOps } = gateEventCreate(VALID_CONTAINER);
    await expectRefused('records.perform', withoutOps, 'invalid-input', /ops/);
    await expectRefused('records.perform', { ...gateEventCreate(VALID_CONTAINER), recordType: 'payroll' }, 'invalid-input', /recordType/);
    await expectRefused('records.perform', { ...gateEventCreate(VALID_CONTAINER), ops: 'all of them' }, 'invalid-input', /ops/);
    await expectRefused('records.list', {}, 'invalid-input', /recordType/);
    await expectRefused('records.get', { recordType: 'gateEvent', recordId: '../../etc/passwd' }, 'invalid-input', /recordId/);
    await expectRefused('device.status', { verbose: true }, 'invalid-input', /verbose/);
    const missing = await handle('session.signIn', { badgeId: CLERK.badgeId });
    expect(!missing.ok && missing.error.field).toBe('pin');
  });

  it('refuses __proto__ keys at any depth and pollutes no prototype', async () => {
    await signInClerk();
    // JSON.parse makes "__proto__" an own key, as a hostile renderer's message would arrive.
    await expectRefused('session.signIn', JSON.parse(`{"badgeId":"B200","pin":"1357","__proto__":{"polluted":true}}`), 'invalid-input', /__proto__/);
    await expectRefused(
      'records.perform',
      JSON.parse(`{"recordType":"gateEvent","action":"create","ops":[{"op":"set","field":"truckPlate","value":"X","__proto__":{"polluted":true}}]}`),
      'invalid-input',
    );
    await expectRefused(
      'records.perform',
      { ...gateEventCreate(VALID_CONTAINER), ops: [...gateEventCreate(VALID_CONTAINER).ops, JSON.parse(`{"op":"set","field":"driverName","value":{"__proto__":{"polluted":true}}}`)] },
      'invalid-input',
      /__proto__/,
    );
    await expectRefused(
      'records.perform',
      { recordType: 'inspection', action: 'create', ops: [{ op: 'set', field: 'items', key: '__proto__', value: { result: 'pass' } }] },
      'invalid-input',
      /__proto__/,
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('refuses huge strings quickly and without echoing them back', async () => {
    const huge = 'A'.repeat(5_000_000);
    await expectRefused('session.signIn', { badgeId: huge, pin: CLERK.pin }, 'invalid-input', /at most 64/);
    await expectRefused('session.signIn', { badgeId: CLERK.badgeId, pin: '1'.repeat(1_000_000) }, 'invalid-input', /PIN/);
    await signInClerk();
    const withHugePlate = gateEventCreate(VALID_CONTAINER);
    withHugePlate.ops[2] = { op: 'set', field: 'truckPlate', value: huge };
    await expectRefused('records.perform', withHugePlate, 'invalid-input');
    const hugeKey = await handle('device.status', { [huge]: 1 });
    expect(hugeKey.ok).toBe(false);
    expect(JSON.stringify(hugeKey).length).toBeLessThan(1000);
  });

  it('passes the core’s own refusals through with their code and field', async () => {
    await expectRefused('records.perform', gateEventCreate(VALID_CONTAINER), 'not-signed-in', /sign in/);
    await expectRefused('records.list', { recordType: 'gateEvent' }, 'not-signed-in', /sign in/);
    await expectRefused('session.signIn', { badgeId: CLERK.badgeId, pin: '0000' }, 'wrong-pin', /wrong badge or PIN/);
    // The sign-in screen learns the tries left, and an unknown badge is told exactly what a wrong PIN is.
    const wrongPin = await handle('session.signIn', { badgeId: CLERK.badgeId, pin: '1111' });
    expect(wrongPin).toEqual({ ok: false, error: { code: 'wrong-pin', message: 'wrong badge or PIN', retry: { attemptsLeft: 3, retryInMs: 0 } } });
    await handle('session.signIn', { badgeId: 'B999', pin: '0000' });
    expect(await handle('session.signIn', { badgeId: 'B999', pin: '1111' })).toEqual(wrongPin);
    await signInClerk();
    await expectRefused('records.perform', gateEventCreate(WRONG_CHECK_DIGIT_CONTAINER), 'invalid-value', /check digit should be 3, not 4/);
    const refused = await handle('records.perform', gateEventCreate(WRONG_CHECK_DIGIT_CONTAINER));
    expect(!refused.ok && refused.error.field).toBe('containerNumber');
  });

  it("ties a refused operation to the field it writes, in plain words, never zod's or the operation's path", async () => {
    await signInClerk();
    const inspection = await handle('records.perform', {
      recordType: 'inspection',
      action: 'create',
      ops: [
        { op: 'set', field: 'templateId', value: 'dvir-power-unit' },
        { op: 'add', field: 'defects', member: 'x'.repeat(300) },
      ],
    });
    expect(inspection).toEqual({ ok: false, error: { code: 'invalid-input', field: 'defects', message: 'defects: is too long: at most 256 characters' } });
    const core = await handle('records.perform', {
      recordType: 'inspection',
      action: 'create',
      ops: [
        { op: 'set', field: 'templateId', value: 'dvir-power-unit' },
        { op: 'set', field: 'equipmentNumber', value: 'TRK-1' },
        { op: 'add', field: 'defects', member: 'x'.repeat(230) },
      ],
    });
    expect(core).toEqual({ ok: false, error: { code: 'invalid-value', field: 'defects', message: 'defects: is too long: at most 200 characters' } });
  });

  it('locks an idle session before serving the next call', async () => {
    await signInClerk();
    // A device not enrolled yet locks as a kiosk: after 15 idle minutes.
    device.clock.advance(15 * 60 * 1000);
    const refused = await handle('records.perform', gateEventCreate(VALID_CONTAINER));
    expect(refused).toEqual({ ok: false, error: expect.objectContaining({ code: 'not-signed-in' }) });
    expect(await expectValue(handle('session.current', {}))).toBeNull();
    expect(device.core.listRecords('gateEvent')).toEqual([]);
    expect(device.core.journal().at(-1)?.body).toMatchObject({ kind: 'session.close', reason: 'idle-lock' });
  });

  it('counts reading as activity: a clerk browsing records is not locked out', async () => {
    await signInClerk();
    for (let minute = 0; minute < 4; minute++) {
      device.clock.advance(3 * 60 * 1000);
      await expectValue(handle('records.list', { recordType: 'gateEvent' }));
    }
    const recorded = await handle('records.perform', gateEventCreate(VALID_CONTAINER));
    expect(recorded.ok).toBe(true);
  });

  it('answers an unexpected failure with a safe message and logs the real error', async () => {
    await signInClerk();
    device.core.database.sqlite.close();
    const result = await handle('records.list', { recordType: 'gateEvent' });
    expect(result).toEqual({ ok: false, error: { code: 'internal', message: expect.stringMatching(/went wrong inside Waypost/) } });
    expect(JSON.stringify(result)).not.toMatch(/database|sqlite/i);
    expect(logged).toHaveLength(1);
    expect(String(logged[0])).toMatch(/not open/);
  });

  it('never throws and writes nothing for arbitrary calls', async () => {
    await signInClerk();
    const before = storeFootprint(device.core);
    // Signing out is a legitimate write, and so is closing the app (which signs out first); every other method is tried with random input.
    const contractMethods = Object.keys(ipcContract).filter((method) => method !== 'session.signOut' && method !== 'app.close');
    const methods = fc.oneof(fc.constantFrom(...contractMethods), fc.string(), fc.anything());
    const inputs = fc.oneof(fc.anything(), fc.jsonValue(), fc.dictionary(fc.constantFrom('recordType', 'recordId', 'action', 'ops', 'badgeId', 'pin', '__proto__'), fc.jsonValue()));
    await fc.assert(
      fc.asyncProperty(methods, inputs, async (method, input) => {
        const result = await handle(method, input);
        expect(typeof result.ok).toBe('boolean');
        if (method === 'records.perform' || method === 'session.signIn') expect(result.ok).toBe(false);
      }),
      { numRuns: 300 },
    );
    expect(storeFootprint(device.core)).toEqual(before);
  });
});
