import { asc, eq, inArray, sql } from 'drizzle-orm';
import { verifyChain } from '../protocol/verify.js';
import { CURRENT_SCHEMA_VERSION, MAX_PUSH_ENTRIES, MAX_PULL_LIMIT, type PullResponse, type PushResponse } from '../protocol/wire.js';
import { type OfficeDatabase, type OfficeDb, openDatabase } from '../server/db/connect.js';
import { insertRows } from '../server/db/queries/batches.js';
import { readChangesAfter } from '../server/db/queries/changes.js';
import { upsertRecords } from '../server/db/queries/records.js';
import { changes, devices, operators, organisations, recordVersions, recordWrites, records, sites, journalEntries } from '../server/db/schema.js';
import { TestChain } from '../test/support/chain-fixtures.js';
import { CLERK } from '../test/support/device.js';
import { NORTH, dropSchema, enrollDevice, seedOrganisation, startTestServer, type TestServer } from '../test/support/server.js';
import { type Benchmark, figure } from './benchmark.js';
import { elapsedMs, nowNs } from './stats.js';
import { createGateEvent, updateGateEvent } from './workload.js';

const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
const DEVICES = 8;
const ENTRIES_PER_DEVICE = 1_250;
const ROUNDS = 3;
const CONCURRENCY = 4;
const BATCH = MAX_PUSH_ENTRIES;
/** One in UPDATE_EVERY entries edits an earlier gate event of the same device; the rest create. */
const UPDATE_EVERY = 4;

/**
 * Office ingest: signed journal entries verified, settled by the conflict policies and committed,
 * per second, through the real push endpoint over HTTP on 127.0.0.1 (fetch, keep-alive) into a
 * fresh Postgres schema. Several devices push at once, each its own journal in batches of the
 * largest size the protocol allows.
 *
 * Baseline, same run, same database, right after each round of pushes (the machine is shared and
 * noisy, so rounds interleave and medians are reported): the rows that round wrote (journal
 * entries, write history, versions, records, change feed), read back and inserted again into an
 * empty schema of the same shape in the same batches and concurrency, one transaction per batch,
 * by the faster of plain multi-row INSERT and the server's own JSON-parameter bulk insert. Pull:
 * the whole change feed through the pull endpoint in pages of the largest size, against the same
 * feed query run directly.
 */
export const serverIngestBenchmark: Benchmark = {
  name: 'server-ingest',
  description: `office push of ${ROUNDS} × ${(DEVICES * ENTRIES_PER_DEVICE).toLocaleString('en-US')} signed entries from ${DEVICES} devices (${CONCURRENCY} at a time, batches of ${BATCH}) over HTTP into Postgres, each round next to a raw insert of its rows; pull of the feed`,
  async run(log) {
    const url = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
    // The test server takes its database from the environment; the benchmark needs real Postgres.
    process.env.DATABASE_URL = url;
    const server = await startTestServer();
    const targets = await openRawTargets(url);
    try {
      await seedOrganisation(server);
      log('server-ingest: warm-up push');
      await pushAll(server, [await journalFor(server, 'bench-warm-up', 1_000)], 1);

      const rounds: Round[] = [];
      let lastJournals: Journal[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        log(`server-ingest: round ${round + 1} of ${ROUNDS}: signing, pushing, inserting the same rows raw`);
        const journals = [];
        for (let d = 0; d < DEVICES; d++) journals.push(await journalFor(server, `bench-r${round}-cab-${d}`, ENTRIES_PER_DEVICE));
        const pushStart = nowNs();
        await pushAll(server, journals, CONCURRENCY);
        const pushMs = elapsedMs(pushStart);
        const written = await rowsWritten(server.database.db, journals.map(({ chain }) => chain.deviceId));
        const [plainMs, jsonMs] = [await targets.plain.insert(server.database.db, written), await targets.json.insert(server.database.db, written)];
        rounds.push({ entries: written.entries, pushMs, plainMs, jsonMs, rowsPerEntry: written.rows / written.entries });
        lastJournals = journals;
      }

      const verifyStart = nowNs();
      let verifiedEntries = 0;
      for (const { chain } of lastJournals) {
        const verdict = verifyChain(chain.device, { entries: chain.entries });
        if (!verdict.ok) throw new Error(`benchmark journal does not verify: ${verdict.failure.message}`);
        verifiedEntries += chain.entries.length;
      }
      const verifyRate = perSecond(verifiedEntries, elapsedMs(verifyStart));

      log('server-ingest: pulling the change feed');
      const reader = await journalFor(server, 'bench-reader', 0);
      const pull = await pullAll(server, reader.credential);
      const rawPull = await rawPullRate(server.database.db);

      const pushRates = rounds.map((round) => perSecond(round.entries, round.pushMs));
      const rawRates = rounds.map((round) => perSecond(round.entries, Math.min(round.plainMs, round.jsonMs)));
      const pushRate = median(pushRates);
      const rawRate = median(rawRates);
      return {
        baseline: `per round, the rows its pushes wrote inserted again into an empty schema of the same shape (same batches, ${CONCURRENCY} at a time, one transaction per batch) by the faster of plain multi-row INSERT and the server's JSON bulk insert; medians of ${ROUNDS} rounds; pull against the feed query run directly`,
        figures: [
          figure('push ingest (median round)', 'entries/s', pushRate, rawRate),
          figure('push time per 1,000 entries (vs raw)', 'ms', 1_000_000 / pushRate, 1_000_000 / rawRate, { ratioAtMost: 3 }),
          figure('push time per 1,000 entries (≥ 5,000 entries/s)', 'ms', 1_000_000 / pushRate, null, { valueBelow: 200 }),
          figure('pull', 'changes/s', perSecond(pull.changes, pull.ms), rawPull),
        ],
        details: {
          transport: 'HTTP on 127.0.0.1 (fetch with keep-alive), real push and pull endpoints, pino silent; requests serialised before timing',
          database: new URL(url).host,
          devices: DEVICES,
          entriesPerRound: DEVICES * ENTRIES_PER_DEVICE + DEVICES,
          concurrency: CONCURRENCY,
          batch: BATCH,
          pushEntriesPerSecondByRound: pushRates,
          rawEntriesPerSecondByRound: rawRates,
          rawPlainInsertEntriesPerSecondByRound: rounds.map((round) => perSecond(round.entries, round.plainMs)),
          rawJsonInsertEntriesPerSecondByRound: rounds.map((round) => perSecond(round.entries, round.jsonMs)),
          rowsPerEntry: rounds[0]!.rowsPerEntry,
          // In-order verifyChain of one round's journals on one thread, for scale: the push checks
          // signatures together on the thread pool, so most of this is not on its request thread.
          verifyChainEntriesPerSecondOneThread: verifyRate,
          pushRateOverVerifyRate: pushRate / verifyRate,
          pulledChanges: pull.changes,
          pullPages: pull.pages,
        },
      };
    } finally {
      await targets.close();
      await server.close();
    }
  },
};

interface Round {
  entries: number;
  pushMs: number;
  plainMs: number;
  jsonMs: number;
  rowsPerEntry: number;
}

const perSecond = (count: number, ms: number) => (count / ms) * 1000;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

interface Journal {
  chain: TestChain;
  credential: string;
  /** The push requests, serialised before the clock starts: the devices' work, not the office's. */
  requests: string[];
}

/** An enrolled device whose gate clerk creates gate events and edits some of them. */
async function journalFor(server: TestServer, deviceId: string, records: number): Promise<Journal> {
  const chain = new TestChain(deviceId);
  const { credential } = await enrollDevice(server, chain, NORTH);
  chain.openSession(CLERK.operatorId);
  const created: string[] = [];
  for (let i = 0; i < records; i++) {
    if (i % UPDATE_EVERY === UPDATE_EVERY - 1) {
      const { recordId, action, ops } = updateGateEvent(created[i % created.length]!, i);
      chain.record({ recordType: 'gateEvent', recordId, action, ops, baseVersion: null });
    } else {
      const recordId = `${deviceId}-gate-${i}`;
      chain.record({ recordType: 'gateEvent', recordId, action: 'create', ops: createGateEvent(i).ops });
      created.push(recordId);
    }
  }
  const requests = batches(chain.entries).map((entries) =>
    JSON.stringify({ schemaVersion: CURRENT_SCHEMA_VERSION, deviceId, sentAt: server.clock.now(), entries }),
  );
  return { chain, credential, requests };
}

/** Pushes every journal in batches, `concurrency` devices at a time; every entry must be accepted. */
async function pushAll(server: TestServer, journals: readonly Journal[], concurrency: number): Promise<void> {
  const queue = [...journals];
  const worker = async () => {
    for (let journal = queue.shift(); journal; journal = queue.shift()) {
      for (const body of journal.requests) {
        const response = await fetch(`${server.url}/v1/sync/push`, {
          method: 'POST',
          headers: { authorization: `Bearer ${journal.credential}`, 'content-type': 'application/json' },
          body,
        });
        const answer = (await response.json()) as PushResponse;
        const refused = response.status === 200 ? answer.results.find((result) => result.outcome !== 'accepted') : undefined;
        if (response.status !== 200 || refused) throw new Error(`push: ${response.status} ${JSON.stringify(refused ?? answer).slice(0, 500)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

function batches<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += BATCH) out.push(items.slice(start, start + BATCH));
  return out;
}

interface WrittenRows {
  /** Per device, per push batch: the rows that batch wrote. */
  devices: RowBatch[][];
  entries: number;
  rows: number;
}

interface RowBatch {
  journal: unknown[];
  writes: unknown[];
  versions: unknown[];
  records: unknown[];
  changes: unknown[];
}

/** What the pushes of these devices wrote, read back and cut into the push batches. */
async function rowsWritten(db: OfficeDb, deviceIds: readonly string[]): Promise<WrittenRows> {
  const written: WrittenRows = { devices: [], entries: 0, rows: 0 };
  for (const deviceId of deviceIds) {
    const journal = await db.select().from(journalEntries).where(eq(journalEntries.deviceId, deviceId)).orderBy(asc(journalEntries.seq));
    const writes = await db.select().from(recordWrites).where(eq(recordWrites.deviceId, deviceId)).orderBy(asc(recordWrites.seq));
    const writeIds = writes.map((write) => write.id);
    const versions = writeIds.length > 0 ? await db.select().from(recordVersions).where(inArray(recordVersions.writeId, writeIds)) : [];
    const recordIds = [...new Set(writes.map((write) => write.recordId))];
    const finalRecords = recordIds.length > 0 ? await db.select().from(records).where(inArray(records.id, recordIds)) : [];
    const feed = recordIds.length > 0 ? await db.select().from(changes).where(inArray(changes.recordId, recordIds)) : [];
    const device: RowBatch[] = [];
    for (const slice of batches(journal)) {
      const [from, to] = [slice[0]!.seq, slice.at(-1)!.seq];
      const batchWrites = writes.filter((write) => write.seq! >= from && write.seq! <= to);
      const ids = new Set(batchWrites.map((write) => write.id));
      const batchVersions = versions.filter((version) => ids.has(version.writeId));
      const versionKeys = new Set(batchVersions.map((version) => `${version.id}@${version.version}`));
      const touched = new Set(batchWrites.map((write) => write.recordId));
      device.push({
        journal: slice,
        writes: batchWrites,
        versions: batchVersions,
        records: finalRecords.filter((record) => touched.has(record.id)),
        changes: feed.filter((change) => versionKeys.has(`${change.recordId}@${change.version}`)),
      });
    }
    written.devices.push(device);
    written.entries += journal.length;
    written.rows += journal.length + writes.length + versions.length + finalRecords.length + feed.length;
  }
  return written;
}

interface RawTarget {
  /** Inserts the rows (after copying the identities they refer to) and returns the milliseconds taken. */
  insert(source: OfficeDb, written: WrittenRows): Promise<number>;
}

/** An empty, migrated schema per insert method, kept for the whole run. */
async function openRawTargets(url: string): Promise<{ plain: RawTarget; json: RawTarget; close(): Promise<void> }> {
  const opened: { database: OfficeDatabase; schema: string }[] = [];
  const target = async (method: 'plain' | 'json'): Promise<RawTarget> => {
    const schema = `bench_raw_${method}_${process.pid}`;
    const database = await openDatabase({ url, schema, poolSize: CONCURRENCY + 1 });
    opened.push({ database, schema });
    await database.migrate();
    const insert = async (tx: OfficeDb, table: Parameters<typeof insertRows>[1], values: unknown[]) => {
      if (values.length === 0) return;
      if (method === 'json') await insertRows(tx, table, values as never[]);
      else for (const slice of chunks(values, 200)) await tx.insert(table).values(slice as never[]);
    };
    return {
      async insert(source, written) {
        await copyIdentity(source, database.db);
        const queue = [...written.devices];
        const start = nowNs();
        await Promise.all(
          Array.from({ length: CONCURRENCY }, async () => {
            for (let device = queue.shift(); device; device = queue.shift()) {
              for (const batch of device) {
                await database.db.transaction(async (tx) => {
                  await insert(tx, journalEntries, batch.journal);
                  await insert(tx, recordWrites, batch.writes);
                  await upsertRecordsRaw(tx, batch.records, method);
                  await insert(tx, recordVersions, batch.versions);
                  await insert(tx, changes, batch.changes);
                });
              }
            }
          }),
        );
        return elapsedMs(start);
      },
    };
  };
  const plain = await target('plain');
  const json = await target('json');
  return {
    plain,
    json,
    async close() {
      for (const { database, schema } of opened) {
        await database.close();
        await dropSchema(url, schema);
      }
    },
  };
}

/** Records are upserted as the push does: a record edited in a later batch replaces its row. */
async function upsertRecordsRaw(tx: OfficeDb, rows: unknown[], method: 'plain' | 'json'): Promise<void> {
  if (rows.length === 0) return;
  if (method === 'json') {
    await upsertRecords(tx, rows as never[]);
    return;
  }
  const excluded = (column: string) => sql.raw(`excluded."${column}"`);
  for (const slice of chunks(rows, 200)) {
    await tx
      .insert(records)
      .values(slice as never[])
      .onConflictDoUpdate({
        target: [records.type, records.id],
        set: {
          audience: excluded('audience'),
          version: excluded('version'),
          fields: excluded('fields'),
          fieldStates: excluded('field_states'),
          tombstone: excluded('tombstone'),
          deleted: excluded('deleted'),
          pendingReview: excluded('pending_review'),
          updatedAt: excluded('updated_at'),
        },
      });
  }
}

/** The organisation tree and devices the rows refer to (foreign keys); copied again each round, new ones added. */
async function copyIdentity(from: OfficeDb, to: OfficeDb): Promise<void> {
  await to.insert(organisations).values(await from.select().from(organisations)).onConflictDoNothing();
  await to.insert(sites).values(await from.select().from(sites)).onConflictDoNothing();
  await to.insert(operators).values(await from.select().from(operators)).onConflictDoNothing();
  await to.insert(devices).values(await from.select().from(devices)).onConflictDoNothing();
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

async function pullAll(server: TestServer, credential: string): Promise<{ changes: number; pages: number; ms: number }> {
  let cursor: string | null = null;
  let count = 0;
  let pages = 0;
  const start = nowNs();
  for (let hasMore = true; hasMore; pages++) {
    const response = await fetch(`${server.url}/v1/sync/pull`, {
      method: 'POST',
      headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
      body: JSON.stringify({ schemaVersion: CURRENT_SCHEMA_VERSION, cursor, limit: MAX_PULL_LIMIT }),
    });
    if (response.status !== 200) throw new Error(`pull: ${response.status} ${await response.text()}`);
    const page = (await response.json()) as PullResponse;
    count += page.changes.length;
    cursor = page.cursor;
    hasMore = page.hasMore;
  }
  return { changes: count, pages, ms: elapsedMs(start) };
}

async function rawPullRate(db: OfficeDb): Promise<number> {
  let after = 0;
  let count = 0;
  const start = nowNs();
  for (;;) {
    const rows = await readChangesAfter(db, NORTH, after, MAX_PULL_LIMIT);
    if (rows.length === 0) break;
    count += rows.length;
    after = rows.at(-1)!.id;
  }
  return (count / elapsedMs(start)) * 1000;
}
