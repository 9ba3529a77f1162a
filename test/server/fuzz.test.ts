import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../protocol/crypto/hash.js';
import { textProblem } from '../../protocol/text.js';
import { SMALL_ORDER_ENCODINGS } from '../../protocol/crypto/ed25519-point.js';
import { type EntryBody, type JournalEntry, signCertificate, signEntry } from '../../protocol/journal.js';
import {
  CURRENT_SCHEMA_VERSION,
  MAX_PUSH_BODY_BYTES,
  SCHEMA_VERSION_HEADER,
  UPLOAD_OFFSET_HEADER,
  type PushResponse,
} from '../../protocol/wire.js';
import { VALID_CREATES } from '../support/actions.js';
import { TestChain } from '../support/chain-fixtures.js';
import { SeededRandomness } from '../support/device.js';
import { smallOrderSigner } from '../support/weak-keys.js';
import { type FieldDevice, enrolledDevice, officeUser } from '../support/field-devices.js';
import { NORTH, call, enrollDevice, enrollmentRequest, issueEnrollmentToken, seedOrganisation, startTestServer, type TestServer } from '../support/server.js';

/**
 * Hostile input against every endpoint, in process (app.inject): malformed and truncated JSON,
 * wrong types, `__proto__` keys, NaN and Infinity, huge arrays, oversized bodies, wrong content
 * types, bad cursors, credentials that are missing, garbled, revoked, another device's or of the
 * wrong role, another device's entries, sequence numbers reused with a different body, and sessions
 * certified for small-order keys.
 *
 * Every request is built so that it cannot legitimately change anything: requests to endpoints
 * that write are either broken, badly authorised, or replays of what was already done. So after
 * each request the office database must be as before (one cheap fingerprint query), with one
 * exception the design asks for: a forked chain is flagged on the device. And the answer is never
 * a 5xx; a replayed push is answered exactly as the first time.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
/** A hang guard only: 10,000 runs take about a minute here, and several times that on a machine busy with other work. */
const FUZZ_HANG_GUARD_MS = 15 * 60_000;
/** Every run draws the same requests unless FUZZ_SEED says otherwise; a failure names its seed and path to replay. */
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_201);

let server: TestServer;
let world: World;

interface World {
  cab: FieldDevice;
  other: FieldDevice;
  revokedCredential: string;
  dispatcher: string;
  reviewer: string;
  /** A push of all of the cab's acknowledged entries, answered before the fuzzing: the reference. */
  reference: PushResponse;
  resolvedItemId: number;
  spentEnrollmentToken: string;
  cursor: string;
  uploading: { sha256: string; size: number; received: number };
  stored: { sha256: string; size: number };
  workOrderId: string;
}

beforeAll(async () => {
  server = await startTestServer();
  const { dispatcherToken } = await seedOrganisation(server);
  const reviewer = await officeUser(server, 'user-fuzz-reviewer', 'reviewer');
  const cab = await enrolledDevice(server, 'dev-fuzz-cab');
  const other = await enrolledDevice(server, 'dev-fuzz-other');
  const revoked = await enrolledDevice(server, 'dev-fuzz-revoked');
  await call(server, 'POST', '/v1/admin/devices/dev-fuzz-revoked/revoke', { token: server.adminToken });

  for (let i = 0; i < 6; i++) cab.chain.record({ recordId: `note-fuzz-${i}` });
  const line = [
    { op: 'set', field: 'workOrderId', value: 'wo-1' },
    { op: 'set', field: 'description', value: 'Brake pads' },
    { op: 'set', field: 'quantity', value: 2 },
  ] as const;
  cab.chain.record({ recordType: 'billingLine', recordId: 'bl-fuzz', ops: [...line] });
  await cab.push();
  other.chain.record({ recordType: 'billingLine', recordId: 'bl-fuzz', action: 'update', baseVersion: 1, ops: [{ op: 'set', field: 'quantity', value: 3 }] });
  await other.push();
  cab.chain.record({ recordType: 'billingLine', recordId: 'bl-fuzz', action: 'update', baseVersion: 1, ops: [{ op: 'set', field: 'quantity', value: 4 }] });
  await cab.push();
  const items = (await call(server, 'GET', '/v1/office/review-items?status=open', { token: reviewer })).body.items;
  const resolved = await call(server, 'POST', `/v1/office/review-items/${items[0].id}/resolve`, { token: reviewer, body: { choice: 'current', reason: 'fuzz setup' } });
  if (resolved.status !== 200) throw new Error(`setup: resolve ${resolved.status}`);

  const spentEnrollmentToken = await issueEnrollmentToken(server, NORTH, 'cab');
  const spender = new TestChain('dev-fuzz-spender');
  await call(server, 'POST', '/v1/enroll', { body: enrollmentRequest(spentEnrollmentToken, spender.deviceId, spender.deviceSigner) });
  await enrollDevice(server, new TestChain('dev-fuzz-spare'));

  const partial = new SeededRandomness('fuzz-upload').bytes(1000);
  const uploading = { sha256: sha256Hex(partial), size: 1000, received: 100 };
  await declareAttachment(cab, uploading.sha256, uploading.size);
  await server.app.inject({ method: 'PATCH', url: `/v1/attachments/${uploading.sha256}`, headers: deviceHeaders(cab.credential, { 'content-type': 'application/octet-stream', [UPLOAD_OFFSET_HEADER]: '0' }), payload: Buffer.from(partial.subarray(0, 100)) });
  const whole = new SeededRandomness('fuzz-stored').bytes(300);
  const stored = { sha256: sha256Hex(whole), size: 300 };
  await declareAttachment(cab, stored.sha256, stored.size);
  await server.app.inject({ method: 'PATCH', url: `/v1/attachments/${stored.sha256}`, headers: deviceHeaders(cab.credential, { 'content-type': 'application/octet-stream', [UPLOAD_OFFSET_HEADER]: '0' }), payload: Buffer.from(whole) });

  const workOrder = await call(server, 'POST', '/v1/office/work-orders', { token: dispatcherToken, body: { id: 'wo-fuzz', siteId: NORTH, title: 'Fuzz target' } });
  if (workOrder.status !== 201) throw new Error('setup: work order');
  await cab.pull();
  const cursor = (await call(server, 'POST', '/v1/sync/pull', { token: cab.credential, body: { schemaVersion: 1, limit: 3 } })).body.cursor;
  const reference = await call<PushResponse>(server, 'POST', '/v1/sync/push', { token: cab.credential, body: pushBody(cab, cab.chain.entries) });
  world = {
    cab,
    other,
    revokedCredential: revoked.credential,
    dispatcher: dispatcherToken,
    reviewer,
    reference: reference.body,
    resolvedItemId: items[0].id,
    spentEnrollmentToken,
    cursor,
    uploading,
    stored,
    workOrderId: 'wo-fuzz',
  };
}, 120_000);
afterAll(async () => server?.close());

function deviceHeaders(credential: string, extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${credential}`, [SCHEMA_VERSION_HEADER]: String(CURRENT_SCHEMA_VERSION), ...extra };
}

async function declareAttachment(device: FieldDevice, sha256: string, size: number): Promise<void> {
  await call(server, 'POST', '/v1/attachments', { token: device.credential, body: { schemaVersion: 1, sha256, size, mimeType: 'image/jpeg' } });
}

function pushBody(device: FieldDevice, entries: readonly unknown[]) {
  return { schemaVersion: CURRENT_SCHEMA_VERSION, deviceId: device.chain.deviceId, sentAt: server.clock.now(), entries };
}

// ---------------------------------------------------------------------------------------------
// The database fingerprint: row counts and the mutable columns of every table a request may write.
// ---------------------------------------------------------------------------------------------

const FINGERPRINT = sql.raw(`SELECT
  (SELECT count(*) FROM journal_entries)::text AS journal_entries,
  (SELECT count(*) FROM record_writes)::text AS record_writes,
  (SELECT count(*) FROM record_versions)::text AS record_versions,
  (SELECT count(*) || ':' || coalesce(sum(version), 0) || ':' || count(*) FILTER (WHERE pending_review) FROM records) AS records,
  (SELECT count(*) || ':' || count(*) FILTER (WHERE status = 'open') FROM review_items) AS review_items,
  (SELECT count(*) FROM review_decisions)::text AS review_decisions,
  (SELECT count(*) FROM changes)::text AS changes,
  (SELECT value FROM counters WHERE name = 'change_feed')::text AS change_feed,
  (SELECT count(*) FROM device_flags)::text AS device_flags,
  (SELECT md5(string_agg(id || ':' || chain_seq || ':' || chain_head || ':' || coalesce(revoked_at, -1) || ':' || public_key || ':' || credential_hash, ',' ORDER BY id)) FROM devices) AS devices,
  (SELECT count(*) FILTER (WHERE flagged) FROM devices)::text AS flagged_devices,
  (SELECT count(*) || ':' || count(used_at) FROM enrollment_tokens) AS enrollment_tokens,
  (SELECT md5(string_agg(id || ':' || active || ':' || pin_verifier || ':' || display_name || ':' || updated_at, ',' ORDER BY id)) FROM operators) AS operators,
  (SELECT count(*) || ':' || count(revoked_at) FROM office_users) AS office_users,
  (SELECT count(*) FROM organisations)::text AS organisations,
  (SELECT count(*) FROM sites)::text AS sites,
  (SELECT count(*) || ':' || count(stored_at) || ':' || coalesce(string_agg(sha256 || size || mime_type || uploader_device_id, ',' ORDER BY sha256), '') FROM attachments) AS attachments`);

type Fingerprint = Record<string, string>;

async function fingerprint(): Promise<Fingerprint> {
  const result = (await server.database.db.execute(FINGERPRINT)) as unknown as { rows: Fingerprint[] };
  return { ...result.rows[0]! };
}

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

interface FuzzRequest {
  label: string;
  options: InjectOptions;
  /** A push of acknowledged entries: the answer must equal the reference's for those entries. */
  replay?: { fromIndex: number; toIndex: number };
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const hostileJson: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>('NaN', 'Infinity', '-Infinity', '1e999', '', ' ', '\u0000', '\ud800', '../../etc/passwd', "'; DROP TABLE records; --", 'x'.repeat(20_000)),
  fc.constantFrom<Json>(Number.MAX_SAFE_INTEGER + 2, -1, 1.5, 0, 1e300, -1e300),
  fc.constantFrom<Json>([], {}, true, false, [[[[[]]]]], { length: 1e9 }, { toString: 'x' }, { constructor: { name: 'x' } }),
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
);

/** Text that breaks the text rule (protocol/text.ts): NUL and unpaired surrogates, alone or inside text. */
const unsafeText: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom('\u0000', '\ud800', '\udbff', '\udc00', '\udfff', 'a\u0000b', '\udc00\ud800', 'ok \ud83d'), fc.string({ maxLength: 8 }))
  .map(([bad, around]) => `${around}${bad}${around}`);

/** A value certainly of another JSON type than `value` (and not null, which some fields allow). */
function otherType(value: Json): fc.Arbitrary<Json> {
  const pools: Record<string, Json[]> = {
    string: [7, -1, true, [], {}, ['NaN'], { value: 'x' }],
    number: ['NaN', 'Infinity', '12', true, [], {}, [1]],
    boolean: ['true', 1, 0, [], {}],
    array: ['[]', 0, {}, { 0: 'x' }, true],
    object: ['{}', 0, [], true, [{}]],
    null: [0, false, [], {}],
  };
  const kind = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  return fc.constantFrom(...pools[kind]!);
}

function leaves(value: Json, path: (string | number)[] = []): { path: (string | number)[]; value: Json }[] {
  const here = path.length > 0 ? [{ path, value }] : [];
  if (Array.isArray(value)) return [...here, ...value.slice(0, 5).flatMap((inner, index) => leaves(inner, [...path, index]))];
  if (value !== null && typeof value === 'object') return [...here, ...Object.entries(value).flatMap(([key, inner]) => leaves(inner, [...path, key]))];
  return here;
}

function replaced(value: Json, path: readonly (string | number)[], replacement: Json): Json {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  if (Array.isArray(value)) return value.map((inner, index) => (index === head ? replaced(inner, rest, replacement) : inner));
  const object = value as Record<string, Json>;
  return { ...object, [head!]: replaced(object[head!]!, rest, replacement) };
}

/**
 * A JSON body that no schema accepts, derived from a valid one: cut short, an unknown key, a
 * `__proto__` key, a value of the wrong type, non-finite numbers, or an array far past its limit.
 */
function brokenJson(base: Json): fc.Arbitrary<{ kind: string; text: string }> {
  const text = JSON.stringify(base);
  const paths = leaves(base);
  const arrays = paths.filter((leaf) => Array.isArray(leaf.value) && leaf.value.length > 0);
  const numbers = paths.filter((leaf) => typeof leaf.value === 'number');
  const braces = [...text.matchAll(/\{/g)].map((match) => match.index!);
  const strings = paths.filter((leaf) => typeof leaf.value === 'string');
  const kinds: fc.Arbitrary<{ kind: string; text: string }>[] = [
    fc.nat(text.length - 1).map((cut) => ({ kind: 'truncated', text: text.slice(0, cut) })),
    fc
      .tuple(fc.constantFrom('admin', 'extra', 'constructor', 'schemaversion', 'toString', 'entries ', 'ID'), hostileJson)
      .map(([key, value]) => ({ kind: 'unknown-key', text: JSON.stringify({ ...(base as object), [key]: value }) })),
    fc.constantFrom(...braces).map((at) => ({ kind: '__proto__', text: `${text.slice(0, at + 1)}"__proto__":{"polluted":true},${text.slice(at + 1)}` })),
    fc
      .constantFrom(...paths)
      .chain((leaf) => otherType(leaf.value).map((wrong) => ({ kind: `wrong-type ${leaf.path.join('.')}`, text: JSON.stringify(replaced(base, leaf.path, wrong)) }))),
  ];
  if (numbers.length > 0) {
    kinds.push(
      fc.tuple(fc.constantFrom(...numbers), fc.constantFrom('1e999', '-1e999', 'NaN', 'Infinity', '0x10', '1_000')).map(([leaf, raw]) => {
        const marker = '"\u0000number\u0000"';
        return { kind: `raw-number ${raw}`, text: JSON.stringify(replaced(base, leaf.path, '\u0000number\u0000')).replace(marker, raw) };
      }),
    );
  }
  if (strings.length > 0) {
    kinds.push(
      fc.tuple(fc.constantFrom(...strings), unsafeText).map(([leaf, hostile]) => ({
        kind: `unsafe-text ${leaf.path.join('.')}`,
        text: JSON.stringify(replaced(base, leaf.path, `${String(leaf.value)}${hostile}`)),
      })),
    );
  }
  if (arrays.length > 0) {
    kinds.push(
      fc.constantFrom(...arrays).map((leaf) => ({
        kind: `huge-array ${leaf.path.join('.')}`,
        text: JSON.stringify(replaced(base, leaf.path, Array(1_001).fill((leaf.value as Json[])[0]))),
      })),
    );
  }
  return fc.oneof(...kinds);
}

const OVERSIZED = { normal: `{"x":"${'a'.repeat(1024 * 1024 + 10)}"}`, push: `{"x":"${'a'.repeat(MAX_PUSH_BODY_BYTES + 10)}"}` };

function hostileCredentials(): fc.Arbitrary<Record<string, string>> {
  return fc.oneof(
    fc.constant({}),
    fc.constantFrom('Bearer', 'Bearer short', 'Basic d3BkXzEyMzQ1Njc4OTA=', `Bearer ${'a'.repeat(400)}`, 'Bearer wpd_unknownunknownunknown', 'bearer wpo_lowercasescheme').map((authorization) => ({ authorization })),
    fc.constant(null).map(() => ({ authorization: `Bearer ${world.revokedCredential}` })),
  );
}

/** A request body sent as JSON (valid bodies only where sending them changes nothing). */
function jsonRequest(label: string, method: InjectOptions['method'], url: string, headers: Record<string, string>, text: string, extra: Partial<FuzzRequest> = {}): FuzzRequest {
  return { label, options: { method, url, headers: { 'content-type': 'application/json', ...headers }, payload: text }, ...extra };
}

/** An endpoint that writes: only broken bodies, bad credentials, wrong content types or oversized bodies. */
function writeEndpoint(name: string, method: InjectOptions['method'], url: () => string, base: () => Json, auth: () => Record<string, string>, limit: 'normal' | 'push' = 'normal'): fc.Arbitrary<FuzzRequest> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant(null).chain(() => brokenJson(base())).map(({ kind, text }) => jsonRequest(`${name}: ${kind}`, method, url(), auth(), text)) },
    { weight: 2, arbitrary: hostileCredentials().map((headers) => jsonRequest(`${name}: credential ${headers.authorization ?? 'none'}`, method, url(), { [SCHEMA_VERSION_HEADER]: '1', ...headers }, JSON.stringify(base()))) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/octet-stream').map((type) => ({
        label: `${name}: content-type ${type}`,
        options: { method, url: url(), headers: { ...auth(), 'content-type': type }, payload: JSON.stringify(base()) },
      })),
    },
    { weight: 1, arbitrary: fc.constant(null).map(() => jsonRequest(`${name}: oversized`, method, url(), auth(), OVERSIZED[limit])) },
  );
}

function pushRequests(): fc.Arbitrary<FuzzRequest> {
  const acknowledged = () => world.cab.chain.entries;
  const slice = fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => {
    const count = acknowledged().length;
    const [from, to] = [a % count, b % count].sort((x, y) => x - y);
    return { fromIndex: from!, toIndex: to! };
  });
  const cabAuth = () => deviceHeaders(world.cab.credential);
  return fc.oneof(
    // Replays of acknowledged entries: answered exactly as the reference.
    slice.map(({ fromIndex, toIndex }) =>
      jsonRequest('push: replay', 'POST', '/v1/sync/push', cabAuth(), JSON.stringify(pushBody(world.cab, acknowledged().slice(fromIndex, toIndex + 1))), { replay: { fromIndex, toIndex } }),
    ),
    // A reused sequence number with another body, properly signed by the session: a fork.
    fc.tuple(slice, fc.string({ maxLength: 30 })).map(([{ fromIndex }, text]) => {
      const original = acknowledged()[fromIndex]!;
      return jsonRequest('push: reused sequence number, other body', 'POST', '/v1/sync/push', cabAuth(), JSON.stringify(pushBody(world.cab, [forgedAt(original.body.seq, original.body.prevHash, text)])));
    }),
    // The next sequence number not extending the head: a fork at the anchor.
    fc.string({ maxLength: 30 }).map((text) => {
      const next = world.cab.chain.lastSeq + 1;
      return jsonRequest('push: next entry off the anchored head', 'POST', '/v1/sync/push', cabAuth(), JSON.stringify(pushBody(world.cab, [forgedAt(next, sha256Hex(text), text)])));
    }),
    // Another device's entries under this device's credential, as its own or as the other's.
    fc.boolean().map((asOwn) =>
      jsonRequest(`push: another device's entries (${asOwn ? 'own id' : 'their id'})`, 'POST', '/v1/sync/push', cabAuth(), JSON.stringify(asOwn ? pushBody(world.cab, world.other.chain.entries) : pushBody(world.other, world.other.chain.entries))),
    ),
    // A session the device key certified for a small-order key (any encoding), opened by a forged signature.
    fc.constantFrom(...SMALL_ORDER_ENCODINGS).map((weakKey) =>
      jsonRequest('push: session certified for a weak key', 'POST', '/v1/sync/push', cabAuth(), JSON.stringify(pushBody(world.cab, [weakSessionOpening(weakKey)]))),
    ),
    writeEndpoint('push', 'POST', () => '/v1/sync/push', () => pushBody(world.cab, acknowledged().slice(0, 3)) as unknown as Json, cabAuth, 'push'),
  );
}

/** The cab's next entry, opening a session its device key certified for `weakKey`; R = identity, S = 0. */
function weakSessionOpening(weakKey: Uint8Array): JournalEntry {
  const { chain } = world.cab;
  const session = { ...chain.newSession(), signer: smallOrderSigner(weakKey) };
  const certificate = signCertificate(chain.certificateFor(session), chain.deviceSigner);
  return signEntry(chain.nextBody({ kind: 'session.open', certificate }, session), session.signer);
}

/** A record entry at `seq`, signed by the cab's open session: valid in form, but not the entry the chain holds there. */
function forgedAt(seq: number, prevHash: string, text: string): JournalEntry {
  const template = world.cab.chain.entries.find((entry) => entry.body.kind === 'record')!.body;
  const body = { ...template, seq, prevHash, recordId: `note-forged-${seq}`, ops: [{ op: 'set', field: 'body', value: `forged ${text}` }] } as EntryBody;
  return signEntry(body, world.cab.chain.session!.signer);
}

function pullRequests(): fc.Arbitrary<FuzzRequest> {
  const cabAuth = () => deviceHeaders(world.cab.credential);
  const cursor = fc.oneof(
    fc.string({ maxLength: 60 }),
    fc.string({ maxLength: 40 }).map((text) => Buffer.from(text).toString('base64url')),
    fc.constantFrom('v1.1', Buffer.from('v1.-1').toString('base64url'), Buffer.from('v1.99999999999999999').toString('base64url'), Buffer.from('v2.1').toString('base64url'), 'x'.repeat(201)),
  );
  return fc.oneof(
    cursor.map((bad) => jsonRequest('pull: bad cursor', 'POST', '/v1/sync/pull', cabAuth(), JSON.stringify({ schemaVersion: 1, cursor: bad }))),
    fc.integer({ min: 1, max: 50 }).map((limit) => jsonRequest('pull: valid page', 'POST', '/v1/sync/pull', cabAuth(), JSON.stringify({ schemaVersion: 1, cursor: world.cursor, limit }))),
    writeEndpoint('pull', 'POST', () => '/v1/sync/pull', () => ({ schemaVersion: 1, cursor: world.cursor, limit: 10 }), cabAuth),
  );
}

function eventRequests(): fc.Arbitrary<FuzzRequest> {
  // Only requests the stream must refuse: an accepted one stays open.
  return fc.oneof(
    hostileCredentials().map((headers) => ({ label: 'events: credential', options: { method: 'GET' as const, url: '/v1/sync/events', headers: { [SCHEMA_VERSION_HEADER]: '1', ...headers } } })),
    fc.constantFrom('0', '', 'one', '1.0', '-1', '99999999', '1,1').map((version) => ({
      label: `events: schema version ${JSON.stringify(version)}`,
      options: { method: 'GET' as const, url: '/v1/sync/events', headers: { authorization: `Bearer ${world.cab.credential}`, [SCHEMA_VERSION_HEADER]: version } },
    })),
  );
}

const HOSTILE_IDS = ['..%2F..%2Fetc', '%00', 'a'.repeat(300), '__proto__', 'constructor', '%F0%9F%92%A9', 'wo fuzz', '-1', '1e3', '0'];

function officeRequests(): fc.Arbitrary<FuzzRequest> {
  const admin = () => ({ authorization: `Bearer ${server.adminToken}` });
  const dispatcher = () => ({ authorization: `Bearer ${world.dispatcher}` });
  const reviewer = () => ({ authorization: `Bearer ${world.reviewer}` });
  const reader = fc.constantFrom(admin, dispatcher, reviewer, () => ({ authorization: `Bearer ${world.cab.credential}` }));
  return fc.oneof(
    writeEndpoint('enroll', 'POST', () => '/v1/enroll', () => enrollmentRequest(world.spentEnrollmentToken, 'dev-fuzz-newcomer', world.cab.chain.deviceSigner) as unknown as Json, () => ({})),
    writeEndpoint('organisations', 'POST', () => '/v1/admin/organisations', () => ({ id: 'org-fuzz', name: 'Fuzz Freight' }), admin),
    writeEndpoint('sites', 'POST', () => '/v1/admin/sites', () => ({ id: 'site-fuzz', organisationId: 'org-1', name: 'Fuzz yard' }), admin),
    writeEndpoint('operators', 'POST', () => '/v1/admin/operators', () => ({ id: 'op-fuzz', siteId: NORTH, badgeId: 'F1', displayName: 'Fuzz', role: 'inspector', pin: '1234' }), admin),
    writeEndpoint('operator update', 'PATCH', () => '/v1/admin/operators/op-ines', () => ({ displayName: 'Renamed', active: false }), admin),
    writeEndpoint('users', 'POST', () => '/v1/admin/users', () => ({ id: 'user-fuzz', organisationId: 'org-1', name: 'Fuzz', role: 'admin' }), admin),
    writeEndpoint('enrollment tokens', 'POST', () => '/v1/admin/enrollment-tokens', () => ({ siteId: NORTH, kind: 'cab', ttlMs: 60_000 }), admin),
    writeEndpoint('work order', 'POST', () => '/v1/office/work-orders', () => ({ id: 'wo-fuzz-new', siteId: NORTH, title: 'New', assignee: 'op-ines', dueDate: 1 }), dispatcher),
    writeEndpoint('work order edit', 'PATCH', () => `/v1/office/work-orders/${world.workOrderId}`, () => ({ baseVersion: 1, set: { title: 'Edited', priority: 'high' } }), dispatcher),
    writeEndpoint('work order delete', 'DELETE', () => `/v1/office/work-orders/${world.workOrderId}`, () => ({ baseVersion: 1 }), dispatcher),
    writeEndpoint('resolve', 'POST', () => `/v1/office/review-items/${world.resolvedItemId}/resolve`, () => ({ choice: 'merged', value: 5, reason: 'fuzz', expectedVersion: 1 }), reviewer),
    // Revocation and resolution with an unknown or hostile target, or without the role.
    fc.constantFrom(...HOSTILE_IDS).map((id) => ({ label: `revoke ${id}`, options: { method: 'POST' as const, url: `/v1/admin/devices/${id}/revoke`, headers: admin() } })),
    fc.constantFrom(dispatcher, reviewer).map((who) => ({ label: 'revoke without the role', options: { method: 'POST' as const, url: '/v1/admin/devices/dev-fuzz-other/revoke', headers: who() } })),
    fc.tuple(fc.constantFrom(...HOSTILE_IDS, '999999'), fc.constantFrom(dispatcher, reviewer)).map(([id, who]) => jsonRequest(`resolve ${id}`, 'POST', `/v1/office/review-items/${id}/resolve`, who(), JSON.stringify({ choice: 'current', reason: 'x' }))),
    fc.constant(null).map(() => jsonRequest('resolve as dispatcher', 'POST', `/v1/office/review-items/${world.resolvedItemId}/resolve`, dispatcher(), JSON.stringify({ choice: 'current', reason: 'x' }))),
    // Reads with hostile parameters.
    fc.tuple(reader, fc.constantFrom('/v1/admin/devices', '/v1/office/review-items', '/v1/audit/export'), fc.dictionary(fc.constantFrom('siteId', 'status', 'after', 'limit', 'deviceId', 'fromSeq', 'toSeq', 'from', 'to', 'recordType', '__proto__'), fc.constantFrom(...HOSTILE_IDS, 'open', '1', '5', 'dev-fuzz-cab', NORTH), { maxKeys: 4 })).map(([who, path, query]) => ({
      label: `read ${path}`,
      options: { method: 'GET' as const, url: path, query, headers: who() },
    })),
    fc.tuple(reader, fc.constantFrom('workOrder', 'note', 'billingLine', 'planet', '__proto__'), fc.constantFrom(...HOSTILE_IDS, 'wo-fuzz', 'bl-fuzz'), fc.constantFrom('/v1/office/records', '/v1/audit/records')).map(([who, type, id, prefix]) => ({
      label: `read ${prefix}`,
      options: { method: 'GET' as const, url: `${prefix}/${type}/${id}${prefix.startsWith('/v1/audit') ? '/history' : ''}`, headers: who() },
    })),
  );
}

function attachmentRequests(): fc.Arbitrary<FuzzRequest> {
  const cabAuth = () => deviceHeaders(world.cab.credential);
  const chunkTo = (sha256: string) => `/v1/attachments/${sha256}`;
  const chunk = (label: string, headers: Record<string, string>, sha256: string, bytes: Buffer): FuzzRequest => ({
    label,
    options: { method: 'PATCH', url: chunkTo(sha256), headers: { 'content-type': 'application/octet-stream', ...headers }, payload: bytes },
  });
  const bytes = fc.uint8Array({ minLength: 1, maxLength: 2000 }).map((array) => Buffer.from(array));
  return fc.oneof(
    // Declaring again what is declared, or stored: answered, nothing changes.
    fc.constantFrom(() => world.uploading, () => world.stored).map((which) =>
      jsonRequest('attachment: declared again', 'POST', '/v1/attachments', cabAuth(), JSON.stringify({ schemaVersion: 1, sha256: which().sha256, size: which().size, mimeType: 'image/jpeg' })),
    ),
    writeEndpoint('attachment', 'POST', () => '/v1/attachments', () => ({ schemaVersion: 1, sha256: world.uploading.sha256, size: world.uploading.size, mimeType: 'image/jpeg' }), cabAuth),
    // Chunks at any offset but the one the server holds, from the wrong device, or without a valid offset.
    fc.tuple(fc.oneof(fc.nat(5000), fc.constant(0)), bytes).filter(([offset]) => offset !== world.uploading.received).map(([offset, payload]) =>
      chunk(`chunk at ${offset}`, { ...cabAuth(), [UPLOAD_OFFSET_HEADER]: String(offset) }, world.uploading.sha256, payload),
    ),
    bytes.map((payload) => chunk('chunk from another device', { ...deviceHeaders(world.other.credential), [UPLOAD_OFFSET_HEADER]: String(world.uploading.received) }, world.uploading.sha256, payload)),
    fc.tuple(fc.constantFrom('', '-1', 'abc', '1e2', ' 100', '100 ', '0x64', '9'.repeat(20)), bytes).map(([offset, payload]) =>
      chunk(`chunk with offset ${JSON.stringify(offset)}`, { ...cabAuth(), [UPLOAD_OFFSET_HEADER]: offset }, world.uploading.sha256, payload),
    ),
    fc.tuple(hostileCredentials(), bytes).map(([headers, payload]) => chunk('chunk with a bad credential', { [SCHEMA_VERSION_HEADER]: '1', [UPLOAD_OFFSET_HEADER]: String(world.uploading.received), ...headers }, world.uploading.sha256, payload)),
    bytes.map((payload) => chunk('chunk over the chunk limit', { ...cabAuth(), [UPLOAD_OFFSET_HEADER]: String(world.uploading.received) }, world.uploading.sha256, Buffer.concat([payload, Buffer.alloc(1024 * 1024)]))),
    fc.tuple(fc.constantFrom('ABC', '0'.repeat(63), 'g'.repeat(64), '..', '%00'), bytes).map(([name, payload]) => chunk(`chunk to ${name}`, { ...cabAuth(), [UPLOAD_OFFSET_HEADER]: '0' }, name, payload)),
    fc.tuple(fc.constantFrom(() => world.uploading.sha256, () => world.stored.sha256, () => 'f'.repeat(64), () => 'nope'), fc.constantFrom('', '/content'), fc.constantFrom(cabAuth, () => ({ authorization: `Bearer ${world.dispatcher}` }), () => ({ authorization: `Bearer ${world.revokedCredential}` }))).map(([name, suffix, who]) => ({
      label: `attachment read ${suffix}`,
      options: { method: 'GET' as const, url: `/v1/attachments/${name()}${suffix}`, headers: who() },
    })),
  );
}

/** Unknown routes and methods, random bytes, hostile headers; never a valid credential. */
function garbageRequests(): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      method: fc.constantFrom<InjectOptions['method']>('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'),
      path: fc.oneof(fc.constantFrom('/v1/sync/push', '/v1/sync/pull', '/v1/enroll', '/v1/admin/users', '/v1/attachments', '/health', '/ready', '/', '/v1', '/v2/sync/push', '/v1/sync/push/../pull', '/%2e%2e/'), fc.webPath()),
      body: fc.oneof(fc.string({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 }).map((array) => Buffer.from(array).toString('latin1'))),
      type: fc.constantFrom('application/json', 'text/plain', 'application/octet-stream', 'application/json; charset=latin1', ''),
      credential: hostileCredentials(),
    })
    .map(({ method, path, body, type, credential }) => ({
      label: `garbage ${method} ${path}`,
      options: {
        method,
        // An HTTP request line always has a path; webPath may give an empty one.
        url: path.startsWith('/') ? path : `/${path}`,
        headers: { ...credential, ...(type ? { 'content-type': type } : {}) },
        ...(method === 'GET' || method === 'HEAD' ? {} : { payload: body }),
      },
    }));
}

// ---------------------------------------------------------------------------------------------
// Entries that chain but carry what the office must refuse or distrust: text no string may hold in
// any text field of any record type, and device times or clock samples that lie.
// ---------------------------------------------------------------------------------------------

const HOUR = 60 * 60 * 1000;
const TEN_YEARS = 10 * 365 * 24 * HOUR;
const TOLERANCE_MS = 2_000;

/** Every path to a string in a create of every record type: the fields text can reach. */
const TEXT_LEAVES = Object.entries(VALID_CREATES).flatMap(([recordType, ops]) =>
  ops.flatMap((op, index) => leaves(op as unknown as Json, [index]).filter((leaf) => typeof leaf.value === 'string' && leaf.path.at(-1) !== 'op' && leaf.path.at(-1) !== 'field').map((leaf) => ({ recordType, ops: ops as unknown as Json, path: leaf.path }))),
);

interface HostileEntry {
  label: string;
  draft: { recordType: string; recordId: string; ops: Json };
  deviceTime?: number;
  sentAtShift: number;
  sample: Json | undefined;
  hostileText: boolean;
}

function hostileEntries(): fc.Arbitrary<HostileEntry> {
  type Chosen = { label: string; recordType: string; ops: Json; hostileText: true } | { label: string; entryShift: number; sentAtShift: number };
  const textCase: fc.Arbitrary<Chosen> = fc.tuple(fc.constantFrom(...TEXT_LEAVES), unsafeText, fc.boolean()).map(([leaf, hostile, asKey]) => {
    const [opIndex, ...inner] = leaf.path as [number, ...(string | number)[]];
    const ops = leaf.ops as Json[];
    const original = leaf.path.reduce<Json>((value, step) => (value as Record<string, Json>)[step]!, leaf.ops);
    // Inside a structured value the hostile text may also be a key.
    const changed = asKey && inner.length > 1 ? replaced(ops, [opIndex, ...inner.slice(0, -1)], { [hostile]: original }) : replaced(ops, leaf.path, `${String(original)}${hostile}`);
    return { label: `text ${leaf.recordType} ${leaf.path.join('.')}${asKey ? ' as key' : ''}`, recordType: leaf.recordType, ops: changed, hostileText: true as const };
  });
  const timeCase: fc.Arbitrary<Chosen> = fc
    .tuple(fc.constantFrom(TEN_YEARS, HOUR, 5_000, -5_000, -HOUR, -TEN_YEARS, -Infinity, Infinity), fc.constantFrom(0, HOUR, -HOUR, 5 * 24 * HOUR))
    .map(([entryShift, sentAtShift]) => ({ label: `time ${entryShift} sent ${sentAtShift}`, entryShift, sentAtShift }));
  const sample = fc.option(
    fc.record({ sentAt: fc.nat(), officeReceivedAt: fc.nat(), officeRepliedAt: fc.nat(), answeredAt: fc.nat() }).map((raw) => raw as unknown as Json),
    { nil: undefined },
  );
  return fc.tuple(fc.oneof(textCase, timeCase), sample, fc.nat()).map(([chosen, lyingSample, salt]): HostileEntry => {
    const recordId = `fuzz-chained-${Math.abs(hashOf(JSON.stringify(chosen)))}-${salt}`;
    if ('hostileText' in chosen) {
      return { label: chosen.label, draft: { recordType: chosen.recordType, recordId, ops: chosen.ops }, sentAtShift: 0, sample: lyingSample, hostileText: true };
    }
    const now = server.clock.now();
    const deviceTime = Math.min(Number.MAX_SAFE_INTEGER, Math.max(0, now + chosen.entryShift));
    return { label: chosen.label, draft: { recordType: 'note', recordId, ops: NOTE_OPS }, deviceTime, sentAtShift: chosen.sentAtShift, sample: lyingSample, hostileText: false };
  });
}

const NOTE_OPS: Json = [
  { op: 'set', field: 'subjectType', value: 'workOrder' },
  { op: 'set', field: 'subjectId', value: 'wo-1' },
  { op: 'set', field: 'body', value: 'chained by the fuzz test' },
];

function hashOf(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (hash * 31 + text.charCodeAt(i)) | 0;
  return hash;
}

describe('entries that chain but carry what no one may trust', () => {
  it('answers every one on its own: acknowledged, hostile text refused with nothing written to a record, lying times kept between the anchored chain and the receipt', async () => {
    const device = await enrolledDevice(server, 'dev-fuzz-chained');
    await device.push();
    const runs = Math.max(200, Math.floor(RUNS / 20));
    let anchoredTime: number | null = null;
    await fc.assert(
      fc.asyncProperty(hostileEntries(), async (hostile) => {
        server.clock.advance(1_000);
        const entry = device.chain.record(hostile.draft as Parameters<TestChain['record']>[0], hostile.deviceTime === undefined ? {} : { deviceTime: hostile.deviceTime });
        const receivedAt = server.clock.now();
        const body = { ...pushBody(device, [entry]), sentAt: Math.max(0, receivedAt - hostile.sentAtShift), ...(hostile.sample ? { clockSample: hostile.sample } : {}) };
        const response = await server.app.inject({ method: 'POST', url: '/v1/sync/push', headers: { ...deviceHeaders(device.credential), 'content-type': 'application/json' }, payload: JSON.stringify(body) });
        const what = `${hostile.label} → ${response.statusCode} ${response.body.slice(0, 300)}`;
        // A lying clock sample that is not even causal is refused with the request (nothing is chained).
        if (response.statusCode === 400) {
          expect(response.json().message, what).toMatch(/clockSample/);
          device.chain.entries.pop();
          return;
        }
        expect(response.statusCode, what).toBe(200);
        const answer = response.json() as PushResponse;
        const [result] = answer.results;
        expect(result, what).toMatchObject({ seq: entry.body.seq, acknowledged: true });
        expect(answer.receipt.seq, what).toBe(entry.body.seq);
        expect(textProblem(result!.message ?? ''), what).toBeNull();
        const stored = (await server.database.db.execute(
          sql`SELECT effective_time, skew_flagged FROM journal_entries WHERE device_id = ${device.chain.deviceId} AND seq = ${entry.body.seq}`,
        )) as unknown as { rows: { effective_time: string; skew_flagged: boolean }[] };
        const row = stored.rows[0]!;
        const effectiveTime = Number(row.effective_time);
        expect(effectiveTime, what).toBeLessThanOrEqual(receivedAt + TOLERANCE_MS);
        if (anchoredTime !== null) expect(effectiveTime, what).toBeGreaterThanOrEqual(anchoredTime - TOLERANCE_MS);
        if (!row.skew_flagged) anchoredTime = Math.max(anchoredTime ?? effectiveTime, effectiveTime);
        if (hostile.hostileText) {
          expect(result, what).toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(/^invalid-(text|content)$/) });
          const written = (await server.database.db.execute(sql`SELECT count(*)::int AS n FROM record_writes WHERE record_id = ${hostile.draft.recordId}`)) as unknown as { rows: { n: number }[] };
          expect(written.rows[0]!.n, what).toBe(0);
        }
      }),
      { numRuns: runs, seed: SEED, endOnFailure: true },
    );
    // After all of it the device still syncs: an honest entry goes through.
    server.clock.advance(1_000);
    device.chain.record({ recordId: 'fuzz-chained-honest' }, { deviceTime: server.clock.now() });
    expect((await device.push()).results.at(-1)).toMatchObject({ outcome: 'accepted', acknowledged: true });
  }, FUZZ_HANG_GUARD_MS);
});

describe('hostile input', () => {
  it(`answers ${RUNS} malformed or hostile requests with 4xx (or an unchanged replay), never a 5xx, writing nothing`, async () => {
    const requests = fc.oneof(
      { weight: 5, arbitrary: pushRequests() },
      { weight: 2, arbitrary: pullRequests() },
      { weight: 1, arbitrary: eventRequests() },
      { weight: 6, arbitrary: officeRequests() },
      { weight: 3, arbitrary: attachmentRequests() },
      { weight: 2, arbitrary: garbageRequests() },
    );
    let baseline = await fingerprint();
    const seen = new Map<string, number>();
    const statuses = new Map<number, number>();
    const anchoredSeq = world.cab.chain.lastSeq;

    await fc.assert(
      fc.asyncProperty(requests, async (request) => {
        const response = await server.app.inject(request.options);
        const what = `${request.label} → ${response.statusCode} ${response.body.slice(0, 300)}`;
        seen.set(request.label.split(':')[0]!, (seen.get(request.label.split(':')[0]!) ?? 0) + 1);
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
        expect(response.statusCode, what).toBeLessThan(500);
        expect(response.statusCode, what).toBeGreaterThanOrEqual(200);

        const after = await fingerprint();
        let expectedFlags = 0;
        if (response.statusCode < 300 && request.options.url === '/v1/sync/push') {
          const answer = response.json() as PushResponse;
          const forks = answer.results.filter((result) => result.reason === 'sequence-reused' || (result.reason === 'broken-link' && result.seq === anchoredSeq + 1));
          expectedFlags = forks.length;
          expect(answer.results.every((result) => !result.acknowledged || result.seq <= anchoredSeq), what).toBe(true);
          expect(answer.receipt.seq, what).toBe(anchoredSeq);
          if (request.replay) {
            const { fromIndex, toIndex } = request.replay;
            expect(answer.results, what).toEqual(world.reference.results.slice(fromIndex, toIndex + 1));
            const touched = new Set(world.cab.chain.entries.slice(fromIndex, toIndex + 1).flatMap((entry) => (entry.body.kind === 'record' ? [entry.body.recordId] : [])));
            const byId = (records: PushResponse['records']) => [...records].sort((a, b) => (a.id < b.id ? -1 : 1));
            expect(byId(answer.records), what).toEqual(byId(world.reference.records.filter((record) => touched.has(record.id))));
          }
        }
        // Nothing changes, except that a presented fork is recorded against the device.
        const { device_flags: flagsAfter, flagged_devices: flaggedAfter, ...rest } = after;
        const { device_flags: flagsBefore, flagged_devices: _flaggedBefore, ...restBefore } = baseline;
        expect(rest, what).toEqual(restBefore);
        expect(Number(flagsAfter), what).toBe(Number(flagsBefore) + expectedFlags);
        if (expectedFlags > 0) expect(flaggedAfter, what).not.toBe('0');
        baseline = after;
        if (request.options.method === 'PATCH' && String(request.options.url).startsWith('/v1/attachments/')) {
          // Chunk bytes live outside the database: the upload must still hold what it held.
          const status = await server.app.inject({ method: 'GET', url: `/v1/attachments/${world.uploading.sha256}`, headers: deviceHeaders(world.cab.credential) });
          expect(status.json(), what).toMatchObject({ received: world.uploading.received, stored: false });
        }
      }),
      { numRuns: RUNS, seed: SEED + 1, endOnFailure: true },
    );

    // The generators reached every area and most answers were refusals.
    expect([...seen.keys()].length).toBeGreaterThan(20);
    const refused = [...statuses.entries()].filter(([status]) => status >= 400).reduce((sum, [, count]) => sum + count, 0);
    expect(refused).toBeGreaterThan(RUNS * 0.6);
  }, FUZZ_HANG_GUARD_MS);
});
