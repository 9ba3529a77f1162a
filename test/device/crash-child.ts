/**
 * The process crash-durability.test.ts kills. It runs the real write path on a real encrypted
 * database: signs in, records yard-count actions and now and then acknowledges and compacts, and
 * prints a line for an action only after `perform` returned, i.e. after the commit. Lines go out
 * with writeSync so a line the parent reads was written before anything that follows it.
 */
import { writeSync } from 'node:fs';
import { DeviceCore } from '../../main/core/device-core.js';
import { InsecureDevFileKeyStore } from '../../main/core/keystore-dev.js';
import { listPendingSeqs } from '../../db/queries/outbox.js';
import { CLERK, SeededRandomness } from '../support/device.js';

export interface CrashChildConfig {
  dbPath: string;
  keyFile: string;
  migrationsFolder: string;
  /** Seeds the record ids and the choice of actions of this run. */
  seed: string;
  /** The loop is bounded; the parent normally kills the child long before. */
  maxActions: number;
}

/** Percent chance, per step, of acknowledging everything confirmed so far and compacting. */
const COMPACTION_PERCENT = 4;
/** Percent chance, per step, of opening a new yard count instead of tallying an existing one. */
const CREATE_PERCENT = 25;
/** Only recent yard counts are tallied, so a run does not need to load every record. */
const TALLIED_RECORDS = 20;

function say(line: string): void {
  writeSync(1, `${line}\n`);
}

function roll(random: SeededRandomness, below: number): number {
  return Buffer.from(random.bytes(4)).readUInt32BE() % below;
}

function run(config: CrashChildConfig): void {
  const random = new SeededRandomness(config.seed);
  const core = DeviceCore.open({
    path: config.dbPath,
    keyStore: new InsecureDevFileKeyStore(config.keyFile, random),
    random,
    migrationsFolder: config.migrationsFolder,
  });
  core.signIn(CLERK.badgeId, CLERK.pin);
  say(`ready ${core.status().journal.lastSeq}`);

  const tallied = core.listRecords('yardCount').slice(-TALLIED_RECORDS).map((record) => record.id);
  let lastConfirmed = 0;
  for (let step = 0; step < config.maxActions; step++) {
    if (lastConfirmed > 0 && roll(random, 100) < COMPACTION_PERCENT) {
      say('compacting');
      core.acknowledge(listPendingSeqs(core.database.db, Number.MAX_SAFE_INTEGER).filter((seq) => seq <= lastConfirmed));
      say(`compacted ${core.compact().length}`);
      continue;
    }
    // Every action adds exactly 1 to one record's tally, so a tally counts the actions applied to it.
    const target = tallied.length === 0 || roll(random, 100) < CREATE_PERCENT ? null : tallied[roll(random, tallied.length)]!;
    const { seq, record } = target
      ? core.perform({ recordType: 'yardCount', recordId: target, action: 'update', ops: [{ op: 'increment', field: 'tally', by: 1 }] })
      : core.perform({
          recordType: 'yardCount',
          action: 'create',
          ops: [
            { op: 'set', field: 'siteId', value: 'site-crash' },
            { op: 'set', field: 'location', value: `row-${step % 7}` },
            { op: 'set', field: 'itemCode', value: `item-${config.seed}-${step}` },
            { op: 'increment', field: 'tally', by: 1 },
          ],
        });
    say(`confirmed ${seq} ${record.id}`);
    lastConfirmed = seq;
    if (!target) tallied.push(record.id);
  }
  core.close();
  say('done');
}

run(JSON.parse(process.argv[2] ?? '') as CrashChildConfig);
