import { randomBytes } from 'node:crypto';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { pino } from 'pino';
import { createSigner } from '../../protocol/crypto/ed25519.js';
import { systemClock, systemRandomness } from '../../protocol/runtime.js';
import { buildServer, closeServer } from '../../server/app.js';
import { type OfficeDb, openDatabase } from '../../server/db/connect.js';
import * as tables from '../../server/db/schema.js';

/**
 * The SQL behind an endpoint, as the office runs it, with its plan: the endpoint is answered once
 * by an office built in this process (buildServer, the same routes and queries as the office
 * process) whose database handle logs every statement with its parameters; each SELECT is then run
 * again as EXPLAIN (ANALYZE, BUFFERS) with the same parameters. Whatever the route calls today is
 * what gets explained, so the plans cannot drift from the code.
 */
export interface EndpointCall {
  name: string;
  path: string;
  token: string;
}

export interface StatementPlan {
  sql: string;
  params: unknown[];
  /** One line: the scans (index or sequential), sorts and the execution time. */
  summary: string;
  plan: string[];
}

export interface EndpointPlans {
  name: string;
  path: string;
  status: number;
  statements: StatementPlan[];
  /** Statements that are not SELECTs (not run again: ANALYZE would execute them). */
  notExplained: string[];
}

interface Captured {
  sql: string;
  params: unknown[];
}

const DAY_MS = 24 * 60 * 60 * 1000;

export async function explainEndpoints(url: string, schema: string, calls: readonly EndpointCall[]): Promise<EndpointPlans[]> {
  const captured: Captured[] = [];
  const pool = new pg.Pool({ connectionString: url, options: `-c search_path=${schema}`, max: 4, application_name: 'waypost_bench_plans' });
  const logging = drizzle(pool, { schema: tables, logger: { logQuery: (sql, params) => void captured.push({ sql, params }) } }) as unknown as OfficeDb;
  const base = await openDatabase({ url, schema, poolSize: 2 });
  const explainer = new pg.Client({ connectionString: url, options: `-c search_path=${schema}`, application_name: 'waypost_bench_plans' });
  let app: Awaited<ReturnType<typeof buildServer>> | null = null;
  try {
    app = await buildServer({
      database: { ...base, db: logging },
      clock: systemClock,
      random: systemRandomness,
      serverSigner: createSigner(randomBytes(32), 'node'),
      logger: pino({ level: 'silent' }),
      config: { maxClockSkewMs: DAY_MS },
    });
    await explainer.connect();
    const results: EndpointPlans[] = [];
    for (const call of calls) {
      captured.length = 0;
      const answer = await app.inject({ method: 'GET', url: call.path, headers: { authorization: `Bearer ${call.token}` } });
      const statements = [...captured];
      const selects = statements.filter(isSelect);
      const plans: StatementPlan[] = [];
      for (const statement of selects) plans.push(await explain(explainer, statement));
      results.push({ name: call.name, path: call.path, status: answer.statusCode, statements: plans, notExplained: statements.filter((s) => !isSelect(s)).map((s) => s.sql) });
    }
    return results;
  } finally {
    if (app) await closeServer(app, 1_000);
    await explainer.end().catch(() => {});
    await base.close();
    await pool.end();
  }
}

const isSelect = (statement: Captured): boolean => /^\s*select\b/i.test(statement.sql);

async function explain(client: pg.Client, { sql, params }: Captured): Promise<StatementPlan> {
  const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params);
  const plan = rows.map((row) => row['QUERY PLAN']);
  return { sql, params, summary: summarizePlan(plan), plan };
}

/**
 * "sort (quicksort, 339kB), bitmap review_items_open_idx, index records_type_id_pk, seq scan sites; 6.7 ms":
 * what each relation was read by (index, index-only, bitmap or seq scan), each sort with its method and
 * memory (or disk), and the execution time; in the plan's order, top down.
 */
export function summarizePlan(plan: readonly string[]): string {
  const parts: string[] = [];
  for (const line of plan) {
    const scan =
      /Index Only Scan(?: Backward)? using (\S+) on (\S+)/.exec(line) ??
      /Index Scan(?: Backward)? using (\S+) on (\S+)/.exec(line) ??
      /Bitmap Index Scan on (\S+)/.exec(line) ??
      /Seq Scan on (\S+)/.exec(line);
    if (scan) {
      const kind = line.includes('Index Only Scan') ? 'index-only' : line.includes('Bitmap Index Scan') ? 'bitmap' : line.includes('Index Scan') ? 'index' : 'seq scan';
      parts.push(`${kind} ${scan[1]}`);
    }
    const sort = /Sort Method: (.+?)\s+(?:Memory|Disk): (\S+)/.exec(line);
    if (sort) parts.push(`sort (${sort[1]}, ${sort[2]})`);
  }
  const execution = plan.map((line) => /^Execution Time: (\S+) ms/.exec(line)?.[1]).find((ms) => ms !== undefined);
  return `${[...new Set(parts)].join(', ') || 'no relation read'}; ${execution ?? '?'} ms`;
}
