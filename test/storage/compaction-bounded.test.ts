import { statSync } from 'node:fs';
import { expect, it } from 'vitest';
import { checkpointCoversEntries, type JournalEntry } from '../../protocol/index.js';
import { countJournalEntries } from '../../db/queries/journal.js';
import { DEFAULT_SESSION_POLICY } from '../../main/core/sessions.js';
import { CLERK, openTestDevice } from '../support/device.js';
import { noteCreate, noteEdit, tally, yardCountCreate } from '../support/actions.js';

const ACTIONS = 100_000;
const ACKNOWLEDGE_EVERY = 1_000;
/** The office lags behind: the newest entries are still unacknowledged when an acknowledgement comes. */
const UNACKNOWLEDGED_TAIL = 150;
const COMPACT_EVERY = 5_000;
const RECORDS_PER_TYPE = 40;

it(
  `${ACTIONS.toLocaleString('en')} actions with periodic acknowledgements and compaction keep the database bounded and verifiable`,
  () => {
    // Tried: the real write path (encrypted, synchronous=FULL, default key rotation) under a long day's
    // worth of tallies and note edits, with the office acknowledging in batches and compaction running.
    const device = openTestDevice();
    const { core, clock } = device;
    core.signIn(CLERK.badgeId, CLERK.pin);
    const counts = Array.from({ length: RECORDS_PER_TYPE }, (_, i) => core.perform(yardCountCreate(`row-${i}`)).record.id);
    const notes = Array.from({ length: RECORDS_PER_TYPE }, (_, i) => core.perform(noteCreate(`note ${i}`)).record.id);
    const expectedTally = new Map(counts.map((id) => [id, 0]));
    const expectedBody = new Map(notes.map((id, i) => [id, `note ${i}`]));

    let acknowledgedUpTo = 0;
    const awaitingCompaction: JournalEntry[] = []; // what the office holds for the entries it acknowledged
    const fileSizes: number[] = [];
    let largestJournal = 0;
    for (let action = 1; action <= ACTIONS; action++) {
      clock.advance(250);
      if (action % 7 === 0) {
        const id = notes[action % notes.length]!;
        expectedBody.set(id, `edit ${action}: tarp torn, strap replaced`);
        core.perform(noteEdit(id, expectedBody.get(id)!));
      } else {
        const id = counts[action % counts.length]!;
        const by = 1 + (action % 3);
        expectedTally.set(id, expectedTally.get(id)! + by);
        core.perform(tally(id, by));
      }

      if (action % ACKNOWLEDGE_EVERY === 0) {
        const upTo = core.status().journal.lastSeq - UNACKNOWLEDGED_TAIL;
        const acknowledged = core.journal({ fromSeq: acknowledgedUpTo + 1, toSeq: upTo });
        core.acknowledge(acknowledged.map((entry) => entry.body.seq));
        awaitingCompaction.push(...acknowledged);
        acknowledgedUpTo = upTo;
      }
      if (action % COMPACT_EVERY === 0) {
        largestJournal = Math.max(largestJournal, countJournalEntries(core.database.db));
        const made = core.compact();
        expect(made.length).toBeGreaterThan(0);
        // Each checkpoint proves exactly the entries the office holds for its range.
        for (const checkpoint of made) {
          const folded = awaitingCompaction.splice(0, checkpoint.manifest.toSeq - checkpoint.manifest.fromSeq + 1);
          expect(checkpointCoversEntries(checkpoint, folded)).toBeNull();
        }
        expect(awaitingCompaction).toEqual([]);
        // Nothing unacknowledged was folded: the journal starts right after the acknowledged prefix.
        expect(core.journal({ limit: 1 })[0]?.body.seq).toBe(acknowledgedUpTo + 1);
        expect(core.verifyJournal()).toMatchObject({ ok: true });
        core.database.sqlite.pragma('wal_checkpoint(TRUNCATE)');
        fileSizes.push(statSync(device.path).size);
      }
    }

    const sizeAt10k = fileSizes[10_000 / COMPACT_EVERY - 1]!;
    expect(Math.max(...fileSizes)).toBeLessThanOrEqual(sizeAt10k * 1.25);
    const sessionEntriesPerRun = 2 * Math.ceil(COMPACT_EVERY / DEFAULT_SESSION_POLICY.rotateAfterEntries); // close + open at each rotation
    expect(largestJournal).toBeLessThanOrEqual(COMPACT_EVERY + UNACKNOWLEDGED_TAIL + sessionEntriesPerRun);
    expect(core.status()).toMatchObject({ journal: { entries: UNACKNOWLEDGED_TAIL }, outbox: { pending: UNACKNOWLEDGED_TAIL, acknowledged: 0, failed: 0 } });
    expect(core.checkpoints().at(-1)?.manifest.toSeq).toBe(acknowledgedUpTo);
    for (const [id, tallied] of expectedTally) expect(core.getRecord('yardCount', id)?.fields.tally).toBe(tallied);
    for (const [id, body] of expectedBody) expect(core.getRecord('note', id)?.fields.body).toBe(body);

    const reopened = device.reopen();
    expect(reopened.core.verifyJournal()).toMatchObject({ ok: true });
    reopened.core.close();
  },
  10 * 60_000,
);
