import { createServer, type IncomingMessage, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FetchTransport } from '../../main/core/sync/transport.js';
import { CURRENT_SCHEMA_VERSION } from '../../protocol/wire.js';
import { type FieldDevice, enrolledDevice } from '../support/field-devices.js';
import { countRows, seedOrganisation, startTestServer, type TestServer } from '../support/server.js';

/**
 * Bytes on a cellular link: the office compresses JSON answers a device accepts compressed and
 * takes compressed request bodies, with its size limits applying to what they inflate to; the
 * device sends large bodies compressed.
 */
let server: TestServer;
let device: FieldDevice;

beforeAll(async () => {
  server = await startTestServer();
  await seedOrganisation(server);
  device = await enrolledDevice(server, 'dev-compress');
  for (let i = 0; i < 40; i++) device.chain.record({ recordId: `note-compress-${i}` });
});
afterAll(async () => server?.close());

function pushBody(entries: unknown[] = device.chain.entries) {
  return JSON.stringify({ schemaVersion: CURRENT_SCHEMA_VERSION, deviceId: device.chain.deviceId, sentAt: server.clock.now(), entries });
}

/** A POST whose answer is read as the bytes on the wire (fetch would inflate them itself). */
function post(path: string, body: string | Buffer, headers: Record<string, string>): Promise<{ status: number; encoding: string | null; raw: Buffer }> {
  return new Promise((resolve, reject) => {
    const sent = request(`${server.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${device.credential}`, 'content-type': 'application/json', ...headers } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, encoding: (response.headers['content-encoding'] as string | undefined) ?? null, raw: Buffer.concat(chunks) }));
    });
    sent.on('error', reject);
    sent.end(body);
  });
}

describe('compressed bodies', () => {
  it('takes a gzip- or brotli-compressed push, and answers brotli or gzip as the device accepts, plain otherwise, the same JSON each way', async () => {
    const plain = pushBody();
    const compressed = gzipSync(plain);
    expect(compressed.length).toBeLessThan(plain.length / 2);

    const brotli = await post('/v1/sync/push', compressed, { 'content-encoding': 'gzip', 'accept-encoding': 'br' });
    expect(brotli.status).toBe(200);
    const gzipped = await post('/v1/sync/push', compressed, { 'content-encoding': 'gzip', 'accept-encoding': 'gzip' });
    const identity = await post('/v1/sync/push', plain, { 'accept-encoding': 'identity' });
    // The same push brotli-compressed, as the device sends it.
    const sentBrotli = await post('/v1/sync/push', brotliCompressSync(plain), { 'content-encoding': 'br', 'accept-encoding': 'identity' });
    expect([brotli.encoding, gzipped.encoding, identity.encoding, sentBrotli.encoding]).toEqual(['br', 'gzip', null, null]);
    const answers = [brotliDecompressSync(brotli.raw), gunzipSync(gzipped.raw), identity.raw, sentBrotli.raw].map((bytes) => JSON.parse(bytes.toString('utf8')));
    expect(answers[0].results).toHaveLength(device.chain.entries.length);
    expect(answers[0].results.every((result: { acknowledged: boolean }) => result.acknowledged)).toBe(true);
    // The resends are answered identically, whatever the encoding (the office stamps aside).
    const withoutStamps = ({ time: _time, ...rest }: { time: unknown }) => rest;
    expect(withoutStamps(answers[1])).toEqual(withoutStamps(answers[0]));
    expect(withoutStamps(answers[2])).toEqual(withoutStamps(answers[0]));
    expect(withoutStamps(answers[3])).toEqual(withoutStamps(answers[0]));
    expect(brotli.raw.length).toBeLessThan(identity.raw.length / 3);
  });

  it('refuses a body that inflates past the limit (a compression bomb) with 413, and an encoding it does not take with 415, writing nothing', async () => {
    const before = await countRows(server.database);
    const bomb = gzipSync(Buffer.concat([Buffer.from('{"schemaVersion":1,"cursor":"'), Buffer.alloc(16 * 1024 * 1024, 0x61), Buffer.from('"}')]));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const inflated = await post('/v1/sync/pull', bomb, { 'content-encoding': 'gzip' });
    expect(inflated.status).toBe(413);
    expect(JSON.parse(inflated.raw.toString('utf8'))).toMatchObject({ code: 'payload-too-large' });
    const brotliBomb = brotliCompressSync(Buffer.concat([Buffer.from('{"schemaVersion":1,"cursor":"'), Buffer.alloc(16 * 1024 * 1024, 0x61), Buffer.from('"}')]));
    expect(brotliBomb.length).toBeLessThan(64 * 1024);
    expect((await post('/v1/sync/pull', brotliBomb, { 'content-encoding': 'br' })).status).toBe(413);
    const unknown = await post('/v1/sync/push', Buffer.from(pushBody()), { 'content-encoding': 'compress' });
    expect(unknown.status).toBe(415);
    expect(JSON.parse(unknown.raw.toString('utf8'))).toMatchObject({ code: 'unsupported-media-type' });
    expect(await countRows(server.database)).toEqual(before);
  });

  it('the device sends a large body brotli-compressed and a small one plain, and reads compressed answers', async () => {
    const received: { encoding: string | undefined; accept: string | undefined; json: unknown }[] = [];
    const capture = createServer((request: IncomingMessage, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks);
        const encoding = request.headers['content-encoding'];
        received.push({ encoding, accept: request.headers['accept-encoding'], json: JSON.parse((encoding === 'br' ? brotliDecompressSync(body) : body).toString('utf8')) });
        response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(gzipSync(JSON.stringify({ ok: true })));
      });
    });
    await new Promise<void>((resolve) => capture.listen(0, '127.0.0.1', resolve));
    try {
      const transport = new FetchTransport(`http://127.0.0.1:${(capture.address() as AddressInfo).port}`);
      const large = { entries: device.chain.entries };
      const small = { schemaVersion: 1 };
      expect((await transport.post('/v1/sync/push', large, {})).body).toEqual({ ok: true });
      expect((await transport.post('/v1/sync/pull', small, {})).body).toEqual({ ok: true });
      expect(received).toEqual([
        { encoding: 'br', accept: 'br, gzip', json: large },
        { encoding: undefined, accept: 'br, gzip', json: small },
      ]);
    } finally {
      await new Promise((resolve) => capture.close(resolve));
    }
  });
});
