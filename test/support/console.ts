import { sql } from 'drizzle-orm';
import type { OfficeRole } from '../../protocol/office-access.js';
import { CSRF_HEADER, type ConsoleSession } from '../../protocol/wire.js';
import type { OfficeDatabase } from '../../server/db/connect.js';
import { type ApiAnswer, type CallOptions, type TestServer, call, countRows, exchange } from './server.js';

type Answer<T = any> = ApiAnswer<T> & { headers: Headers };

/**
 * The office console as a browser uses it: office users with passwords, sign-in, and requests
 * carrying the session cookie, the CSRF token and the office's own Origin.
 */
export interface ConsoleAccount {
  id: string;
  email: string;
  password: string;
  role: OfficeRole;
  /** The user's API token, for the same user by bearer. */
  token: string;
}

/** An office user of `organisationId` (default org-1 of seedOrganisation) with a console password. */
export async function consoleAccount(server: Pick<TestServer, 'url' | 'adminToken'>, id: string, role: OfficeRole, organisationId = 'org-1'): Promise<ConsoleAccount> {
  const email = `${id}@example.com`;
  const password = `correct horse ${id}`;
  const answer = await call(server, 'POST', '/v1/admin/users', { token: server.adminToken, body: { id, organisationId, name: `${role} ${id}`, role, email, password } });
  if (answer.status !== 201) throw new Error(`console account ${id}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return { id, email, password, role, token: answer.body.token };
}

export interface Browser {
  /** The Cookie header the browser sends (the session cookie only). */
  cookie: string;
  csrfToken: string;
  session: ConsoleSession;
  /** A request as the console page makes it: cookie, CSRF token and Origin; `headers` override them. */
  call<T = any>(method: string, path: string, options?: Omit<CallOptions, 'token'>): Promise<Answer<T>>;
}

/** The office's own origin: what a console page served by it sends as Origin. */
export const originOf = (server: Pick<TestServer, 'url'>) => new URL(server.url).origin;

export function signInRequest(server: Pick<TestServer, 'url'>, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return exchange(server, 'POST', '/v1/console/sign-in', { body, headers: { origin: originOf(server), ...headers } });
}

/** The session cookie a sign-in answer set, as a browser would send it back (name=value). */
export function sessionCookieOf(answer: Answer): string {
  const setCookie = answer.headers.get('set-cookie');
  if (!setCookie) throw new Error(`no cookie set: ${answer.status} ${JSON.stringify(answer.body)}`);
  return setCookie.split(';')[0]!;
}

export async function signIn(server: Pick<TestServer, 'url'>, account: Pick<ConsoleAccount, 'email' | 'password'>): Promise<Browser> {
  const answer = await signInRequest(server, { email: account.email, password: account.password });
  if (answer.status !== 200) throw new Error(`sign-in of ${account.email}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return browser(server, sessionCookieOf(answer), answer.body);
}

export function browser(server: Pick<TestServer, 'url'>, cookie: string, session: ConsoleSession): Browser {
  const csrfToken = session.csrfToken!;
  return {
    cookie,
    csrfToken,
    session,
    call: (method, path, options = {}) =>
      exchange(server, method, path, { ...options, headers: { cookie, [CSRF_HEADER]: csrfToken, origin: originOf(server), 'sec-fetch-site': 'same-origin', ...options.headers } }),
  };
}

const CONSOLE_TABLES = ['office_users', 'console_sessions', 'console_sign_in_throttles', 'console_sign_in_attempts'] as const;

/** Everything a request could have written: row counts of the record tables, and every console row as it stands. */
export async function officeState(database: OfficeDatabase): Promise<Record<string, unknown>> {
  const state: Record<string, unknown> = await countRows(database);
  for (const table of CONSOLE_TABLES) {
    const result = (await database.db.execute(sql.raw(`SELECT * FROM ${table} ORDER BY 1`))) as unknown as { rows: unknown[] };
    state[table] = result.rows;
  }
  return state;
}
