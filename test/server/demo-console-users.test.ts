import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapDemoOffice, ensureDemoConsoleUsers, OfficeApi } from '../../scripts/demo-office.js';
import { signInRequest } from '../support/console.js';
import { SeededRandomness, tempDir } from '../support/device.js';
import { type TestServer, startTestServer } from '../support/server.js';

/** `npm start`'s console users: one per office role, passwords that work on every start. */
let server: TestServer;
let api: OfficeApi;

beforeAll(async () => {
  server = await startTestServer();
  api = new OfficeApi(server.url, server.adminToken);
  await bootstrapDemoOffice(api);
});
afterAll(async () => {
  await server?.close();
});

describe('demo console users', () => {
  it('are one per role, sign in with the passwords printed, keep them across starts, and get new ones when the file is gone', async () => {
    const file = join(tempDir('waypost-demo-console-'), 'demo-console-users.json');
    const users = await ensureDemoConsoleUsers(api, file, new SeededRandomness('demo-1'));
    expect(users.map((user) => [user.role, user.email])).toEqual([
      ['dispatcher', 'dispatcher@demo.waypost.test'],
      ['reviewer', 'reviewer@demo.waypost.test'],
      ['auditor', 'auditor@demo.waypost.test'],
      ['maintenance', 'maintenance@demo.waypost.test'],
      ['admin', 'admin@demo.waypost.test'],
    ]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    for (const user of users) {
      expect(await signInRequest(server, { email: user.email, password: user.password })).toMatchObject({ status: 200, body: { user: { role: user.role, organisationId: 'org-demo' } } });
    }

    expect(await ensureDemoConsoleUsers(api, file, new SeededRandomness('demo-2'))).toEqual(users);

    rmSync(file);
    const renewed = await ensureDemoConsoleUsers(api, file, new SeededRandomness('demo-3'));
    const [before, after] = [users[0]!, renewed[0]!];
    expect(after.password).not.toBe(before.password);
    expect((await signInRequest(server, { email: before.email, password: before.password })).status).toBe(401);
    expect((await signInRequest(server, { email: after.email, password: after.password })).status).toBe(200);
  });
});
