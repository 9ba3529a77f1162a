import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { canonicalize } from '../protocol/index.js';
import { tempDir } from '../test/support/device.js';
import { type Benchmark, figure } from './benchmark.js';
import { assertEncrypted, makeDurable, openRawEncrypted } from './raw-sqlite.js';
import { summarize, timeMs } from './stats.js';
import { openGateWorkload } from './workload.js';

const WARMUP = 300;
const SAMPLES = 3000;

/**
 * Local action latency: DeviceCore.perform (validate, transaction, record, journal entry, outbox,
 * signature) on a real encrypted device file, against three raw inserts of the same bytes in one
 * durable transaction on a database with the same cipher. Action and baseline alternate sample by
 * sample so both see the same machine load.
 */
export const actionBenchmark: Benchmark = {
  name: 'action',
  description: 'local action latency: gate-event update with two field ops, signed in',
  run(log) {
    const dir = tempDir('waypost-bench-action-');
    try {
      const workload = openGateWorkload(dir);
      const { core, keyStore } = workload.device;
      const raw = openRawBaseline(join(dir, 'raw.db'), keyStore.databaseKey());
      try {
        let last = workload.perform(0);
        for (let i = 1; i < WARMUP; i++) last = workload.perform(i);
        const [entry] = core.journal({ fromSeq: last.seq, toSeq: last.seq });
        const bytes = { body: canonicalize(entry!.body), hash: entry!.hash, signature: entry!.signature, record: JSON.stringify(last.record) };
        for (let i = 0; i < WARMUP; i++) raw.insert(bytes);

        log(`action: ${SAMPLES} samples, interleaved with the raw baseline`);
        const actionMs: number[] = [];
        const rawMs: number[] = [];
        for (let i = 0; i < SAMPLES; i++) {
          actionMs.push(timeMs(() => workload.perform(WARMUP + i)));
          rawMs.push(timeMs(() => raw.insert(bytes)));
        }
        const action = summarize(actionMs);
        const baseline = summarize(rawMs);
        return {
          baseline: 'raw better-sqlite3: journal + record + outbox insert of the same bytes, one WAL synchronous=FULL transaction, same cipher',
          figures: [
            figure('p50', 'ms', action.p50, baseline.p50, { ratioAtMost: 2 }),
            figure('p99', 'ms', action.p99, baseline.p99, { valueBelow: 10 }),
            figure('p99.9', 'ms', action.p999, baseline.p999),
            figure('mean', 'ms', action.mean, baseline.mean),
          ],
          details: { action, baseline, entryBodyBytes: Buffer.byteLength(bytes.body), recordBytes: Buffer.byteLength(bytes.record) },
        };
      } finally {
        core.close();
        raw.sqlite.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

interface RowBytes {
  body: string;
  hash: string;
  signature: string;
  record: string;
}

function openRawBaseline(path: string, key: Uint8Array): { sqlite: Database.Database; insert: (bytes: RowBytes) => void } {
  const sqlite = openRawEncrypted(path, key);
  makeDurable(sqlite);
  sqlite.exec(`
    CREATE TABLE journal (seq INTEGER PRIMARY KEY, body TEXT NOT NULL, hash TEXT NOT NULL, signature TEXT NOT NULL);
    CREATE TABLE records (id INTEGER PRIMARY KEY, data TEXT NOT NULL);
    CREATE TABLE outbox (seq INTEGER PRIMARY KEY, state TEXT NOT NULL);
  `);
  assertEncrypted(path);
  const insertJournal = sqlite.prepare('INSERT INTO journal (body, hash, signature) VALUES (?, ?, ?)');
  const insertRecord = sqlite.prepare('INSERT INTO records (data) VALUES (?)');
  const insertOutbox = sqlite.prepare(`INSERT INTO outbox (seq, state) VALUES (?, 'pending')`);
  const insert = sqlite.transaction((bytes: RowBytes) => {
    const { lastInsertRowid } = insertJournal.run(bytes.body, bytes.hash, bytes.signature);
    insertRecord.run(bytes.record);
    insertOutbox.run(lastInsertRowid);
  });
  return { sqlite, insert };
}
