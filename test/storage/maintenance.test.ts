import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callOffice, deviceHeaders } from '../../main/core/sync/api.js';
import { DeviceSync, MAINTENANCE_DEFERRAL_MS } from '../../main/core/sync/device-sync.js';
import { readAnchor, readEnrollment } from '../../main/core/sync/state.js';
import { localState } from '../../main/core/record-state.js';
import { RETENTION_WINDOW_MS } from '../../protocol/state-hash.js';
import { CURRENT_SCHEMA_VERSION, stateSummarySchema } from '../../protocol/wire.js';
import { CLERK, SeededRandomness } from '../support/device.js';
import { gateEventCreate, noteCreate, submit, tally, yardCountCreate } from '../support/actions.js';
import { FakeTimers } from '../sync/support/timers.js';
import { SyncWorld } from '../sync/support/world.js';
import { enrolledDevice, gateEventAt, recordGateIns } from './field-day.js';

const DAY = 24 * 60 * 60 * 1000;

let world: SyncWorld;

beforeAll(async () => {
  world = await SyncWorld.start();
});
afterAll(async () => world?.close());

function sessionRows(core: { database: { sqlite: { prepare(sql: string): { pluck(): { get(): unknown } } } } }): number {
  return core.database.sqlite.prepare('SELECT count(*) FROM sessions').pluck().get() as number;
}

describe('background maintenance', () => {
  it('folds only what the office acknowledged and anchored, at most a checkpoint’s worth per transaction and a bounded number per run', async () => {
    const policy = { entriesPerCheckpoint: 100, minEntriesToFold: 50, transactionsPerRun: 3, checkpointsKept: 4 };
    const kiosk = await enrolledDevice(world, 'kiosk-backlog', { kind: 'kiosk', policy });
    const { core } = kiosk;
    core.signIn(CLERK.badgeId, CLERK.pin);
    const count = core.perform(yardCountCreate('row-9')).record.id;
    for (let i = 0; i < 700; i++) {
      world.clock.advance(1_000);
      core.perform(tally(count, 1));
    }
    await kiosk.client.sync();
    const anchored = readAnchor(core.database.db)!.seq;
    // Tried: entries after the anchored ones marked acknowledged without a receipt anchoring them.
    const unanchored = Array.from({ length: 80 }, () => core.perform(tally(count, 1)).seq);
    core.acknowledge(unanchored);

    const first = await core.maintain();

    expect(first).toMatchObject({ checkpoints: 3, entriesFolded: 300, transactions: 3, more: true });
    expect(core.checkpoints().map(({ manifest }) => manifest.toSeq - manifest.fromSeq + 1)).toEqual([100, 100, 100]);
    // Later runs (one per sync) finish the backlog; the loop is bounded by the backlog over the run's bound.
    const runs = [first];
    for (let run = 0; run < 10 && runs.at(-1)!.more; run++) runs.push(await core.maintain());
    expect(runs.at(-1)!.more).toBe(false);
    expect(runs.every((report) => report.transactions <= policy.transactionsPerRun)).toBe(true);
    // Folded up to the anchor, less a tail too short to be worth a checkpoint yet; nothing unanchored.
    const folded = core.checkpoints().at(-1)!.manifest.toSeq;
    expect(folded).toBeLessThanOrEqual(anchored);
    expect(folded).toBeGreaterThan(anchored - policy.minEntriesToFold);
    expect(core.journal({ limit: 1 })[0]!.body.seq).toBe(folded + 1);
    expect(core.journal({ fromSeq: unanchored[0] }).map((entry) => entry.body.seq)).toEqual(unanchored);
    // Only the newest checkpoints stay; the chain verifies from the oldest one kept.
    expect(core.checkpoints()).toHaveLength(policy.checkpointsKept);
    expect(core.verifyJournal()).toMatchObject({ ok: true });
    // Session rows nothing can need (rotated out before the last checkpoint) are gone.
    expect(sessionRows(core)).toBeLessThanOrEqual(2);
    expect(core.status().storage.maintenance).toMatchObject({ lastRun: runs.at(-1), lastError: null });
  });

  it('gives way to the user between its transactions: an action made while a run is under way commits before the run ends', async () => {
    const kiosk = await enrolledDevice(world, 'kiosk-interleave', { kind: 'kiosk', policy: { entriesPerCheckpoint: 50, minEntriesToFold: 1, transactionsPerRun: 6 } });
    const { core } = kiosk;
    core.signIn(CLERK.badgeId, CLERK.pin);
    const count = core.perform(yardCountCreate('row-3')).record.id;
    for (let i = 0; i < 400; i++) core.perform(tally(count, 1));
    await kiosk.client.sync();

    let checkpointsWhenActed = -1;
    const run = core.maintain();
    setImmediate(() => {
      checkpointsWhenActed = core.checkpoints().length;
      core.perform(tally(count, 5));
    });
    const report = await run;

    expect(report.checkpoints).toBe(6);
    expect(checkpointsWhenActed).toBeGreaterThan(0);
    expect(checkpointsWhenActed).toBeLessThan(report.checkpoints);
    expect(core.getRecord('yardCount', count)?.fields.tally).toBe(405);
    expect(core.verifyJournal()).toMatchObject({ ok: true });
  });

  it('evicts synced records closed before the role’s window, keeps what is open, recent or unsent, and fetches an evicted one again on demand', async () => {
    const kiosk = await enrolledDevice(world, 'kiosk-evict', { kind: 'kiosk' });
    const { core } = kiosk;
    const old = recordGateIns(core, world.clock, 3, 60_000, 'old');
    const draft = core.perform(gateEventCreate({ truckPlate: 'draft' })).record.id;
    const noteId = core.perform(noteCreate('yard lights out in row C')).record.id;
    await kiosk.client.sync();
    world.clock.advance(RETENTION_WINDOW_MS.kiosk + DAY);
    const recent = recordGateIns(core, world.clock, 2, 60_000, 'recent');
    await kiosk.client.sync();
    // Closed long ago by its own time, but not sent yet.
    const unsent = core.perform(gateEventAt('unsent', world.clock.now() - RETENTION_WINDOW_MS.kiosk - DAY)).record.id;
    core.perform(submit('gateEvent', unsent));

    const report = await core.maintain();

    expect(report.recordsEvicted).toBe(3);
    for (const id of old) expect(core.getRecord('gateEvent', id)).toBeNull();
    for (const id of [draft, ...recent, unsent]) expect(core.getRecord('gateEvent', id)).not.toBeNull();
    expect(core.getRecord('note', noteId)).not.toBeNull();
    // What the device evicted is left out on both sides: it still agrees with the office.
    expect(await core.checkState(kiosk.transport, { catchUp: () => kiosk.client.pull() })).toMatchObject({ outcome: 'matched' });

    expect(await core.fetchRecords(kiosk.transport, [{ type: 'gateEvent', id: old[0]! }])).toEqual({ refetched: 1, dropped: 0 });
    expect(core.getRecord('gateEvent', old[0]!)).toMatchObject({ syncState: 'synced', fields: { truckPlate: 'old-0', status: 'submitted' } });
  });

  it('signs into each checkpoint the state hash the office computes for the same records', async () => {
    const kiosk = await enrolledDevice(world, 'kiosk-state-hash', { kind: 'kiosk', policy: { minEntriesToFold: 1 } });
    const { core } = kiosk;
    recordGateIns(core, world.clock, 5, 60_000, 'hashed');
    core.signOut();
    await kiosk.client.sync();

    await core.maintain();

    const { db } = core.database;
    const closedBefore = world.clock.now() - RETENTION_WINDOW_MS.kiosk;
    const office = await callOffice(
      kiosk.transport,
      '/v1/sync/state',
      { schemaVersion: CURRENT_SCHEMA_VERSION, closedBefore, exclude: localState(db, closedBefore).unsettled },
      stateSummarySchema,
      deviceHeaders(readEnrollment(db)!.credential),
    );
    const local = localState(db, closedBefore).summary;
    expect(office).toEqual(local);
    expect(local.records).toBeGreaterThanOrEqual(5);
    expect(core.checkpoints().at(-1)!.manifest.stateHash).toBe(office.root);
  });

  it('waits for a quiet link: a sync that sent or brought anything leaves compaction and the state check to the next quiet sync, unless none came for ten minutes', async () => {
    const policy = { entriesPerCheckpoint: 100, minEntriesToFold: 50 };
    const kiosk = await enrolledDevice(world, 'kiosk-quiet-link', { kind: 'kiosk', policy });
    const { core } = kiosk;
    const sync = new DeviceSync(core, { transport: kiosk.transport, clock: world.clock, random: new SeededRandomness('quiet-link'), timers: new FakeTimers(world.clock) });
    core.signIn(CLERK.badgeId, CLERK.pin);
    const count = core.perform(yardCountCreate('row-4')).record.id;
    const work = (actions: number) => {
      for (let i = 0; i < actions; i++) core.perform(tally(count, 1));
    };

    // Tried: a reconnect's backlog. It is sent; nothing is folded or checked meanwhile.
    work(120);
    expect(await sync.syncNow()).toMatchObject({ pending: 0, lastError: null });
    expect(core.status().journal.checkpoints).toBe(0);
    expect(core.status().storage.stateCheck.checks).toBe(0);

    // The next sync finds nothing to send or pull: the device folds and checks.
    expect(await sync.syncNow()).toMatchObject({ pending: 0, lastError: null });
    expect(core.status().journal.checkpoints).toBeGreaterThan(0);
    expect(core.status().storage.stateCheck).toMatchObject({ checks: 1, incidents: 0 });

    // Tried: a device never quiet. Busy syncs within ten minutes of the last maintenance wait; the first after it maintains.
    const checkpoints = core.status().journal.checkpoints;
    world.clock.advance(MAINTENANCE_DEFERRAL_MS / 2);
    work(120);
    await sync.syncNow();
    expect(core.status().journal.checkpoints).toBe(checkpoints);
    world.clock.advance(MAINTENANCE_DEFERRAL_MS / 2);
    work(120);
    await sync.syncNow();
    expect(core.status().journal.checkpoints).toBeGreaterThan(checkpoints);
    sync.stop();
  });
});
