import { request as httpRequest } from 'node:http';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../protocol/crypto/hash.js';
import { CURRENT_SCHEMA_VERSION, SCHEMA_VERSION_HEADER, UPLOAD_OFFSET_HEADER } from '../../protocol/wire.js';
import { SeededRandomness } from '../support/device.js';
import { enrolledDevice } from '../support/field-devices.js';
import { call, seedOrganisation, startTestServer, type TestServer } from '../support/server.js';

/** What the office logged, as parsed pino lines. */
const logged: { level: number; msg: string; reason?: string; url?: string }[] = [];
let server: TestServer;

beforeAll(async () => {
  const lines = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logged.push(JSON.parse(line) as (typeof logged)[number]);
      done();
    },
  });
  server = await startTestServer({ logger: pino({ level: 'info' }, lines) });
  await seedOrganisation(server);
});
afterAll(async () => server?.close());

/** Sends the first half of a body that claims to be whole, then cuts the connection, as a dead zone does. */
function cutHalfway(path: string, method: string, headers: Record<string, string>, body: Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    const request = httpRequest(new URL(server.url + path), { method, headers: { ...headers, 'content-length': String(body.byteLength) } });
    request.on('error', () => resolve());
    request.on('close', () => resolve());
    request.write(body.subarray(0, body.byteLength / 2), () => setTimeout(() => request.destroy(), 50));
  });
}

async function loggedWithin(what: (line: (typeof logged)[number]) => boolean): Promise<boolean> {
  // Bounded: 100 looks, 20 ms apart; the office logs as soon as the connection is gone.
  for (let look = 0; look < 100; look++) {
    if (logged.some(what)) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

describe('a request whose client hangs up before its body is complete', () => {
  it('is no office error: an upload chunk and a push cut halfway are logged as the client leaving, nothing of them kept, and the office answers the next request', async () => {
    const cab = await enrolledDevice(server, 'dev-cut-halfway');
    const bytes = new SeededRandomness('photo:cut').bytes(200_000);
    const sha256 = sha256Hex(bytes);
    const declared = await call(server, 'POST', '/v1/attachments', { token: cab.credential, body: { schemaVersion: CURRENT_SCHEMA_VERSION, sha256, size: bytes.byteLength, mimeType: 'image/jpeg' } });
    expect(declared.status).toBe(201);

    // Tried: a chunk cut halfway, and a push body cut halfway.
    const device = { authorization: `Bearer ${cab.credential}`, [SCHEMA_VERSION_HEADER]: String(CURRENT_SCHEMA_VERSION) };
    await cutHalfway(`/v1/attachments/${sha256}`, 'PATCH', { ...device, 'content-type': 'application/octet-stream', [UPLOAD_OFFSET_HEADER]: '0' }, bytes);
    cab.chain.record({ recordType: 'note', ops: [{ op: 'set', field: 'subjectType', value: 'workOrder' }, { op: 'set', field: 'subjectId', value: 'wo-1' }, { op: 'set', field: 'body', value: 'x'.repeat(2000) }] });
    const push = new TextEncoder().encode(JSON.stringify({ schemaVersion: CURRENT_SCHEMA_VERSION, deviceId: cab.chain.deviceId, sentAt: 0, entries: cab.chain.entries }));
    await cutHalfway('/v1/sync/push', 'POST', { ...device, 'content-type': 'application/json' }, push);

    expect(await loggedWithin((line) => line.msg.startsWith('the client closed the request') && line.url === '/v1/sync/push')).toBe(true);
    expect(await loggedWithin((line) => line.msg.startsWith('the client closed the request') && line.url === `/v1/attachments/${sha256}`)).toBe(true);
    expect(logged.filter((line) => line.level >= 50)).toEqual([]);
    expect((await call(server, 'GET', `/v1/attachments/${sha256}`, { token: cab.credential, headers: device })).body).toMatchObject({ received: 0, stored: false });
    expect((await cab.push()).results).toEqual(cab.chain.entries.map((entry) => expect.objectContaining({ seq: entry.body.seq, acknowledged: true })));
  });
});
