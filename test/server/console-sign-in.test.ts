import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScryptVerifier } from '../../protocol/crypto/scrypt-verifier.js';
import { type PasswordHasher, DEFAULT_PASSWORD_PARAMS, scryptPasswords } from '../../server/console/passwords.js';
import { setPasswordHash } from '../../server/db/queries/console.js';
import { type ConsoleAccount, browser, consoleAccount, officeState, originOf, sessionCookieOf, signIn, signInRequest } from '../support/console.js';
import { ManualClock, SeededRandomness } from '../support/device.js';
import { type TestServer, call, seedOrganisation, startTestServer } from '../support/server.js';

/**
 * Office console sign-in against hostile callers, over HTTP on PGlite (or Postgres with
 * DATABASE_URL): wrong passwords and names nobody has answered alike with the same scrypt work,
 * pauses that escalate by the count of failures (the office clock is a manual one: time only ends
 * a pause), bursts held to that count, cookies' flags, and admins' view of the attempts.
 */
const MINUTE = 60_000;

/** The office's password checks, counted: the answer's cost must not depend on whether the account exists. */
function countingHasher(): { hasher: PasswordHasher; checks: () => number } {
  const inner = scryptPasswords(new SeededRandomness('console-passwords'));
  let checks = 0;
  return {
    checks: () => checks,
    hasher: {
      hash: (password) => inner.hash(password),
      verify: (password, verifier) => {
        checks++;
        return inner.verify(password, verifier);
      },
      isOutdated: (verifier) => inner.isOutdated(verifier),
    },
  };
}

let server: TestServer;
let clock: ManualClock;
const counted = countingHasher();
let dora: ConsoleAccount;

beforeAll(async () => {
  clock = new ManualClock();
  server = await startTestServer({ clock, passwordHasher: counted.hasher });
  await seedOrganisation(server);
  dora = await consoleAccount(server, 'user-dora-console', 'dispatcher');
});
afterAll(async () => {
  await server?.close();
});

describe('console sign-in', () => {
  it('signs in by email (any case) or by name; the cookie is HttpOnly, SameSite=Strict, Path=/, not Secure over plain HTTP; the answer names the user and a CSRF token', async () => {
    const answer = await signInRequest(server, { email: `  ${dora.email.toUpperCase()} `, password: dora.password });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      user: { id: dora.id, name: 'dispatcher user-dora-console', email: dora.email, role: 'dispatcher', organisationId: 'org-1' },
      csrfToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      expiresAt: clock.now() + 12 * 60 * MINUTE,
      idleTimeoutMs: 30 * MINUTE,
    });
    const cookie = answer.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^waypost-session=wps_[A-Za-z0-9_-]{43}; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict$/);
    // Only a hash of the secret is kept.
    const secret = sessionCookieOf(answer).split('=')[1]!;
    const stored = JSON.stringify(await officeStateOf());
    expect(stored).not.toContain(secret);

    const me = await browser(server, sessionCookieOf(answer), answer.body).call('GET', '/v1/console/me');
    expect(me).toMatchObject({ status: 200, body: { user: { id: dora.id }, csrfToken: answer.body.csrfToken } });

    const byName = await signInRequest(server, { name: 'DISPATCHER user-dora-console', password: dora.password });
    expect(byName).toMatchObject({ status: 200, body: { user: { id: dora.id } } });
    expect(byName.body.csrfToken).not.toBe(answer.body.csrfToken);
  });

  it('answers a wrong password, an unknown email or name, and a user without a console password alike, each after one scrypt check', async () => {
    const apiOnly = await call(server, 'POST', '/v1/admin/users', {
      token: server.adminToken,
      body: { id: 'user-api-only', organisationId: 'org-1', name: 'Api Only', role: 'dispatcher', email: 'api-only@example.com' },
    });
    expect(apiOnly.status).toBe(201);
    const tries = [
      { email: dora.email, password: 'not the password' },
      { email: 'nobody@example.com', password: 'not the password' },
      { name: 'nobody at all', password: 'not the password' },
      { email: 'api-only@example.com', password: 'not the password' },
      { name: 'Api Only', password: '' },
    ];
    const answers = [];
    for (const body of tries) {
      const before = counted.checks();
      const answer = await signInRequest(server, body);
      answers.push({ status: answer.status, body: answer.body, cookie: answer.headers.get('set-cookie') });
      expect(counted.checks() - before, JSON.stringify(body)).toBe(body.password === '' ? 0 : 1);
    }
    const refused = { status: 401, body: { code: 'unauthorized', message: 'wrong email, name or password' }, cookie: null };
    expect(answers.slice(0, 4)).toEqual([refused, refused, refused, refused]);
    // An empty password is not a sign-in attempt at all.
    expect(answers[4]).toMatchObject({ status: 400, body: { code: 'invalid-request' } });
  });

  it('pauses after 5 failures in a row for 30 s, doubling with each further failure; checks nothing while paused; the right password afterwards starts the count again', async () => {
    const victim = await consoleAccount(server, 'user-victim', 'reviewer');
    const wrong = () => signInRequest(server, { email: victim.email, password: 'guess' });
    const right = () => signInRequest(server, { email: victim.email, password: victim.password });

    for (let attempt = 1; attempt <= 4; attempt++) expect((await wrong()).status).toBe(401);
    expect(await wrong()).toMatchObject({ status: 401, body: { message: 'wrong email, name or password; sign-in with it is paused for 30 s', retryInMs: 30_000 } });

    const checksBefore = counted.checks();
    const stateBefore = await officeStateOf();
    const paused = await right();
    expect(paused).toMatchObject({ status: 429, body: { code: 'sign-in-paused', message: 'too many failed sign-ins with this email or name: try again in 30 s', retryInMs: 30_000 } });
    expect(paused.headers.get('retry-after')).toBe('30');
    clock.advance(29_999);
    expect(await wrong()).toMatchObject({ status: 429, body: { retryInMs: 1 } });
    expect(counted.checks()).toBe(checksBefore);
    expect(await officeStateOf()).toEqual(stateBefore);

    // Each further failure, once the pause is over, doubles it: by count, whatever time passed.
    const pauses = [];
    for (let failure = 6; failure <= 8; failure++) {
      clock.advance(pauses.at(-1) ?? 1);
      const answer = await wrong();
      expect(answer.status).toBe(401);
      pauses.push(answer.body.retryInMs);
    }
    expect(pauses).toEqual([60_000, 120_000, 240_000]);

    clock.advance(240_000);
    expect((await right()).status).toBe(200);
    for (let attempt = 1; attempt <= 4; attempt++) expect(await wrong()).toEqual(expect.objectContaining({ status: 401, body: { code: 'unauthorized', message: 'wrong email, name or password' } }));
  });

  it('pauses a name nobody has exactly as it pauses an account', async () => {
    const real = await consoleAccount(server, 'user-real', 'auditor');
    const sequence = async (email: string) => {
      const answers = [];
      for (let attempt = 0; attempt < 7; attempt++) {
        const answer = await signInRequest(server, { email, password: 'guess' });
        answers.push({ status: answer.status, body: answer.body, retryAfter: answer.headers.get('retry-after') });
      }
      return answers;
    };
    const forAccount = await sequence(real.email);
    const forNobody = await sequence('ghost@example.com');
    expect(forNobody).toEqual(forAccount);
    expect(forAccount.map((answer) => answer.status)).toEqual([401, 401, 401, 401, 401, 429, 429]);
  });

  it('holds a burst of wrong passwords sent at once to the same count: five are checked, the rest refused unchecked', async () => {
    const target = await consoleAccount(server, 'user-burst', 'maintenance');
    const before = counted.checks();
    const answers = await Promise.all(Array.from({ length: 12 }, () => signInRequest(server, { email: target.email, password: 'guess' })));
    expect(counted.checks() - before).toBe(5);
    expect(answers.filter((answer) => answer.status === 401)).toHaveLength(5);
    expect(answers.filter((answer) => answer.status === 429)).toHaveLength(7);
  });

  it('journals every attempt for admins: an organisation admin sees its own users, the bootstrap admin also names nobody has', async () => {
    const orgAdmin = await consoleAccount(server, 'user-org-admin', 'admin');
    const all = await call(server, 'GET', '/v1/admin/console/sign-in-attempts?limit=500', { token: server.adminToken });
    expect(all.status).toBe(200);
    const ghosts = all.body.attempts.filter((attempt: { login: string }) => attempt.login === 'ghost@example.com');
    expect(ghosts.map((attempt: { failedAttempts: number; pausedForMs: number }) => [attempt.failedAttempts, attempt.pausedForMs])).toEqual([
      [5, 30_000],
      [4, 0],
      [3, 0],
      [2, 0],
      [1, 0],
    ]);

    const own = await call(server, 'GET', `/v1/admin/console/sign-in-attempts?userId=${dora.id}`, { token: orgAdmin.token });
    expect(own.status).toBe(200);
    expect(own.body.attempts.map((attempt: { outcome: string }) => attempt.outcome)).toEqual(['refused', 'signed-in', 'signed-in']);
    const seen = await call(server, 'GET', '/v1/admin/console/sign-in-attempts?limit=500', { token: orgAdmin.token });
    expect(seen.body.attempts.every((attempt: { userId: string | null }) => attempt.userId !== null)).toBe(true);

    expect((await call(server, 'GET', '/v1/admin/console/sign-in-attempts', { token: dora.token })).status).toBe(403);
  });

  it('lets an admin set a password: the old one stops working, every session of the user ends, and a pause is lifted', async () => {
    const lost = await consoleAccount(server, 'user-lost', 'reviewer');
    const first = await signIn(server, lost);
    const second = await signIn(server, lost);
    for (let attempt = 0; attempt < 5; attempt++) await signInRequest(server, { email: lost.email, password: 'guess' });
    expect((await signInRequest(server, { email: lost.email, password: lost.password })).status).toBe(429);

    const reset = await call(server, 'POST', `/v1/admin/users/${lost.id}/password`, { token: server.adminToken, body: { password: 'a brand new passphrase' } });
    expect(reset).toMatchObject({ status: 200, body: { id: lost.id, endedSessions: 2 } });
    for (const ended of [first, second]) expect(await ended.call('GET', '/v1/console/me')).toMatchObject({ status: 401, body: { code: 'unauthorized' } });
    expect((await signInRequest(server, { email: lost.email, password: lost.password })).status).toBe(401);
    expect((await signInRequest(server, { email: lost.email, password: 'a brand new passphrase' })).status).toBe(200);

    const tooShort = await call(server, 'POST', `/v1/admin/users/${lost.id}/password`, { token: server.adminToken, body: { password: 'short' } });
    expect(tooShort).toMatchObject({ status: 400, body: { code: 'invalid-request', message: expect.stringContaining('at least 12 characters') } });
  });

  it('hashes a password kept at older scrypt parameters again at the current ones when it next signs in', async () => {
    const old = await consoleAccount(server, 'user-old-hash', 'auditor');
    const weaker = scryptPasswords(new SeededRandomness('older'), { N: 1024, r: 8, p: 1 });
    await setPasswordHash(server.database.db, old.id, await weaker.hash(old.password));
    expect((await signInRequest(server, { email: old.email, password: old.password })).status).toBe(200);
    const result = (await server.database.db.execute(sql`SELECT password_hash FROM office_users WHERE id = ${old.id}`)) as unknown as { rows: { password_hash: string }[] };
    expect(parseScryptVerifier(result.rows[0]!.password_hash, 'scrypt', 32)?.params).toEqual(DEFAULT_PASSWORD_PARAMS);
    expect((await signInRequest(server, { email: old.email, password: old.password })).status).toBe(200);
  });

  it('refuses hostile sign-in requests with a 4xx in the API error shape and changes nothing', async () => {
    const before = await officeStateOf();
    const json = { 'content-type': 'application/json', origin: originOf(server) };
    const hostile: [string, RequestInit, number, string][] = [
      ['huge body', { headers: json, body: JSON.stringify({ email: dora.email, password: 'x'.repeat(20_000) }) }, 413, 'payload-too-large'],
      ['text/plain body', { headers: { ...json, 'content-type': 'text/plain' }, body: JSON.stringify({ email: dora.email, password: dora.password }) }, 415, 'unsupported-media-type'],
      ['form body', { headers: { ...json, 'content-type': 'application/x-www-form-urlencoded' }, body: `email=${dora.email}&password=x` }, 415, 'unsupported-media-type'],
      ['multipart body', { headers: { ...json, 'content-type': 'multipart/form-data; boundary=x' }, body: '--x--' }, 415, 'unsupported-media-type'],
      ['broken JSON', { headers: json, body: '{"email": ' }, 400, 'invalid-request'],
      ['an array', { headers: json, body: '[]' }, 400, 'invalid-request'],
      ['no password', { headers: json, body: JSON.stringify({ email: dora.email }) }, 400, 'invalid-request'],
      ['both email and name', { headers: json, body: JSON.stringify({ email: dora.email, name: 'x', password: dora.password }) }, 400, 'invalid-request'],
      ['a role asked for', { headers: json, body: JSON.stringify({ email: dora.email, password: dora.password, role: 'admin' }) }, 400, 'invalid-request'],
      ['a NUL in the email', { headers: json, body: JSON.stringify({ email: `${dora.email}\u0000`, password: dora.password }) }, 400, 'invalid-request'],
      ['a password of 2,000 characters', { headers: json, body: JSON.stringify({ email: dora.email, password: 'p'.repeat(2000) }) }, 400, 'invalid-request'],
      ['a cross-site Origin', { headers: { ...json, origin: 'https://evil.example' }, body: JSON.stringify({ email: dora.email, password: dora.password }) }, 403, 'csrf-refused'],
      ['Sec-Fetch-Site cross-site', { headers: { ...json, 'sec-fetch-site': 'cross-site' }, body: JSON.stringify({ email: dora.email, password: dora.password }) }, 403, 'csrf-refused'],
      ['Origin null', { headers: { ...json, origin: 'null' }, body: JSON.stringify({ email: dora.email, password: dora.password }) }, 403, 'csrf-refused'],
    ];
    for (const [what, init, status, code] of hostile) {
      const response = await fetch(`${server.url}/v1/console/sign-in`, { method: 'POST', ...init });
      const body = (await response.json()) as { code: string; message: unknown };
      expect({ what, status: response.status, code: body.code, message: typeof body.message, cookie: response.headers.get('set-cookie') }).toEqual({ what, status, code, message: 'string', cookie: null });
    }
    expect(await officeStateOf()).toEqual(before);
  });
});

describe('sign-in throttles', () => {
  it('forget a name typed once after a quiet day, at the next counted attempt, and keep what is recent or paused', async () => {
    const throttleKeys = async () =>
      ((await server.database.db.execute(sql`SELECT key FROM console_sign_in_throttles ORDER BY key`)) as unknown as { rows: { key: string }[] }).rows.map((row) => row.key);
    expect(await throttleKeys()).toContain('name:ghost@example.com');
    clock.advance(25 * 60 * MINUTE);
    expect((await signInRequest(server, { email: 'fresh-typo@example.com', password: 'guess' })).status).toBe(401);
    expect(await throttleKeys()).toEqual(['address:127.0.0.1', 'name:fresh-typo@example.com']);
  });
});

describe('console sign-in from one address', () => {
  it('pauses the address after failures across accounts, even for a right password, and a right password takes back only its own attempt', async () => {
    const office = await startTestServer({ console: { addressThrottle: { attemptsBeforePause: 3, firstPauseMs: 60_000, maxPauseMs: 10 * MINUTE, forgetAfterMs: 60 * MINUTE } } });
    try {
      await seedOrganisation(office);
      const ann = await consoleAccount(office, 'user-ann', 'dispatcher');
      expect((await signInRequest(office, { email: ann.email, password: ann.password })).status).toBe(200);
      for (const email of ['a@example.com', 'b@example.com']) expect((await signInRequest(office, { email, password: 'guess' })).status).toBe(401);
      // Her sign-in did not count: two failures so far.
      expect((await signInRequest(office, { email: ann.email, password: ann.password })).status).toBe(200);
      expect((await signInRequest(office, { email: 'c@example.com', password: 'guess' })).status).toBe(401);
      const refused = await signInRequest(office, { email: ann.email, password: ann.password });
      expect(refused).toMatchObject({ status: 429, body: { code: 'sign-in-paused', message: 'too many failed sign-ins from this address: try again in 1 min' } });
    } finally {
      await office.close();
    }
  });
});

describe('console cookies behind TLS', () => {
  it('are Secure and __Host- named when the office is told it is served over TLS, and only that cookie opens a session', async () => {
    const office = await startTestServer({ console: { secureCookies: true } });
    try {
      await seedOrganisation(office);
      const ann = await consoleAccount(office, 'user-ann-tls', 'dispatcher');
      // A browser on this office's https origin: the Origin check holds the scheme too.
      const plain = await signInRequest(office, { email: ann.email, password: ann.password });
      expect(plain).toMatchObject({ status: 403, body: { code: 'csrf-refused' } });
      const host = new URL(office.url).host;
      const answer = await signInRequest(office, { email: ann.email, password: ann.password }, { origin: `https://${host}` });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('set-cookie')).toMatch(/^__Host-waypost-session=wps_[A-Za-z0-9_-]{43}; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict; Secure$/);
      const cookie = sessionCookieOf(answer);
      expect((await call(office, 'GET', '/v1/console/me', { headers: { cookie } })).status).toBe(200);
      expect((await call(office, 'GET', '/v1/console/me', { headers: { cookie: cookie.replace('__Host-', '') } })).status).toBe(401);
    } finally {
      await office.close();
    }
  });
});

function officeStateOf() {
  return officeState(server.database);
}
