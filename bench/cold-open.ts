import { rmSync, statSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { DeviceCore } from '../main/core/device-core.js';
import { tempDir } from '../test/support/device.js';
import { type Benchmark, figure } from './benchmark.js';
import { openRawEncrypted } from './raw-sqlite.js';
import { elapsedMs, nowNs, summarize, timeMs } from './stats.js';
import { openGateWorkload } from './workload.js';

const ENTRIES = 100_000;
const ROUNDS = 5;

/**
 * Cold open of a device database holding 100,000 journal entries, written honestly through the
 * write path: from nothing to DeviceCore.open returned (decrypt, integrity_check, migrations) and
 * to the first status(), against raw better-sqlite3 opening the same file with the key and counting
 * the journal. The file was just written, so the OS page cache is warm for both.
 */
export const coldOpenBenchmark: Benchmark = {
  name: 'cold-open',
  description: `cold open of a device database holding ${ENTRIES.toLocaleString('en-US')} journal entries`,
  run(log) {
    const dir = tempDir('waypost-bench-open-');
    try {
      const workload = openGateWorkload(dir);
      const { core, keyStore, clock, random, path } = workload.device;
      log(`cold-open: writing ${ENTRIES} entries through the write path`);
      const buildStart = nowNs();
      try {
        for (let i = 0, seq = 0; seq < ENTRIES; i++) {
          seq = workload.perform(i).seq;
          if (seq % 10_000 === 0) log(`cold-open: ${seq} entries, ${(elapsedMs(buildStart) / 1000).toFixed(0)} s`);
        }
      } finally {
        core.close();
      }
      const buildMs = elapsedMs(buildStart);

      const openRaw = (work: (sqlite: Database.Database) => unknown): void => {
        const sqlite = openRawEncrypted(path, keyStore.databaseKey());
        try {
          work(sqlite);
        } finally {
          sqlite.close();
        }
      };
      const openMs: number[] = [];
      const statusMs: number[] = [];
      const rawMs: number[] = [];
      const integrityMs: number[] = [];
      let entries = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const start = nowNs();
        const reopened = DeviceCore.open({ path, keyStore, clock, random });
        openMs.push(elapsedMs(start));
        entries = reopened.status().journal.entries;
        statusMs.push(elapsedMs(start));
        reopened.close();
        rawMs.push(timeMs(() => openRaw((sqlite) => sqlite.prepare('SELECT count(*) FROM journal').get())));
        integrityMs.push(timeMs(() => openRaw((sqlite) => sqlite.pragma('integrity_check'))));
      }
      const opened = summarize(openMs);
      const statused = summarize(statusMs);
      const raw = summarize(rawMs);
      const integrity = summarize(integrityMs);
      return {
        baseline: 'raw better-sqlite3 opening the same file with the key and running SELECT count(*) FROM journal',
        figures: [
          figure('DeviceCore.open (median)', 'ms', opened.p50, raw.p50),
          figure('to first status() (median)', 'ms', statused.p50, raw.p50),
          // Where DeviceCore.open's time goes: the full integrity check reads every page.
          figure('raw open + integrity_check (median)', 'ms', integrity.p50, raw.p50),
          figure('build through write path', 's', buildMs / 1000),
        ],
        details: {
          entries,
          rounds: ROUNDS,
          firstRoundMs: { open: openMs[0], status: statusMs[0], raw: rawMs[0], integrityCheck: integrityMs[0] },
          openMs: opened,
          statusMs: statused,
          rawMs: raw,
          integrityCheckMs: integrity,
          buildEntriesPerSecond: (entries / buildMs) * 1000,
          fileBytes: statSync(path).size,
        },
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
