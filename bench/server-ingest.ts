import { asc, eq, inArray, sql } from 'drizzle-orm';
import pg from 'pg';
import { verifyChain } from '../protocol/verify.js';
import { CURRENT_SCHEMA_VERSION, MAX_PUSH_ENTRIES, MAX_PULL_LIMIT, type PullResponse, type PushResponse } from '../protocol/wire.js';
import { type OfficeDatabase, type OfficeDb, openDatabase } from '../server/db/connect.js';
import { insertRows } from '../server/db/queries/batches.js';
import { readChangesAfter } from '../server/db/queries/changes.js';
import { upsertRecords } from '../server/db/queries/records.js';
import { changes, devices, operators, organisations, recordVersions, recordWrites, records, sites, journalEntries } from '../server/db/schema.js';
import { TestChain } from '../test/support/chain-fixtures.js';
import { CLERK } from '../test/support/device.js';
import { NORTH, enrollDevice, seedOrganisation, startTestServer, type TestServer } from '../test/support/server.js';
import { type Benchmark, figure } from './benchmark.js';
import { elapsedMs, nowNs } from './stats.js';
import { createGateEvent, updateGateEvent } from './workload.js';

const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
const DEVICES = 8;
const ENTRIES_PER_DEVICE = 2_500;
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
 * Baseline, same run, same database: the rows those pushes wrote (journal entries, write history,
 * versions, records, change feed), read back and inserted again into an empty schema of the same
 * shape in the same batches and concurrency, one transaction per batch, by the faster of plain
 * multi-row INSERT and the server's own JSON-parameter bulk insert. Pull: the whole change feed
 * through the pull endpoint in pages of the largest size, against the same feed query run directly.
 */
export const serverIngestBenchmark: Benchmark = {
  name: 'server-ingest',
  description: `office push of ${(DEVICES * ENTRIES_PER_DEVICE).toLocaleString('en-US')} signed entries from ${DEVICES} devices (${CONCURRENCY} at a time, batches of ${BATCH}) over HTTP into Postgres, and pull of the feed`,
  async run(log) {
    const url = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
    // The test server takes its database from the environment; the benchmark needs real Postgres.
    process.env.DATABASE_URL = url;
    const server = await startTestServer();
    try {
      await seedOrganisation(server);
      log(`server-ingest: signing ${DEVICES} journals of ${ENTRIES_PER_DEVICE} entries`);
      const warmUp = await journalFor(server, 'bench-warm-up', 1_000);
      const journals = [];
      for (let d = 0; d < DEVICES; d++) journals.push(await journalFor(server, `bench-cab-${d}`, ENTRIES_PER_DEVICE));
      const entries = journals.reduce((sum, journal) => sum + journal.chain.entries.length, 0);

      log('server-ingest: warm-up push');
      await pushAll(server, [warmUp], 1);
      log(`server-ingest: pushing ${entries} entries`);
      const pushStart = nowNs();
      await pushAll(server, journals, CONCURRENCY);
      const pushMs = elapsedMs(pushStart);

      const verifyStart = nowNs();
      for (const { chain } of journals) {
        const verdict = verifyChain(chain.device, { entries: chain.entries });
        if (!verdict.ok) throw new Error(`benchmark journal does not verify: ${verdict.failure.message}`);
      }
      const verifyMs = elapsedMs(verifyStart);

      log('server-ingest: raw inserts of the same rows');
      const raw = await rawInsertRates(url, server.database, journals.map(({ chain }) => chain.deviceId));

      log('server-ingest: pulling the change feed');
      const reader = await journalFor(server, 'bench-reader', 0);
      const pull = await pullAll(server, reader.credential);
      const rawPull = await rawPullRate(server.database.db);

      const perSecond = (count: number, ms: number) => (count / ms) * 1000;
      const pushRate = perSecond(entries, pushMs);
      const rawRate = Math.max(raw.plainInsert, raw.jsonInsert);
      return {
        baseline: `the same rows inserted again into an empty schema of the same shape (same batches, ${CONCURRENCY} at a time, one transaction per batch), the faster of plain multi-row INSERT and the server's JSON bulk insert; pull against the feed query run directly`,
        figures: [
          figure('push ingest', 'entries/s', pushRate, rawRate),
          figure('push time per 1,000 entries (vs raw)', 'ms', 1000 / (pushRate / 1000), 1000 / (rawRate / 1000), { ratioAtMost: 3 }),
          figure('push time per 1,000 entries (≥ 5,000 entries/s)', 'ms', 1000 / (pushRate / 1000), null, { valueBelow: 200 }),
          figure('pull', 'changes/s', perSecond(pull.changes, pull.ms), rawPull),
        ],
        details: {
          transport: 'HTTP on 127.0.0.1 (fetch with keep-alive), real push and pull endpoints, pino silent',
          database: new URL(url).host,
          entries,
          devices: DEVICES,
          concurrency: CONCURRENCY,
          batch: BATCH,
          pushMs,
          // In-order verifyChain of the same journals on one thread, for scale: the push checks
          // signatures on the thread pool, so this is not a cost on its request thread.
          verifyChainEntriesPerSecondOneThread: perSecond(entries, verifyMs),
          pushRateOverVerifyRate: pushMs > 0 ? verifyMs / pushMs : null,
          rawPlainInsertEntriesPerSecond: raw.plainInsert,
          rawJsonInsertEntriesPerSecond: raw.jsonInsert,
          rowsPerEntry: raw.rowsPerEntry,
          pulledChanges: pull.changes,
          pullPages: pull.pages,
        },
      };
    } finally {
      await server.close();
    }
  },
};

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

/**
 * The rows the push wrote for each device, inserted again into a fresh schema per insert method,
 * per push batch, `CONCURRENCY` devices at a time.
 */
async function rawInsertRates(url: string, source: OfficeDatabase, deviceIds: readonly string[]) {
  const db = source.db;
  type Batch = { journal: unknown[]; writes: unknown[]; versions: unknown[]; records: unknown[]; changes: unknown[] };
  const perDevice: Batch[][] = [];
  let rows = 0;
  let entries = 0;
  for (const deviceId of deviceIds) {
    const journal = await db.select().from(journalEntries).where(eq(journalEntries.deviceId, deviceId)).orderBy(asc(journalEntries.seq));
    const writes = await db.select().from(recordWrites).where(eq(recordWrites.deviceId, deviceId)).orderBy(asc(recordWrites.seq));
    const writeIds = writes.map((write) => write.id);
    const versions = writeIds.length > 0 ? await db.select().from(recordVersions).where(inArray(recordVersions.writeId, writeIds)) : [];
    const recordIds = [...new Set(writes.map((write) => write.recordId))];
    const finalRecords = recordIds.length > 0 ? await db.select().from(records).where(inArray(records.id, recordIds)) : [];
    const feed = recordIds.length > 0 ? await db.select().from(changes).where(inArray(changes.recordId, recordIds)) : [];
    const device: Batch[] = [];
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
    perDevice.push(device);
    entries += journal.length;
    rows += journal.length + writes.length + versions.length + finalRecords.length + feed.length;
  }

  const measure = async (method: 'plain' | 'json'): Promise<number> => {
    const target = await openDatabase({ url, schema: `bench_raw_${method}_${process.pid}`, poolSize: CONCURRENCY + 1 });
    try {
      await target.migrate();
      await copyIdentity(db, target.db);
      const insert = async (tx: OfficeDb, table: Parameters<typeof insertRows>[1], values: unknown[]) => {
        if (values.length === 0) return;
        if (method === 'json') await insertRows(tx, table, values as never[]);
        else for (const slice of chunks(values, 200)) await tx.insert(table).values(slice as never[]);
      };
      const queue = [...perDevice];
      const start = nowNs();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          for (let device = queue.shift(); device; device = queue.shift()) {
            for (const batch of device) {
              await target.db.transaction(async (tx) => {
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
      return (entries / elapsedMs(start)) * 1000;
    } finally {
      await target.close();
      await dropSchema(url, `bench_raw_${method}_${process.pid}`);
    }
  };
  return { plainInsert: await measure('plain'), jsonInsert: await measure('json'), rowsPerEntry: rows / entries };
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

async function copyIdentity(from: OfficeDb, to: OfficeDb): Promise<void> {
  await to.insert(organisations).values(await from.select().from(organisations));
  await to.insert(sites).values(await from.select().from(sites));
  await to.insert(operators).values(await from.select().from(operators));
  await to.insert(devices).values(await from.select().from(devices));
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

async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
