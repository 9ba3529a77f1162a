import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { OFFICE_ROLES, type OfficeRole } from '../protocol/office-access.js';
import type { Randomness } from '../protocol/runtime.js';
import type { DeviceKind } from '../protocol/wire.js';
import { DEMO_OPERATORS } from './demo-operators.js';

/**
 * The demo organisation `npm start` sets up in its office, through the office's own admin API:
 * one yard, the demo operators, and a work order for the inspector. Every step is idempotent, so a
 * restart on the same data finds what it made before and changes nothing.
 */
export const DEMO_ORGANISATION = { id: 'org-demo', name: 'Demo Haulage' };
export const DEMO_SITE = { id: 'site-demo-yard', name: 'Demo yard', organisationId: DEMO_ORGANISATION.id };
const INSPECTOR = DEMO_OPERATORS.find((operator) => operator.role === 'inspector')!;
export const DEMO_WORK_ORDER = {
  id: 'wo-demo-4127',
  siteId: DEMO_SITE.id,
  title: 'Pre-trip inspection, tractor 4127',
  description: 'Driver reports a soft brake pedal. Run the DVIR and note what you find.',
  equipmentNumber: '4127',
  assignee: INSPECTOR.operatorId,
  priority: 'high',
};

export interface OfficeAnswer {
  status: number;
  body: unknown;
}

/** The office's HTTP API with an office user's token (the bootstrap administrator's here). */
export class OfficeApi {
  constructor(
    readonly url: string,
    readonly token: string,
  ) {}

  async request(method: string, path: string, body?: unknown): Promise<OfficeAnswer> {
    const response = await fetch(new URL(path, this.url), {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : null };
  }

  /** Creates something; 409 means it is there from an earlier start. */
  async ensure(path: string, body: unknown, what: string): Promise<void> {
    const answer = await this.request('POST', path, body);
    if (answer.status !== 201 && answer.status !== 409) throw officeRefused(what, answer);
  }
}

export async function bootstrapDemoOffice(office: OfficeApi): Promise<void> {
  await office.ensure('/v1/admin/organisations', DEMO_ORGANISATION, 'the demo organisation');
  await office.ensure('/v1/admin/sites', DEMO_SITE, 'the demo site');
  for (const { operatorId, ...operator } of DEMO_OPERATORS) {
    await office.ensure('/v1/admin/operators', { id: operatorId, siteId: DEMO_SITE.id, ...operator }, `operator ${operator.badgeId}`);
  }
  const existing = await office.request('GET', `/v1/office/records/workOrder/${DEMO_WORK_ORDER.id}`);
  if (existing.status === 404) await office.ensure('/v1/office/work-orders', DEMO_WORK_ORDER, 'the demo work order');
  else if (existing.status !== 200) throw officeRefused('the demo work order', existing);
}

export interface DemoConsoleUser {
  id: string;
  role: OfficeRole;
  email: string;
  password: string;
}

/**
 * One console user of the demo organisation per office role, with generated passwords kept in
 * `passwordsFile` (a development setup only) so that every start prints passwords that work. A
 * start that finds the users but not the file (deleted) gives them new passwords.
 */
export async function ensureDemoConsoleUsers(office: OfficeApi, passwordsFile: string, random: Randomness): Promise<DemoConsoleUser[]> {
  const kept = existsSync(passwordsFile) ? (JSON.parse(readFileSync(passwordsFile, 'utf8')) as DemoConsoleUser[]) : null;
  const users =
    kept ??
    OFFICE_ROLES.map((role) => ({ id: `user-demo-${role}`, role, email: `${role}@demo.waypost.test`, password: Buffer.from(random.bytes(12)).toString('base64url') }));
  for (const user of users) {
    const { password, ...rest } = user;
    const answer = await office.request('POST', '/v1/admin/users', { ...rest, organisationId: DEMO_ORGANISATION.id, name: `Demo ${user.role}`, password });
    if (answer.status === 409 && !kept) {
      const reset = await office.request('POST', `/v1/admin/users/${user.id}/password`, { password });
      if (reset.status !== 200) throw officeRefused(`a password for ${user.email}`, reset);
    } else if (answer.status !== 201 && answer.status !== 409) throw officeRefused(`the console user ${user.email}`, answer);
  }
  if (!kept) {
    mkdirSync(dirname(passwordsFile), { recursive: true });
    writeFileSync(passwordsFile, `${JSON.stringify(users, null, 2)}\n`, { mode: 0o600 });
  }
  return users;
}

export async function issueEnrollmentToken(office: OfficeApi, siteId: string, kind: DeviceKind): Promise<string> {
  const answer = await office.request('POST', '/v1/admin/enrollment-tokens', { siteId, kind });
  const token = (answer.body as { token?: unknown } | null)?.token;
  if (answer.status !== 201 || typeof token !== 'string') throw officeRefused('an enrollment token', answer);
  return token;
}

function officeRefused(what: string, answer: OfficeAnswer): Error {
  return new Error(`the office refused ${what}: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
}
