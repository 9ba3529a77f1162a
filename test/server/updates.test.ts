import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateFeedStatusSchema } from '../../protocol/wire.js';
import { SeededRandomness, tempDir } from '../support/device.js';
import { call, seedOrganisation, startTestServer, type TestServer } from '../support/server.js';

/**
 * The fleet's desktop updates served by the office: electron-updater's feed from the updates
 * directory, offered to the share of installations an administrator set, and nothing else of
 * that directory.
 */
let server: TestServer;
let bare: TestServer;
let dispatcherToken: string;
const updatesDir = tempDir('waypost-updates-');
const installer = new SeededRandomness('installer').bytes(64 * 1024);

function manifest(version: string): string {
  return `version: ${version}
files:
  - url: Waypost-Setup-${version}.exe
    sha512: 7xq0Tw==
    size: ${installer.length}
path: Waypost-Setup-${version}.exe
sha512: 7xq0Tw==
releaseDate: '2026-11-30T09:12:44.120Z'
`;
}

function release(version: string): void {
  writeFileSync(join(updatesDir, `Waypost-Setup-${version}.exe`), installer);
  writeFileSync(join(updatesDir, `Waypost-Setup-${version}.exe.blockmap`), 'blockmap');
  writeFileSync(join(updatesDir, 'latest.yml'), manifest(version));
}

beforeAll(async () => {
  writeFileSync(join(updatesDir, 'release-notes-draft.txt'), 'not for the fleet');
  writeFileSync(join(updatesDir, '.env'), 'SIGNING_PASSWORD=secret');
  release('0.3.0');
  server = await startTestServer({ updatesDir });
  ({ dispatcherToken } = await seedOrganisation(server));
  bare = await startTestServer();
});
afterAll(async () => {
  await server?.close();
  await bare?.close();
});

async function fetchFeed(target: TestServer, path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(new URL(path, target.url), { headers });
}

describe('the desktop update feed', () => {
  it('serves the manifest, never cached, to every installation until an administrator stages the release', async () => {
    const answer = await fetchFeed(server, '/updates/desktop/latest.yml');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-cache');
    expect(answer.headers.get('content-type')).toMatch(/^text\/yaml/);
    expect(await answer.text()).toBe(manifest('0.3.0'));

    const status = updateFeedStatusSchema.parse((await call(server, 'GET', '/v1/admin/updates', { token: server.adminToken })).body);
    expect(status).toEqual({
      release: { version: '0.3.0', files: ['Waypost-Setup-0.3.0.exe', 'Waypost-Setup-0.3.0.exe.blockmap'], releaseDate: '2026-11-30T09:12:44.120Z' },
      percentage: 100,
      setAt: null,
      setBy: null,
    });
  });

  it('offers the release to the share the administrator set, for that release only', async () => {
    const staged = await call(server, 'PUT', '/v1/admin/updates/rollout', { token: server.adminToken, body: { version: '0.3.0', percentage: 25 } });
    expect(staged.status).toBe(200);
    expect(staged.body).toMatchObject({ percentage: 25, setAt: server.clock.now() });
    expect(await (await fetchFeed(server, '/updates/desktop/latest.yml')).text()).toBe(`${manifest('0.3.0')}stagingPercentage: 25\n`);

    // What is tried: a share for a release the feed does not offer, out of range, by a dispatcher, without a credential.
    const otherRelease = await call(server, 'PUT', '/v1/admin/updates/rollout', { token: server.adminToken, body: { version: '0.2.0', percentage: 50 } });
    expect(otherRelease).toMatchObject({ status: 409, body: { message: expect.stringContaining('the feed offers 0.3.0, not 0.2.0') } });
    expect((await call(server, 'PUT', '/v1/admin/updates/rollout', { token: server.adminToken, body: { version: '0.3.0', percentage: 101 } })).status).toBe(400);
    expect((await call(server, 'PUT', '/v1/admin/updates/rollout', { token: server.adminToken, body: { version: 'latest', percentage: 10 } })).status).toBe(400);
    expect((await call(server, 'PUT', '/v1/admin/updates/rollout', { token: dispatcherToken, body: { version: '0.3.0', percentage: 100 } })).status).toBe(403);
    expect((await call(server, 'PUT', '/v1/admin/updates/rollout', { body: { version: '0.3.0', percentage: 100 } })).status).toBe(401);
    expect((await call(server, 'GET', '/v1/admin/updates', { token: dispatcherToken })).status).toBe(403);
    expect((await call(server, 'GET', '/v1/admin/updates', { token: server.adminToken })).body).toMatchObject({ percentage: 25 });
  });

  it('serves the installer for good under its versioned name, in ranges for a differential download', async () => {
    const whole = await fetchFeed(server, '/updates/desktop/Waypost-Setup-0.3.0.exe');
    expect(whole.status).toBe(200);
    expect(whole.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(new Uint8Array(await whole.arrayBuffer())).toEqual(installer);
    const part = await fetchFeed(server, '/updates/desktop/Waypost-Setup-0.3.0.exe', { range: 'bytes=100-199' });
    expect(part.status).toBe(206);
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(installer.slice(100, 200));
    expect(await (await fetchFeed(server, '/updates/desktop/Waypost-Setup-0.3.0.exe.blockmap')).text()).toBe('blockmap');
  });

  it('serves nothing else of the directory or beyond it: what is tried is every file the manifest does not name', async () => {
    const hostile = [
      '/updates/desktop/release-notes-draft.txt',
      '/updates/desktop/.env',
      '/updates/desktop/',
      '/updates/desktop/../../package.json',
      '/updates/desktop/%2e%2e/%2e%2e/package.json',
      '/updates/desktop/..%2f..%2fpackage.json',
      '/updates/desktop/Waypost-Setup-0.3.0.exe%00.txt',
      '/updates/desktop/Waypost-Setup-0.2.0.exe',
      '/updates/desktop//etc/passwd',
    ];
    for (const path of hostile) {
      const answer = await fetch(`${server.url}${path}`);
      const body = await answer.text();
      expect([400, 403, 404], path).toContain(answer.status);
      expect(body, path).not.toContain('secret');
      expect(body, path).not.toContain('not for the fleet');
      expect(body, path).not.toContain('"name": "waypost"');
    }
  });

  it('follows a new build copied into the directory: its manifest, its installer, a share of its own', async () => {
    release('0.4.0');
    expect(await (await fetchFeed(server, '/updates/desktop/latest.yml')).text()).toBe(manifest('0.4.0'));
    expect((await fetchFeed(server, '/updates/desktop/Waypost-Setup-0.4.0.exe')).status).toBe(200);
    // The earlier build is no longer published.
    expect((await fetchFeed(server, '/updates/desktop/Waypost-Setup-0.3.0.exe')).status).toBe(404);
    expect((await call(server, 'GET', '/v1/admin/updates', { token: server.adminToken })).body).toMatchObject({ release: { version: '0.4.0' }, percentage: 100, setAt: null });
  });

  it('says plainly that an office without an updates directory has no update to offer', async () => {
    const answer = await fetchFeed(bare, '/updates/desktop/latest.yml');
    expect(answer.status).toBe(404);
    expect(await answer.json()).toEqual({ code: 'not-found', message: 'this office has no desktop update to offer' });
    expect((await call(bare, 'GET', '/v1/admin/updates', { token: bare.adminToken })).body).toEqual({ release: null, percentage: 100, setAt: null, setBy: null });
  });
});
