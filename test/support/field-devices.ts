import { CURRENT_SCHEMA_VERSION, type Change, type PullResponse, type PushResponse } from '../../protocol/wire.js';
import { TestChain } from './chain-fixtures.js';
import { INSPECTOR } from './device.js';
import { NORTH, call, enrollDevice, seedOrganisation, startTestServer, type TestServer } from './server.js';

/**
 * Enrolled test devices (in-memory signed chains) that push what they have not pushed yet and pull
 * their site's change feed, and office users of a role, for the review, audit, attachment and
 * fuzz tests of the office service.
 */
export interface FieldDevice {
  chain: TestChain;
  credential: string;
  /** Sends every entry not acknowledged yet; fails the test on anything but 200. */
  push(): Promise<PushResponse>;
  /** Every change after the device's cursor (bounded pages); moves the cursor. */
  pull(): Promise<Change[]>;
}

export async function enrolledDevice(server: TestServer, deviceId: string, options: { siteId?: string; operatorId?: string } = {}): Promise<FieldDevice> {
  const chain = new TestChain(deviceId);
  const { credential } = await enrollDevice(server, chain, options.siteId ?? NORTH);
  chain.openSession(options.operatorId ?? INSPECTOR.operatorId);
  let acknowledged = 0;
  let cursor: string | null = null;
  return {
    chain,
    credential,
    async push() {
      const entries = chain.entries.filter((entry) => entry.body.seq > acknowledged);
      const answer = await call<PushResponse>(server, 'POST', '/v1/sync/push', {
        token: credential,
        body: { schemaVersion: CURRENT_SCHEMA_VERSION, deviceId, sentAt: server.clock.now(), entries },
      });
      if (answer.status !== 200) throw new Error(`push by ${deviceId}: ${answer.status} ${JSON.stringify(answer.body)}`);
      acknowledged = answer.body.receipt.seq;
      return answer.body;
    },
    async pull() {
      const changes: Change[] = [];
      for (let page = 0; page < 100; page++) {
        const answer = await call<PullResponse>(server, 'POST', '/v1/sync/pull', {
          token: credential,
          body: { schemaVersion: CURRENT_SCHEMA_VERSION, cursor },
        });
        if (answer.status !== 200) throw new Error(`pull by ${deviceId}: ${answer.status} ${JSON.stringify(answer.body)}`);
        changes.push(...answer.body.changes);
        cursor = answer.body.cursor;
        if (!answer.body.hasMore) return changes;
      }
      throw new Error('more than 100 pages of changes');
    },
  };
}

/** An office user of org-1 (seedOrganisation) with `role`; returns their API token. */
export async function officeUser(server: TestServer, id: string, role: 'dispatcher' | 'reviewer' | 'admin', organisationId = 'org-1'): Promise<string> {
  const answer = await call(server, 'POST', '/v1/admin/users', { token: server.adminToken, body: { id, organisationId, name: `${role} ${id}`, role } });
  if (answer.status !== 201) throw new Error(`office user: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body.token;
}

/** The records among pulled changes, latest version of each, by id. */
export function latestRecords(changes: readonly Change[]): Map<string, Extract<Change, { kind: 'record' }>['record']> {
  const latest = new Map<string, Extract<Change, { kind: 'record' }>['record']>();
  for (const change of changes) if (change.kind === 'record') latest.set(change.record.id, change.record);
  return latest;
}

/** A test office with the seeded organisation, its dispatcher and a reviewer: where the review and audit tests start. */
export async function officeWithReviewer(reviewerId: string): Promise<{ server: TestServer; dispatcherToken: string; reviewerToken: string }> {
  const server = await startTestServer();
  const { dispatcherToken } = await seedOrganisation(server);
  return { server, dispatcherToken, reviewerToken: await officeUser(server, reviewerId, 'reviewer') };
}

