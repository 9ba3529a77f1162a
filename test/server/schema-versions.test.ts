import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../protocol/crypto/hash.js';
import { CURRENT_SCHEMA_VERSION, MINIMUM_SCHEMA_VERSION, SCHEMA_VERSION_HEADER, UPLOAD_OFFSET_HEADER, clientKnowsField, pushRequestSchema } from '../../protocol/wire.js';
import { checkSchemaVersion } from '../../server/requests.js';
import type { ServerRecord } from '../../server/db/schema.js';
import { ApiFailure } from '../../server/errors.js';
import { canonicalFor } from '../../server/sync/canonical.js';
import { type RecordWriteInput, resolveRecordWrite } from '../../server/sync/resolve.js';
import { type UpgraderTable, REQUEST_UPGRADERS, upgradeRequest } from '../../server/sync/upgrade.js';
import { TestChain } from '../support/chain-fixtures.js';
import { enrolledDevice } from '../support/field-devices.js';
import { NORTH, call, countRows, enrollmentRequest, issueEnrollmentToken, seedOrganisation, startTestServer, type TestServer } from '../support/server.js';

/** A test-only history in which note.body arrived with schema 2: a schema-1 client cannot know it. */
const BODY_ADDED_IN_2 = { 2: [{ recordType: 'note', field: 'body' }] };

/**
 * A synthetic schema 0, before versioning: push said `device`, `clock` and `journal`; schema 1
 * renamed them. Schema 1 → 2 added `hint` with a default.
 */
const SYNTHETIC_UPGRADERS: UpgraderTable = {
  0: {
    push: ({ device, clock, journal, ...rest }) => ({ ...rest, deviceId: device, sentAt: clock, entries: journal }),
  },
  1: {
    push: (body) => ({ hint: 'none', ...body }),
  },
};

function failureOf(attempt: () => unknown): ApiFailure {
  try {
    attempt();
  } catch (error) {
    if (error instanceof ApiFailure) return error;
    throw error;
  }
  throw new Error('expected the call to be refused');
}

describe('request upgrades', () => {
  const chain = new TestChain('dev-schema-upgrade');
  chain.openSession('op-ines');
  const legacy = { schemaVersion: 0, device: chain.deviceId, clock: 1_000, journal: chain.entries };

  it('brings an old shape to the current one step by step, and leaves current shapes alone', () => {
    const upgraded = upgradeRequest('push', legacy, 0, SYNTHETIC_UPGRADERS, 1);
    expect(pushRequestSchema.parse(upgraded)).toEqual({ schemaVersion: 0, deviceId: chain.deviceId, sentAt: 1_000, entries: chain.entries });
    expect(upgradeRequest('push', legacy, 0, SYNTHETIC_UPGRADERS, 2)).toEqual({ hint: 'none', schemaVersion: 0, deviceId: chain.deviceId, sentAt: 1_000, entries: chain.entries });
    // A version-1 client skips the first step; a current client and other request kinds pass untouched.
    expect(upgradeRequest('push', { schemaVersion: 1 }, 1, SYNTHETIC_UPGRADERS, 2)).toEqual({ hint: 'none', schemaVersion: 1 });
    expect(upgradeRequest('push', legacy, 1, SYNTHETIC_UPGRADERS, 1)).toBe(legacy);
    expect(upgradeRequest('pull', legacy, 0, SYNTHETIC_UPGRADERS, 1)).toBe(legacy);
    for (const notAnObject of [null, 'text', [legacy], 7]) expect(upgradeRequest('push', notAnObject, 0, SYNTHETIC_UPGRADERS, 1)).toBe(notAnObject);
  });

  it('has no steps today: schema 1 is the first versioned shape and the oldest accepted', () => {
    expect(REQUEST_UPGRADERS).toEqual({});
    expect(MINIMUM_SCHEMA_VERSION).toBe(1);
    expect(pushRequestSchema.safeParse(upgradeRequest('push', legacy, 0)).success).toBe(false);
  });
});

describe('fields an old client cannot know', () => {
  it('knows a field added in a later schema as unknown to older clients only', () => {
    const history = { 3: [{ recordType: 'workOrder', field: 'trailerTemp' }] };
    expect(clientKnowsField(2, 'workOrder', 'trailerTemp', history)).toBe(false);
    expect(clientKnowsField(3, 'workOrder', 'trailerTemp', history)).toBe(true);
    expect(clientKnowsField(2, 'inspection', 'trailerTemp', history)).toBe(true);
    expect(clientKnowsField(2, 'workOrder', 'title', history)).toBe(true);
  });

  const note: ServerRecord = {
    type: 'note',
    id: 'note-schema',
    siteId: NORTH,
    audience: [NORTH],
    version: 1,
    fields: { subjectType: 'workOrder', subjectId: 'wo-1', body: 'Tyre worn' },
    fieldStates: {},
    tombstone: null,
    deleted: false,
    pendingReview: false,
    createdAt: 0,
    updatedAt: 0,
  };
  const edit = (clientSchemaVersion: number, ops: RecordWriteInput['ops']): RecordWriteInput => ({
    recordType: 'note',
    recordId: 'note-schema',
    action: 'update',
    ops,
    baseVersion: 1,
    origin: 'field',
    author: { operatorId: 'op-ines', deviceId: 'dev-1', seq: 2 },
    effectiveTime: 1_000,
    receivedAt: 1_000,
    clientSchemaVersion,
  });
  const scope = { deviceSiteId: NORTH, operatorSite: () => NORTH, fieldsAddedIn: BODY_ADDED_IN_2 };

  it('refuses an old client’s operation on a field added after its schema, with a reason it can show', () => {
    const refused = resolveRecordWrite(note, edit(1, [{ op: 'set', field: 'body', value: 'Tyre replaced' }]), scope);
    expect(refused).toMatchObject({ outcome: 'rejected', reason: 'field-unknown-to-client', next: null });
    expect(refused.message).toBe('body did not exist in schema 1; update the app to change it');
    // A client that knows the field, and the default history (no field added after 1), apply it.
    expect(resolveRecordWrite(note, edit(2, [{ op: 'set', field: 'body', value: 'Tyre replaced' }]), scope).outcome).toBe('accepted');
    expect(resolveRecordWrite(note, edit(1, [{ op: 'set', field: 'body', value: 'Tyre replaced' }]), { ...scope, fieldsAddedIn: undefined }).outcome).toBe('accepted');
    // A delete names no field: an old client may still delete.
    expect(resolveRecordWrite(note, { ...edit(1, [{ op: 'tombstone' }]), action: 'delete' }, scope).outcome).toBe('accepted');
  });

  it('leaves such fields out of what it sends that client', () => {
    expect(canonicalFor(note, 1, BODY_ADDED_IN_2).fields).toEqual({ subjectType: 'workOrder', subjectId: 'wo-1' });
    expect(canonicalFor(note, 2, BODY_ADDED_IN_2).fields).toEqual(note.fields);
    expect(canonicalFor(note, 1).fields).toEqual(note.fields);
  });
});

describe('the supported window', () => {
  it('answers update-required with the minimum below it, unsupported above it, and invalid without a version', () => {
    const window = { minimum: 2, current: 3 };
    expect(checkSchemaVersion(2, window)).toBe(2);
    expect(checkSchemaVersion(3, window)).toBe(3);
    const old = failureOf(() => checkSchemaVersion(1, window));
    expect([old.status, old.code, old.extra]).toEqual([426, 'update-required', { minimumVersion: 2, currentVersion: 3 }]);
    expect(old.message).toContain('update to schema 2 or later');
    const future = failureOf(() => checkSchemaVersion(4, window));
    expect([future.status, future.code]).toEqual([400, 'schema-version-unsupported']);
    for (const missing of [undefined, '1', -1, 1.5, Number.NaN]) expect(failureOf(() => checkSchemaVersion(missing, window)).status).toBe(400);
  });

  describe('on every device endpoint', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer();
      await seedOrganisation(server);
    });
    afterAll(async () => server?.close());

    it('tells a client older than the window to update, with the minimum version, and writes nothing', async () => {
      const cab = await enrolledDevice(server, 'dev-schema-window');
      const token = await issueEnrollmentToken(server, NORTH, 'cab');
      const newcomer = new TestChain('dev-schema-newcomer');
      const sha256 = sha256Hex('photo');
      const old = { [SCHEMA_VERSION_HEADER]: '0' };
      const rowsBefore = await countRows(server.database);

      const attempts: [string, Promise<{ status: number; body: any }>][] = [
        ['enroll', call(server, 'POST', '/v1/enroll', { body: { ...enrollmentRequest(token, newcomer.deviceId, newcomer.deviceSigner), schemaVersion: 0 } })],
        ['push', call(server, 'POST', '/v1/sync/push', { token: cab.credential, body: { schemaVersion: 0, deviceId: cab.chain.deviceId, sentAt: 0, entries: cab.chain.entries } })],
        ['pull', call(server, 'POST', '/v1/sync/pull', { token: cab.credential, body: { schemaVersion: 0 } })],
        ['events', call(server, 'GET', '/v1/sync/events', { token: cab.credential, headers: old })],
        ['attachment', call(server, 'POST', '/v1/attachments', { token: cab.credential, body: { schemaVersion: 0, sha256, size: 5, mimeType: 'image/jpeg' } })],
        ['attachment status', call(server, 'GET', `/v1/attachments/${sha256}`, { token: cab.credential, headers: old })],
        [
          'chunk',
          fetch(`${server.url}/v1/attachments/${sha256}`, {
            method: 'PATCH',
            headers: { authorization: `Bearer ${cab.credential}`, ...old, [UPLOAD_OFFSET_HEADER]: '0', 'content-type': 'application/octet-stream' },
            body: 'photo',
          }).then(async (response) => ({ status: response.status, body: await response.json() })),
        ],
      ];
      for (const [what, attempt] of attempts) {
        const answer = await attempt;
        expect([answer.status, answer.body.code, answer.body.minimumVersion, answer.body.currentVersion], what).toEqual([
          426,
          'update-required',
          MINIMUM_SCHEMA_VERSION,
          CURRENT_SCHEMA_VERSION,
        ]);
      }
      // Without any version the request is malformed, not outdated.
      const unversioned = await call(server, 'POST', '/v1/sync/pull', { token: cab.credential, body: {} });
      expect([unversioned.status, unversioned.body.code]).toEqual([400, 'invalid-request']);
      const garbled = await call(server, 'GET', '/v1/sync/events', { token: cab.credential, headers: { [SCHEMA_VERSION_HEADER]: 'one' } });
      expect(garbled.status).toBe(400);
      expect(await countRows(server.database)).toEqual(rowsBefore);
    });
  });
});
