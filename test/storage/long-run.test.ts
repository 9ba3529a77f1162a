import { statSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { countJournalEntries } from '../../db/queries/journal.js';
import { DEFAULT_MAINTENANCE_POLICY } from '../../main/core/compaction.js';
import { DeviceSync } from '../../main/core/sync/device-sync.js';
import { RETENTION_WINDOW_MS } from '../../protocol/state-hash.js';
import { CLERK, SeededRandomness } from '../support/device.js';
import { noteCreate, noteEdit, tally, yardCountCreate } from '../support/actions.js';
import { FakeTimers } from '../sync/support/timers.js';
import { InjectTransport } from '../sync/support/transports.js';
import { SyncWorld } from '../sync/support/world.js';
import { enrolledDevice, recordGateIns } from './field-day.js';

const DAY = 24 * 60 * 60 * 1000;
const DAYS = 90;
const SHIFTS_PER_DAY = 2;
/** Per shift: gate-ins (each recorded and submitted), tallies on the yard counts, note edits. */
const GATE_INS = 14;
const TALLIES = 10;
const NOTE_EDITS = 3;
const YARD_COUNTS = 6;
const NOTES = 4;
/** The window a kiosk keeps closed records for, in days, and then a week for the database to settle. */
const SETTLED_AFTER_DAYS = RETENTION_WINDOW_MS.kiosk / DAY + 7;

let world: SyncWorld;

beforeAll(async () => {
  world = await SyncWorld.start();
});
afterAll(async () => world?.close());

it(
  `a kiosk syncing ${DAYS} simulated days of gate work keeps its database and journal bounded, still verifies and still syncs`,
  async () => {
    // Tried: the product path only. The clerk works two shifts a day; after each shift the app's
    // sync runs (push, pull, then background compaction, eviction and the state check on its own);
    // the test never compacts. A kiosk's clerk stays signed in between shifts (sessions still rotate hourly).
    const kiosk = await enrolledDevice(world, 'kiosk-long-run', {
      kind: 'kiosk',
      transport: new InjectTransport(world.server.app),
      sessionPolicy: { idleLockMs: { kiosk: DAY, cab: DAY } },
    });
    const { core } = kiosk;
    const sync = new DeviceSync(core, { transport: kiosk.transport, clock: world.clock, random: new SeededRandomness('long-run'), timers: new FakeTimers(world.clock) });
    core.signIn(CLERK.badgeId, CLERK.pin);
    const counts = Array.from({ length: YARD_COUNTS }, (_, i) => core.perform(yardCountCreate(`row-${i}`)).record.id);
    const notes = Array.from({ length: NOTES }, (_, i) => core.perform(noteCreate(`gate ${i} log`)).record.id);
    const expectedTally = new Map(counts.map((id) => [id, 0]));

    const days: { day: number; fileBytes: number; journal: number; gateEvents: number; checkpoints: number }[] = [];
    let largestJournal = 0;
    for (let day = 1; day <= DAYS; day++) {
      for (let shift = 0; shift < SHIFTS_PER_DAY; shift++) {
        recordGateIns(core, world.clock, GATE_INS, 2 * 60_000, `d${day}s${shift}`);
        for (let i = 0; i < TALLIES; i++) {
          const id = counts[(day + shift + i) % counts.length]!;
          expectedTally.set(id, expectedTally.get(id)! + 1);
          core.perform(tally(id, 1));
        }
        for (let i = 0; i < NOTE_EDITS; i++) core.perform(noteEdit(notes[i % notes.length]!, `day ${day} shift ${shift}: lane ${i} clear`));
        largestJournal = Math.max(largestJournal, countJournalEntries(core.database.db));
        const status = await sync.syncNow();
        expect(status).toMatchObject({ pending: 0, failed: 0, lastError: null });
        world.clock.advance(DAY / SHIFTS_PER_DAY - GATE_INS * 2 * 60_000);
      }
      core.database.sqlite.pragma('wal_checkpoint(TRUNCATE)');
      const { journal } = core.status();
      days.push({
        day,
        fileBytes: statSync(kiosk.path).size,
        journal: journal.entries,
        gateEvents: core.listRecords('gateEvent').length,
        checkpoints: journal.checkpoints,
      });
    }

    const settled = days.filter(({ day }) => day >= SETTLED_AFTER_DAYS);
    const atSettling = settled[0]!;
    console.log(
      'long run, device database by simulated day:',
      days.filter(({ day }) => day % 10 === 0 || day === 1).map((figures) => ({ ...figures, kib: Math.round(figures.fileBytes / 1024) })),
    );
    const gateInsPerDay = GATE_INS * SHIFTS_PER_DAY;
    const entriesPerDay = SHIFTS_PER_DAY * (2 * GATE_INS + TALLIES + NOTE_EDITS + 2);
    // Records: the window's worth of gate events, never more.
    expect(Math.max(...days.map(({ gateEvents }) => gateEvents))).toBeLessThanOrEqual((RETENTION_WINDOW_MS.kiosk / DAY + 2) * gateInsPerDay);
    // Journal: what waits for its checkpoint, at most a day of entries (or the fold threshold) plus a shift.
    expect(largestJournal).toBeLessThanOrEqual(Math.max(entriesPerDay, 500) + entriesPerDay);
    // File: within 10 % of its size once the window filled, months later.
    expect(Math.max(...settled.map(({ fileBytes }) => fileBytes))).toBeLessThanOrEqual(atSettling.fileBytes * 1.1);

    // It still holds what the clerk did, verifies, agrees with the office, and syncs.
    for (const [id, tallied] of expectedTally) expect(core.getRecord('yardCount', id)?.fields.tally).toBe(tallied);
    expect(core.verifyJournal()).toMatchObject({ ok: true });
    // Checkpoints: only the newest few stay, the chain verifying from the oldest one kept.
    expect(Math.max(...days.map(({ checkpoints }) => checkpoints))).toBeLessThanOrEqual(DEFAULT_MAINTENANCE_POLICY.checkpointsKept);
    expect(core.checkpoints()[0]!.manifest.fromSeq).toBeGreaterThan(1);
    expect(core.status().storage.stateCheck).toMatchObject({ incidents: 0, lastError: null });
    expect(core.status().storage.stateCheck.checks).toBeGreaterThanOrEqual(DAYS);
    recordGateIns(core, world.clock, 1, 60_000, 'after-the-run');
    expect(await sync.syncNow()).toMatchObject({ pending: 0, failed: 0, lastError: null });
  },
  20 * 60_000,
);
