import { asc, eq, inArray } from 'drizzle-orm';
import { MAX_PUSH_ENTRIES } from '../../protocol/wire.js';
import { type OfficeDb, openDatabase } from '../../server/db/connect.js';
import { insertRows } from '../../server/db/queries/batches.js';
import { upsertRecords } from '../../server/db/queries/records.js';
import { changes, devices, journalEntries, operators, organisations, recordVersions, recordWrites, records, sites } from '../../server/db/schema.js';
import { dropSchema } from '../../test/support/server.js';
import { elapsedMs, nowNs } from '../stats.js';
import { PostgresCpu } from './postgres-cpu.js';

/**
 * The database baseline of the fleet benchmarks: the rows the office wrote for the devices'
 * entries (journal, write history, versions, records, change feed), read back and inserted again
 * into an empty schema of the same shape, in the same batches (MAX_PUSH_ENTRIES entries of one
 * device, one transaction each), with the office's own bulk insert (one JSON parameter per table per
 * statement, server/db/queries/batches.ts), `concurrency` devices at a time. What Postgres must
 * do at the least to hold what the sync stored.
 */
export interface RawInsert {
  ms: number;
  entries: number;
  rows: number;
  /** CPU of the Postgres backends that did the insert, ms. */
  postgresCpuMs: number;
}

interface Batch {
  journal: (typeof journalEntries.$inferSelect)[];
  writes: (typeof recordWrites.$inferSelect)[];
  versions: (typeof recordVersions.$inferSelect)[];
  records: (typeof records.$inferSelect)[];
  changes: (typeof changes.$inferSelect)[];
}

export async function rawInsertBaseline(options: { databaseUrl: string; sourceSchema: string; deviceIds: readonly string[]; concurrency: number }): Promise<RawInsert> {
  const source = await openDatabase({ url: options.databaseUrl, schema: options.sourceSchema, poolSize: 2 });
  const targetSchema = `${options.sourceSchema}_raw`.slice(0, 63);
  const applicationName = `waypost_bench_raw_${process.pid}`;
  const targetUrl = new URL(options.databaseUrl);
  targetUrl.searchParams.set('application_name', applicationName);
  const target = await openDatabase({ url: targetUrl.toString(), schema: targetSchema, poolSize: options.concurrency + 1 });
  const cpu = await PostgresCpu.open(options.databaseUrl, applicationName);
  try {
    await target.migrate();
    const perDevice: Batch[][] = [];
    let entries = 0;
    let rows = 0;
    for (const deviceId of options.deviceIds) {
      const batches = await rowsOf(source.db, deviceId);
      perDevice.push(batches);
      for (const batch of batches) {
        entries += batch.journal.length;
        rows += batch.journal.length + batch.writes.length + batch.versions.length + batch.records.length + batch.changes.length;
      }
    }
    // The identities the rows refer to (foreign keys).
    await target.db.insert(organisations).values(await source.db.select().from(organisations));
    await target.db.insert(sites).values(await source.db.select().from(sites));
    await target.db.insert(operators).values(await source.db.select().from(operators));
    await target.db.insert(devices).values(await source.db.select().from(devices));

    await cpu.mark();
    const queue = [...perDevice];
    const start = nowNs();
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        for (let batches = queue.shift(); batches; batches = queue.shift()) {
          for (const batch of batches) {
            await target.db.transaction(async (tx) => {
              await insertRows(tx, journalEntries, batch.journal);
              await insertRows(tx, recordWrites, batch.writes);
              if (batch.records.length > 0) await upsertRecords(tx, batch.records);
              await insertRows(tx, recordVersions, batch.versions);
              await insertRows(tx, changes, batch.changes);
            });
          }
        }
      }),
    );
    const ms = elapsedMs(start);
    const { backendsMs } = await cpu.read();
    return { ms, entries, rows, postgresCpuMs: backendsMs };
  } finally {
    await cpu.close();
    await target.close();
    await source.close();
    await dropSchema(options.databaseUrl, targetSchema);
  }
}

/** What the office wrote for one device's entries, cut into its push batches. */
async function rowsOf(db: OfficeDb, deviceId: string): Promise<Batch[]> {
  const journal = await db.select().from(journalEntries).where(eq(journalEntries.deviceId, deviceId)).orderBy(asc(journalEntries.seq));
  const writes = await db.select().from(recordWrites).where(eq(recordWrites.deviceId, deviceId)).orderBy(asc(recordWrites.seq));
  const versions = (await inChunks(writes.map((write) => write.id), (ids) => db.select().from(recordVersions).where(inArray(recordVersions.writeId, ids)))).flat();
  const recordIds = [...new Set(writes.map((write) => write.recordId))];
  const finalRecords = (await inChunks(recordIds, (ids) => db.select().from(records).where(inArray(records.id, ids)))).flat();
  const feed = (await inChunks(recordIds, (ids) => db.select().from(changes).where(inArray(changes.recordId, ids)))).flat();
  const versionsOfWrite = new Map<number, typeof versions>();
  for (const version of versions) versionsOfWrite.set(version.writeId, [...(versionsOfWrite.get(version.writeId) ?? []), version]);
  const feedOf = new Map<string, typeof feed>();
  for (const change of feed) {
    const key = `${change.recordId}@${change.version}`;
    feedOf.set(key, [...(feedOf.get(key) ?? []), change]);
  }
  const recordOf = new Map(finalRecords.map((record) => [record.id, record]));
  const batches: Batch[] = [];
  for (let from = 0; from < journal.length; from += MAX_PUSH_ENTRIES) {
    const slice = journal.slice(from, from + MAX_PUSH_ENTRIES);
    const [first, last] = [slice[0]!.seq, slice.at(-1)!.seq];
    const batchWrites = writes.filter((write) => write.seq !== null && write.seq >= first && write.seq <= last);
    const batchVersions = batchWrites.flatMap((write) => versionsOfWrite.get(write.id) ?? []);
    // In key order, as the office locks them: two batches upserting shared work orders in different orders deadlock.
    const touched = [...new Set(batchWrites.map((write) => write.recordId))].sort();
    batches.push({
      journal: slice,
      writes: batchWrites,
      versions: batchVersions,
      records: touched.flatMap((id) => recordOf.get(id) ?? []),
      changes: batchVersions.flatMap((version) => feedOf.get(`${version.id}@${version.version}`) ?? []),
    });
  }
  return batches;
}

async function inChunks<T, R>(items: readonly T[], read: (chunk: T[]) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let start = 0; start < items.length; start += 5_000) out.push(await read(items.slice(start, start + 5_000)));
  return out;
}
