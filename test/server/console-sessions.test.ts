import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSRF_HEADER } from '../../protocol/wire.js';
import { type Browser, type ConsoleAccount, consoleAccount, officeState, originOf, signIn } from '../support/console.js';
import { ManualClock } from '../support/device.js';
import { NORTH, type TestServer, call, seedOrganisation, startTestServer } from '../support/server.js';

/**
 * Console sessions against hostile callers, over HTTP on PGlite (or Postgres with DATABASE_URL):
 * forged, expired, idle and signed-out cookies; state-changing requests without the session's CSRF
 * token or from another origin; and each of the five roles held by the API to what it may do. Every
 * refusal is a 4xx in the API's error shape and changes nothing.
 */
const MINUTE = 60_000;

let server: TestServer;
let clock: ManualClock;
const accounts = {} as Record<'dispatcher' | 'reviewer' | 'auditor' | 'maintenance' | 'admin', ConsoleAccount>;

beforeAll(async () => {
  clock = new ManualClock();
  server = await startTestServer({ clock });
  await seedOrganisation(server);
  for (const role of ['dispatcher', 'reviewer', 'auditor', 'maintenance', 'admin'] as const) accounts[role] = await consoleAccount(server, `user-${role}`, role);
  await consoleAccount(server, 'user-reset-target', 'dispatcher');
});
afterAll(async () => {
  await server?.close();
});

const state = () => officeState(server.database);
const newWorkOrder = (id: string) => ({ id, siteId: NORTH, title: 'Brake check' });

describe('console sessions', () => {
  it('refuse forged, malformed, doubled and plain-HTTP-shadowed cookies with 401, changing nothing', async () => {
    const real = await signIn(server, accounts.dispatcher);
    const before = await state();
    const forged = `waypost-session=wps_${'A'.repeat(43)}`;
    for (const cookie of [forged, 'waypost-session=not-a-session', 'waypost-session=', `${real.cookie}; ${forged}`, `${real.cookie}x`, real.cookie.replace('wps_', 'wpo_')]) {
      for (const [method, path] of [
        ['GET', '/v1/console/me'],
        ['POST', '/v1/office/work-orders'],
      ] as const) {
        const answer = await call(server, method, path, { body: method === 'POST' ? newWorkOrder('wo-forged') : undefined, headers: { cookie, [CSRF_HEADER]: real.csrfToken, origin: originOf(server) } });
        expect({ cookie, path, status: answer.status, code: answer.body.code }).toEqual({ cookie, path, status: 401, code: 'unauthorized' });
      }
    }
    // Other cookies alongside are no business of the office's.
    expect((await real.call('GET', '/v1/console/me', { headers: { cookie: `theme=dark; ${real.cookie}; lang=en` } })).status).toBe(200);
    expect(await state()).toEqual(before);
  });

  it('end after the idle timeout without a request, stay open while used, and end at their expiry however busy', async () => {
    const session = await signIn(server, accounts.reviewer);
    for (let step = 0; step < 3; step++) {
      clock.advance(29 * MINUTE);
      expect((await session.call('GET', '/v1/console/me')).status).toBe(200);
    }
    clock.advance(30 * MINUTE);
    expect(await session.call('GET', '/v1/console/me')).toMatchObject({ status: 401, body: { code: 'unauthorized', message: 'this console session has ended (it was idle too long); sign in again' } });

    const busy = await signIn(server, accounts.reviewer);
    for (let step = 0; step < 24; step++) {
      clock.advance(29 * MINUTE);
      expect((await busy.call('GET', '/v1/console/me')).status).toBe(200);
    }
    clock.advance(29 * MINUTE);
    expect(await busy.call('GET', '/v1/console/me')).toMatchObject({ status: 401, body: { message: 'this console session has ended (it expired); sign in again' } });
  });

  it('sign-out ends this session only and clears its cookie; the old cookie is refused after', async () => {
    const here = await signIn(server, accounts.dispatcher);
    const elsewhere = await signIn(server, accounts.dispatcher);
    const out = await here.call('POST', '/v1/console/sign-out', { body: {} });
    expect(out).toMatchObject({ status: 200, body: { endedSessions: 1 } });
    expect(out.headers.get('set-cookie')).toBe('waypost-session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict');
    expect(await here.call('GET', '/v1/console/me')).toMatchObject({ status: 401, body: { message: 'this console session has ended (it was signed out); sign in again' } });
    expect((await here.call('POST', '/v1/office/work-orders', { body: newWorkOrder('wo-after-sign-out') })).status).toBe(401);
    expect((await elsewhere.call('GET', '/v1/console/me')).status).toBe(200);
    // An API token has no session to end.
    expect(await call(server, 'POST', '/v1/console/sign-out', { token: accounts.dispatcher.token, body: {} })).toMatchObject({ status: 400, body: { code: 'invalid-request' } });
  });

  it("sign-out everywhere ends every session of the user and nobody else's", async () => {
    const sessions = [await signIn(server, accounts.auditor), await signIn(server, accounts.auditor), await signIn(server, accounts.auditor)];
    const colleague = await signIn(server, accounts.maintenance);
    const everywhere = await sessions[0]!.call('POST', '/v1/console/sign-out-everywhere');
    expect(everywhere).toMatchObject({ status: 200, body: { endedSessions: 3 } });
    for (const ended of sessions) expect((await ended.call('GET', '/v1/console/me')).status).toBe(401);
    expect((await colleague.call('GET', '/v1/console/me')).status).toBe(200);

    // Automation may end a user's console sessions with their API token.
    const again = await signIn(server, accounts.auditor);
    expect(await call(server, 'POST', '/v1/console/sign-out-everywhere', { token: accounts.auditor.token, body: {} })).toMatchObject({ status: 200, body: { endedSessions: 1 } });
    expect((await again.call('GET', '/v1/console/me')).status).toBe(401);
  });

  it('answer GET /v1/console/me by API token too, without a session or CSRF token', async () => {
    expect(await call(server, 'GET', '/v1/console/me', { token: accounts.maintenance.token })).toMatchObject({
      status: 200,
      body: { user: { id: accounts.maintenance.id, role: 'maintenance' }, csrfToken: null, expiresAt: null },
    });
    expect(await call(server, 'GET', '/v1/console/me')).toMatchObject({ status: 401, body: { code: 'unauthorized' } });
  });
});

describe('CSRF', () => {
  it('refuses a state-changing request on a session without its CSRF token, with another session\'s, or from another origin; nothing is written', async () => {
    const mine = await signIn(server, accounts.admin);
    const other = await signIn(server, accounts.admin);
    const otherUser = await signIn(server, accounts.dispatcher);
    const refusals: [string, Record<string, string>][] = [
      ['an empty CSRF token', { [CSRF_HEADER]: '' }],
      ['a wrong CSRF token', { [CSRF_HEADER]: 'A'.repeat(43) }],
      ['a CSRF token of another length', { [CSRF_HEADER]: mine.csrfToken.slice(1) }],
      ["another session's CSRF token", { [CSRF_HEADER]: other.csrfToken }],
      ["another user's CSRF token", { [CSRF_HEADER]: otherUser.csrfToken }],
      ['a cross-site Origin', { origin: 'https://evil.example' }],
      ['an Origin on another port', { origin: `http://127.0.0.1:${Number(new URL(server.url).port) + 1}` }],
      ['the https scheme on an http office', { origin: originOf(server).replace('http:', 'https:') }],
      ['Origin null', { origin: 'null' }],
      ['Sec-Fetch-Site cross-site', { 'sec-fetch-site': 'cross-site' }],
      ['Sec-Fetch-Site same-site', { 'sec-fetch-site': 'same-site' }],
    ];
    const before = await state();
    for (const [what, headers] of refusals) {
      for (const [method, path, body] of [
        ['POST', '/v1/office/work-orders', newWorkOrder('wo-csrf')],
        ['POST', '/v1/console/sign-out-everywhere', {}],
        ['POST', '/v1/admin/users', { organisationId: 'org-1', name: 'Mallory', role: 'admin' }],
      ] as const) {
        const answer = await mine.call(method, path, { body, headers });
        expect({ what, path, status: answer.status, code: answer.body.code }).toEqual({ what, path, status: 403, code: 'csrf-refused' });
      }
    }
    // Without the header at all, as a cross-site form would send it.
    expect(await call(server, 'POST', '/v1/office/work-orders', { body: newWorkOrder('wo-csrf'), headers: { cookie: mine.cookie, origin: originOf(server) } })).toMatchObject({
      status: 403,
      body: { code: 'csrf-refused' },
    });
    expect(await state()).toEqual(before);

    expect((await mine.call('POST', '/v1/office/work-orders', { body: newWorkOrder('wo-csrf') })).status).toBe(201);
    // Bearer tokens are for automation: no cookie, so no CSRF token asked.
    expect((await call(server, 'POST', '/v1/office/work-orders', { token: accounts.dispatcher.token, body: newWorkOrder('wo-by-token') })).status).toBe(201);
  });

  it('refuses a read on a session the browser says is cross-site, and takes one typed in the address bar', async () => {
    const session = await signIn(server, accounts.auditor);
    expect(await session.call('GET', '/v1/console/me', { headers: { 'sec-fetch-site': 'cross-site' } })).toMatchObject({ status: 403, body: { code: 'csrf-refused' } });
    expect((await session.call('GET', '/v1/console/me', { headers: { 'sec-fetch-site': 'none' } })).status).toBe(200);
  });
});

/** Every office endpoint and the roles that may use it: all others must get 403 forbidden. */
const ENDPOINTS: { method: string; path: string; body?: unknown; roles: string[] }[] = [
  { method: 'POST', path: '/v1/office/work-orders', body: newWorkOrder('wo-roles'), roles: ['dispatcher', 'admin'] },
  { method: 'PATCH', path: '/v1/office/work-orders/wo-roles-missing', body: { set: { title: 'Edited' } }, roles: ['dispatcher', 'admin'] },
  { method: 'DELETE', path: '/v1/office/work-orders/wo-roles-missing', body: {}, roles: ['dispatcher', 'admin'] },
  { method: 'GET', path: '/v1/office/records/workOrder/wo-roles-missing', roles: ['dispatcher', 'reviewer', 'auditor', 'maintenance', 'admin'] },
  { method: 'GET', path: '/v1/office/review-items', roles: ['dispatcher', 'reviewer', 'auditor', 'admin'] },
  { method: 'POST', path: '/v1/office/review-items/999999/resolve', body: { choice: 'current', reason: 'x' }, roles: ['reviewer', 'admin'] },
  { method: 'GET', path: '/v1/audit/records/workOrder/wo-roles-missing/history', roles: ['reviewer', 'auditor', 'admin'] },
  { method: 'GET', path: '/v1/office/maintenance', roles: ['dispatcher', 'maintenance', 'admin'] },
  { method: 'POST', path: '/v1/office/maintenance/certifications', body: { inspectionId: 'insp-roles-missing', repairs: [{ defect: 'item:horn', disposition: 'repaired' }] }, roles: ['maintenance', 'admin'] },
  { method: 'GET', path: '/v1/audit/export?deviceId=dev-missing', roles: ['reviewer', 'auditor', 'admin'] },
  { method: 'GET', path: `/v1/attachments/${'ab'.repeat(32)}`, roles: ['dispatcher', 'reviewer', 'auditor', 'maintenance', 'admin'] },
  { method: 'POST', path: '/v1/admin/users', body: { organisationId: 'org-1', name: 'Escalated', role: 'admin', email: 'escalated@example.com', password: 'let me in please' }, roles: ['admin'] },
  { method: 'POST', path: '/v1/admin/users/user-reset-target/password', body: { password: 'taken over now!!' }, roles: ['admin'] },
  { method: 'POST', path: '/v1/admin/sites', body: { organisationId: 'org-1', name: 'Rogue yard' }, roles: ['admin'] },
  { method: 'PATCH', path: `/v1/admin/sites/${NORTH}`, body: { pinMinLength: 4 }, roles: ['admin'] },
  { method: 'POST', path: '/v1/admin/operators', body: { siteId: NORTH, badgeId: 'R1', displayName: 'Rogue', role: 'inspector', pin: '1234' }, roles: ['admin'] },
  { method: 'POST', path: '/v1/admin/enrollment-tokens', body: { siteId: NORTH, kind: 'cab' }, roles: ['admin'] },
  { method: 'GET', path: '/v1/admin/devices', roles: ['admin'] },
  { method: 'POST', path: '/v1/admin/devices/dev-missing/revoke', roles: ['admin'] },
  { method: 'GET', path: '/v1/admin/devices/dev-missing/flags', roles: ['admin'] },
  { method: 'GET', path: '/v1/admin/console/sign-in-attempts', roles: ['admin'] },
  { method: 'GET', path: '/v1/console/me', roles: ['dispatcher', 'reviewer', 'auditor', 'maintenance', 'admin'] },
];

describe('roles', () => {
  it('holds each of the five roles to its endpoints by session: the others are refused 403 forbidden and change nothing', async () => {
    const sessions = {} as Record<string, Browser>;
    for (const role of Object.keys(accounts) as (keyof typeof accounts)[]) sessions[role] = await signIn(server, accounts[role]);
    for (const endpoint of ENDPOINTS) {
      for (const role of Object.keys(accounts)) {
        const allowed = endpoint.roles.includes(role);
        const before = allowed ? null : await state();
        const answer = await sessions[role]!.call(endpoint.method, endpoint.path, { body: endpoint.body });
        const seen = { endpoint: `${endpoint.method} ${endpoint.path}`, role, refused: answer.status === 403 && answer.body.code === 'forbidden' };
        expect(seen).toEqual({ ...seen, refused: !allowed });
        expect(answer.status, JSON.stringify(seen)).toBeLessThan(500);
        if (!allowed) expect(await state()).toEqual(before);
      }
    }
  });

  it('holds the same roles by API token', async () => {
    for (const endpoint of ENDPOINTS.filter((candidate) => candidate.method === 'GET')) {
      for (const role of Object.keys(accounts) as (keyof typeof accounts)[]) {
        const answer = await call(server, 'GET', endpoint.path, { token: accounts[role].token });
        expect({ path: endpoint.path, role, refused: answer.status === 403 }).toEqual({ path: endpoint.path, role, refused: !endpoint.roles.includes(role) });
      }
    }
  });

  it("keeps an organisation's admin inside it: no users, passwords or sign-ins of another organisation, nor the bootstrap admin's", async () => {
    const orgAdmin = await signIn(server, accounts.admin);
    expect((await call(server, 'POST', '/v1/admin/organisations', { token: server.adminToken, body: { id: 'org-2', name: 'Other Haulage' } })).status).toBe(201);
    const stranger = await consoleAccount(server, 'user-stranger', 'dispatcher', 'org-2');
    const before = await state();
    const refusals = [
      await orgAdmin.call('POST', '/v1/admin/users', { body: { organisationId: 'org-2', name: 'Planted', role: 'admin', email: 'planted@example.com', password: 'a long password here' } }),
      await orgAdmin.call('POST', `/v1/admin/users/${stranger.id}/password`, { body: { password: 'a long password here' } }),
      await orgAdmin.call('POST', '/v1/admin/users/user-bootstrap-admin/password', { body: { password: 'a long password here' } }),
    ];
    expect(refusals.map((answer) => [answer.status, answer.body.code])).toEqual([
      [403, 'forbidden'],
      [403, 'forbidden'],
      [403, 'forbidden'],
    ]);
    const attempts = await orgAdmin.call('GET', `/v1/admin/console/sign-in-attempts?userId=${stranger.id}`);
    expect(attempts).toMatchObject({ status: 200, body: { attempts: [] } });
    expect(await state()).toEqual(before);
    // A role the office does not have is no role at all.
    expect(await orgAdmin.call('POST', '/v1/admin/users', { body: { organisationId: 'org-1', name: 'Root', role: 'superuser' } })).toMatchObject({ status: 400, body: { code: 'invalid-request' } });
  });
});
