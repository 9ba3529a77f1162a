import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase } from '../server/db/connect.js';
import { startOfficeProcess } from '../test/support/office-process.js';
import { dropSchema } from '../test/support/server.js';
import { type Benchmark, type Figure, figure } from './benchmark.js';
import { type Generated, type OfficeTokens, type Scale, FULL_SCALE, generateOffice, scaled } from './console-scale/generate.js';
import { type VisibilitySample, measureConflictVisibility } from './console-scale/live.js';
import { type EndpointPlans, explainEndpoints } from './console-scale/plans.js';
import { benchScale } from './fleet/settings.js';
import { elapsedMs, nowNs, percentile } from './stats.js';

const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
const WARM_UP_ROUNDS = 20;
const MEASURED_ROUNDS = 200;
/** The measuring stops after this long even if fewer rounds were done (a shared, busy machine). */
const MEASURE_BUDGET_MS = 5 * 60 * 1000;
const CONFLICT_SAMPLES = 10;
/** A record's timeline is read for records with at least this many writes. */
const AUDITED_MIN_WRITES = 4;
/** The yard the conflicting devices work at, and a work order of it their billing lines are for. */
const LIVE_SITE = 'site-01';
const LIVE_WORK_ORDER = 'wo-01-00000';
/** What the console asks for first (console/queries.ts reviewQueueQuery). */
const REVIEW_QUEUE_PATH = '/v1/office/review-items?status=open&limit=200';
const FLEET_PATH = '/v1/admin/devices';

const count = (n: number) => n.toLocaleString('en-US');

/**
 * The office console's target (issue: console at scale): on real Postgres holding a month of a
 * 500-device fleet (1,000,000 journal entries, 200,000 records, about a million writes and as
 * many versions, about 5,000 review items of which 300 are open), the review queue's first page, a
 * record's audit timeline and the fleet page each answer in under 100 ms at p95, and a conflict a
 * device pushes is visible in an open console in under 1 s.
 *
 * The data is generated inside Postgres (console-scale/generate.ts) in a fresh schema, which is
 * dropped at the end. The office runs as its own process (server/main.ts) on it; the endpoints are
 * read over HTTP on 127.0.0.1, one request at a time, in rounds (each round: /health, the queue,
 * the timeline of a record not read before, the fleet), with org-scoped office API tokens. Then
 * the conflict samples (console-scale/live.ts), then the plans of every statement the three
 * endpoints run (console-scale/plans.ts), kept in the details.
 */
export const consoleScaleBenchmark: Benchmark = {
  name: 'console-scale',
  description: `office console on Postgres with ${count(FULL_SCALE.devices * FULL_SCALE.entriesPerDevice)} journal entries of ${FULL_SCALE.devices} devices and ${count(FULL_SCALE.sites * FULL_SCALE.recordsPerSite)} records (generated in SQL): review queue first page, a record's audit timeline and the fleet page over HTTP (p50/p95 next to GET /health), their SQL plans; a device's conflict to the console's live event and queue`,
  async run(log) {
    const url = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
    const scale = scaled(benchScale());
    const schema = `bench_console_${process.pid}_${Date.now().toString(36)}`;
    const dir = mkdtempSync(join(tmpdir(), 'waypost-console-scale-'));
    try {
      await migrateFresh(url, schema);
      log(`console-scale: generating ${count(scale.devices * scale.entriesPerDevice)} journal entries in schema ${schema}`);
      const generated = await generateOffice(url, schema, scale, log);
      log(`console-scale: generated in ${generated.totalSeconds.toFixed(1)} s: ${JSON.stringify(generated.rows)}`);
      const audited = await recordsToAudit(url, schema, WARM_UP_ROUNDS + MEASURED_ROUNDS);

      const office = await startOfficeProcess({ databaseUrl: url, schema, dir });
      let latency: Latency;
      let conflicts: VisibilitySample[];
      try {
        log(`console-scale: office pid ${office.pid} at ${office.url}; ${WARM_UP_ROUNDS} warm-up and ${MEASURED_ROUNDS} measured rounds`);
        latency = await measureEndpoints(office.url, generated.tokens, audited);
        log(`console-scale: ${CONFLICT_SAMPLES} conflicts pushed by a device, watched from the console`);
        conflicts = await measureConflictVisibility({
          officeUrl: office.url,
          adminToken: office.adminToken,
          reviewerToken: generated.tokens.reviewer,
          siteId: LIVE_SITE,
          workOrderId: LIVE_WORK_ORDER,
          samples: CONFLICT_SAMPLES,
          log,
        });
      } finally {
        await office.stop();
      }

      log('console-scale: EXPLAIN (ANALYZE, BUFFERS) of the statements behind each endpoint');
      const plans = await explainEndpoints(url, schema, [
        { name: 'review queue first page', path: REVIEW_QUEUE_PATH, token: generated.tokens.reviewer },
        { name: 'audit timeline', path: historyPath(audited[0]!), token: generated.tokens.auditor },
        { name: 'fleet page', path: FLEET_PATH, token: generated.tokens.admin },
      ]);
      for (const endpoint of plans) for (const statement of endpoint.statements) log(`  ${endpoint.name}: ${statement.summary}`);
      return result(scale, generated, latency, conflicts, plans);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await dropSchema(url, schema);
    }
  },
};

async function migrateFresh(url: string, schema: string): Promise<void> {
  const database = await openDatabase({ url, schema, poolSize: 1 });
  try {
    await database.migrate();
  } finally {
    await database.close();
  }
}

interface AuditedRecord {
  type: string;
  id: string;
  writes: number;
}

/** Records with several writes, in random order; each round reads the timeline of the next. */
async function recordsToAudit(url: string, schema: string, wanted: number): Promise<AuditedRecord[]> {
  const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    const { rows } = await client.query<AuditedRecord>(
      `SELECT r.type, r.id, (SELECT count(*)::int FROM record_writes w WHERE w.record_type = r.type AND w.record_id = r.id) AS writes
       FROM (SELECT type, id FROM records WHERE version >= $1 ORDER BY random() LIMIT $2) r`,
      [AUDITED_MIN_WRITES, wanted],
    );
    if (rows.length < wanted) throw new Error(`only ${rows.length} records have ${AUDITED_MIN_WRITES} writes or more`);
    return rows;
  } finally {
    await client.end();
  }
}

const historyPath = (record: AuditedRecord) => `/v1/audit/records/${record.type}/${record.id}/history`;

type EndpointKey = 'health' | 'queue' | 'audit' | 'fleet';

interface Latency {
  samples: Record<EndpointKey, number[]>;
  /** Bytes of each endpoint's last answer (decoded), and items the queue's first page held. */
  answerBytes: Record<EndpointKey, number>;
  queueItems: number;
  fleetDevices: number;
  auditWrites: number[];
  rounds: number;
  seconds: number;
}

/**
 * One request at a time over one keep-alive connection, timed from the request to the last byte
 * of its answer, compressed as a browser asks for it. Every round reads all four, so the machine's
 * noise falls on them alike; the timeline of a different record each round, as an auditor would.
 */
async function measureEndpoints(officeUrl: string, tokens: OfficeTokens, audited: readonly AuditedRecord[]): Promise<Latency> {
  const endpoints: { key: EndpointKey; token: string | null; path: (round: number) => string }[] = [
    { key: 'health', token: null, path: () => '/health' },
    { key: 'queue', token: tokens.reviewer, path: () => REVIEW_QUEUE_PATH },
    { key: 'audit', token: tokens.auditor, path: (round) => historyPath(audited[round]!) },
    { key: 'fleet', token: tokens.admin, path: () => FLEET_PATH },
  ];
  const latency: Latency = {
    samples: { health: [], queue: [], audit: [], fleet: [] },
    answerBytes: { health: 0, queue: 0, audit: 0, fleet: 0 },
    queueItems: 0,
    fleetDevices: 0,
    auditWrites: [],
    rounds: 0,
    seconds: 0,
  };
  const start = nowNs();
  for (let round = 0; round < WARM_UP_ROUNDS + MEASURED_ROUNDS && elapsedMs(start) < MEASURE_BUDGET_MS; round++) {
    for (const endpoint of endpoints) {
      const answer = await timedGet(officeUrl, endpoint.path(round), endpoint.token);
      if (round < WARM_UP_ROUNDS) continue;
      latency.samples[endpoint.key].push(answer.ms);
      latency.answerBytes[endpoint.key] = answer.text.length;
      if (endpoint.key === 'queue') latency.queueItems = (JSON.parse(answer.text) as { items: unknown[] }).items.length;
      if (endpoint.key === 'fleet') latency.fleetDevices = (JSON.parse(answer.text) as { devices: unknown[] }).devices.length;
      if (endpoint.key === 'audit') latency.auditWrites.push((JSON.parse(answer.text) as { writes: unknown[] }).writes.length);
    }
    if (round >= WARM_UP_ROUNDS) latency.rounds++;
  }
  latency.seconds = elapsedMs(start) / 1000;
  return latency;
}

async function timedGet(officeUrl: string, path: string, token: string | null): Promise<{ ms: number; text: string }> {
  const headers: Record<string, string> = { 'accept-encoding': 'gzip, deflate, br' };
  if (token) headers.authorization = `Bearer ${token}`;
  const start = nowNs();
  const response = await fetch(`${officeUrl}${path}`, { headers });
  const text = await response.text();
  const ms = elapsedMs(start);
  if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${text.slice(0, 300)}`);
  return { ms, text };
}

interface Percentiles {
  samples: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

function percentiles(samples: readonly number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  return { samples: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted.at(-1)! };
}

const ENDPOINT_NAMES: Record<Exclude<EndpointKey, 'health'>, string> = {
  queue: 'review queue first page',
  audit: "a record's audit timeline",
  fleet: 'fleet page',
};

function result(scale: Scale, generated: Generated, latency: Latency, conflicts: readonly VisibilitySample[], plans: readonly EndpointPlans[]) {
  const health = percentiles(latency.samples.health);
  const endpointFigures = (key: Exclude<EndpointKey, 'health'>): Figure[] => {
    const measured = percentiles(latency.samples[key]);
    return [
      figure(`${ENDPOINT_NAMES[key]} p50`, 'ms', measured.p50, health.p50),
      figure(`${ENDPOINT_NAMES[key]} p95`, 'ms', measured.p95, health.p95, { valueBelow: 100 }),
    ];
  };
  const push = percentiles(conflicts.map((sample) => sample.pushMs));
  const event = percentiles(conflicts.map((sample) => sample.eventMs));
  const queue = percentiles(conflicts.map((sample) => sample.queueMs));
  return {
    baseline:
      'same run, same office process: GET /health (answered without touching a table) p50 and p95, next to the endpoints; for the conflict figures, the pushing device’s own push round trip p95',
    figures: [
      ...endpointFigures('queue'),
      ...endpointFigures('audit'),
      ...endpointFigures('fleet'),
      figure('conflict pushed → console live event p95', 'ms', event.p95, push.p95, { valueBelow: 1000 }),
      figure('conflict pushed → in the console’s open queue p95', 'ms', queue.p95, push.p95, { valueBelow: 1000 }),
    ],
    details: {
      database: 'real Postgres, fresh schema (dropped afterwards), data generated in SQL; VACUUM ANALYZE after',
      transport: 'HTTP on 127.0.0.1 to the office process (server/main.ts), fetch with keep-alive, one request at a time, accept-encoding gzip, deflate, br; org-scoped office API tokens',
      scale,
      rowsGenerated: generated.rows,
      generationSeconds: generated.totalSeconds,
      generationStepSeconds: generated.stepSeconds,
      rounds: latency.rounds,
      measuringSeconds: latency.seconds,
      latencyMs: {
        health,
        reviewQueueFirstPage: percentiles(latency.samples.queue),
        auditTimeline: percentiles(latency.samples.audit),
        fleetPage: percentiles(latency.samples.fleet),
      },
      answers: {
        bytes: latency.answerBytes,
        reviewQueueItems: latency.queueItems,
        fleetDevices: latency.fleetDevices,
        auditWritesPerTimeline: percentiles(latency.auditWrites),
      },
      conflictVisibility: {
        howMeasured: `two device cores at ${LIVE_SITE} edit a billing line's quantity on the same version; from the second push's start to the console stream's changes event, and to the console's queue read after it (filtered to ${LIVE_SITE}) holding the item`,
        pushMs: push,
        liveEventMs: event,
        inQueueMs: queue,
        samples: conflicts,
      },
      plans: plans.map((endpoint) => ({
        endpoint: endpoint.name,
        path: endpoint.path,
        status: endpoint.status,
        notExplained: endpoint.notExplained,
        statements: endpoint.statements.map(({ summary, sql, params, plan }) => ({ summary, sql, params, plan })),
      })),
    },
  };
}
