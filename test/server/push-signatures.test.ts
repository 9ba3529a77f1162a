import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSigner } from '../../protocol/crypto/ed25519.js';
import { signEntry, type JournalEntry } from '../../protocol/journal.js';
import { verifyChain } from '../../protocol/verify.js';
import { CURRENT_SCHEMA_VERSION, type PushResponse } from '../../protocol/wire.js';
import { TestChain, seedFrom } from '../support/chain-fixtures.js';
import { forgedSessionChain } from '../support/weak-keys.js';
import { call, countRows, enrollDevice, seedOrganisation, startTestServer, type TestServer } from '../support/server.js';

/**
 * The push checks a batch's signatures together, off the request thread, and falls back to an
 * in-order check when one fails. What a device sees must be exactly what in-order verification
 * says: the entries before the bad one acknowledged, the bad one refused with its reason, the
 * ones after it refused as not following the acknowledged chain, nothing of them stored.
 */
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  await seedOrganisation(server);
});
afterAll(async () => server?.close());

async function pushBatch(credential: string, deviceId: string, entries: JournalEntry[]) {
  const answer = await call<PushResponse>(server, 'POST', '/v1/sync/push', {
    token: credential,
    body: { schemaVersion: CURRENT_SCHEMA_VERSION, deviceId, sentAt: server.clock.now(), entries },
  });
  expect(answer.status).toBe(200);
  return answer.body;
}

/** A journal of a session and five notes, with entry `badSeq` re-signed by `signer`. */
async function journalWithBadSignature(deviceId: string, badSeq: number, signer: (chain: TestChain) => Parameters<typeof signEntry>[1]) {
  const chain = new TestChain(deviceId);
  const { credential } = await enrollDevice(server, chain);
  chain.openSession('op-ines');
  for (let i = 0; i < 5; i++) chain.record({ recordId: `note-${deviceId}-${i}` });
  const entries = chain.entries.map((entry) => (entry.body.seq === badSeq ? signEntry(entry.body, signer(chain)) : entry));
  return { chain, credential, entries };
}

describe('push signature checks', () => {
  it.each([
    ['a key that is not the session key', 'bad-signature', () => createSigner(seedFrom('someone else'), 'node')],
    ['the device identity key', 'signed-by-device-key', (chain: TestChain) => chain.deviceSigner],
  ])('answers a batch with one entry signed by %s exactly like in-order verification', async (_what, reason, signer) => {
    const deviceId = `dev-sig-${reason}`;
    const { chain, credential, entries } = await journalWithBadSignature(deviceId, 4, signer);
    const inOrder = verifyChain(chain.device, { entries });
    expect(inOrder).toMatchObject({ ok: false, failure: { seq: 4, code: reason } });

    const rowsBefore = await countRows(server.database);
    const answer = await pushBatch(credential, deviceId, entries);
    expect(answer.results.map((result) => [result.seq, result.acknowledged, result.reason ?? result.outcome])).toEqual([
      [1, true, 'accepted'],
      [2, true, 'accepted'],
      [3, true, 'accepted'],
      [4, false, reason],
      [5, false, 'sequence-gap'],
      [6, false, 'sequence-gap'],
    ]);
    expect(answer.results[3]!.message).toBe(inOrder.ok ? undefined : inOrder.failure.message);
    expect(answer.receipt).toMatchObject({ seq: 3, head: entries[2]!.hash });
    const rowsAfter = await countRows(server.database);
    expect(rowsAfter.journal_entries - rowsBefore.journal_entries).toBe(3);

    // The honest entries go through afterwards, from where the chain was acknowledged.
    const retry = await pushBatch(credential, deviceId, chain.entries.slice(3));
    expect(retry.results.map((result) => result.outcome)).toEqual(['accepted', 'accepted', 'accepted']);
    expect(retry.receipt.seq).toBe(6);
  });
});

describe('a session certified for a weak key', () => {
  it('is refused entry by entry as bad-certificate: no record is written and the chain stays where it was', async () => {
    const forged = forgedSessionChain('dev-sig-weak-session', 2);
    const { credential } = await enrollDevice(server, forged);
    const rowsBefore = await countRows(server.database);

    const answer = await pushBatch(credential, forged.deviceId, forged.entries);

    expect(answer.results.map((result) => [result.seq, result.acknowledged, result.reason ?? result.outcome])).toEqual([
      [1, false, 'bad-certificate'],
      [2, false, 'sequence-gap'],
      [3, false, 'sequence-gap'],
    ]);
    expect(answer.results[0]!.message).toMatch(/session key .* weak .* small order/);
    expect(answer.receipt).toMatchObject({ seq: 0 });
    const rowsAfter = await countRows(server.database);
    for (const table of ['journal_entries', 'records', 'record_versions', 'record_writes', 'changes'] as const) {
      expect(rowsAfter[table], table).toBe(rowsBefore[table]);
    }
    const devices = await call(server, 'GET', '/v1/admin/devices', { token: server.adminToken });
    expect(devices.body.devices).toContainEqual(expect.objectContaining({ id: forged.deviceId, chainSeq: 0 }));

    // The chain still starts at genesis: the device's honest first session is taken there.
    const honest = new TestChain(forged.deviceId);
    honest.openSession('op-ines');
    honest.record({ recordId: 'note-dev-sig-weak-session-honest' });
    const retry = await pushBatch(credential, forged.deviceId, honest.entries);
    expect(retry.results.map((result) => result.outcome)).toEqual(['accepted', 'accepted']);
  });
});
