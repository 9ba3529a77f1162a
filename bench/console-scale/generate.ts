import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { makePinVerifier } from '../../protocol/pin.js';
import { hashSecret } from '../../server/auth.js';
import { elapsedMs, nowNs } from '../stats.js';

/**
 * The office of the console-scale benchmark, made inside Postgres (INSERT ... SELECT over
 * generate_series, no row crosses the wire): one organisation, its yards, devices, operators and
 * office users, and a month of work: every device's journal, the records it wrote, each write's
 * policy decisions, every version, and the review items of the conflicts, mostly resolved.
 *
 * Rows are shaped as the office writes them (server/sync/persist.ts): journal bodies as signed
 * JSON of about 1 KB with hex hashes and base64 signatures of the real lengths, field states in
 * the stored encoding (server/db/field-states.ts), decisions with the values written, replaced and
 * kept. The hashes are not a verifiable chain: nothing here checks one, and making one would mean
 * signing a million entries outside the database.
 */
export interface Scale {
  sites: number;
  devices: number;
  operatorsPerSite: number;
  entriesPerDevice: number;
  recordsPerSite: number;
  /** A session opens every this many entries of a device; the entries between write records. */
  entriesPerSession: number;
  /** One in this many updates of a billing line met a concurrent edit and went to review. */
  reviewEvery: number;
  openReviewItems: number;
}

/** The office: 1,000,000 entries of 500 devices, 200,000 records, about 5,000 review items. */
export const FULL_SCALE: Scale = {
  sites: 10,
  devices: 500,
  operatorsPerSite: 5,
  entriesPerDevice: 2_000,
  recordsPerSite: 20_000,
  entriesPerSession: 250,
  reviewEvery: 16,
  openReviewItems: 300,
};

/**
 * WAYPOST_BENCH_SCALE (bench/fleet/settings.ts) shrinks each device's journal and each yard's
 * records for a quick check of the benchmark itself; the fleet (sites, devices) stays whole.
 */
export function scaled(factor: number): Scale {
  if (factor >= 1) return FULL_SCALE;
  return {
    ...FULL_SCALE,
    entriesPerDevice: Math.max(10, Math.round(FULL_SCALE.entriesPerDevice * factor)),
    recordsPerSite: Math.max(100, Math.round(FULL_SCALE.recordsPerSite * factor)),
  };
}

const DAY_MS = 24 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;
/** The month the journals cover; each device's entries are spread evenly over it. */
const SPAN_MS = 30 * DAY_MS;
/** How long after a conflict a reviewer decided it. */
const DECIDED_AFTER_MS = 2 * HOUR_MS;
/** One statement of the generation may take this long at most. */
const STATEMENT_TIMEOUT_MS = 20 * 60 * 1000;
const ORGANISATION = 'org-1';
/** Operators made here never sign in on a device; they share one PIN verifier (one scrypt, not fifty). */
const GENERATED_PIN = '8642';

/** Office users of the organisation, by role, each with an API token (as automation calls the office). */
export interface OfficeTokens {
  admin: string;
  reviewer: string;
  auditor: string;
}

export const REVIEWER_ID = 'user-rita';

export interface Generated {
  tokens: OfficeTokens;
  /** When the generation took "now" to be (epoch ms): the journals end shortly before it. */
  now: number;
  /** Seconds per step, in order. */
  stepSeconds: Record<string, number>;
  totalSeconds: number;
  rows: Record<string, number>;
}

/** The tables generated, in the order their counts are reported. */
export const GENERATED_TABLES = [
  'organisations',
  'sites',
  'operators',
  'office_users',
  'devices',
  'journal_entries',
  'records',
  'record_writes',
  'record_versions',
  'review_items',
  'review_decisions',
] as const;

/**
 * Fills the (migrated, empty) schema. A text of yard notes (no quotes or backslashes, so it goes
 * into JSON text as is) gives every note, remark and status note its words.
 */
export async function generateOffice(url: string, schema: string, scale: Scale, log: (message: string) => void): Promise<Generated> {
  const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}`, application_name: 'waypost_bench_generate' });
  await client.connect();
  try {
    await client.query(`SET statement_timeout = ${STATEMENT_TIMEOUT_MS}`);
    // The window functions over a million entries sort in memory rather than on disk.
    await client.query(`SET work_mem = '256MB'`);
    await client.query(`SET maintenance_work_mem = '256MB'`);
    await client.query('SET synchronous_commit = off');
    await client.query('SELECT setseed(0.42)');
    const now = Date.now();
    const tokens: OfficeTokens = { admin: token(), reviewer: token(), auditor: token() };
    const steps = generationSteps(scale, now, tokens);
    const stepSeconds: Record<string, number> = {};
    const start = nowNs();
    for (const step of steps) {
      const stepStart = nowNs();
      for (const statement of step.statements) await client.query(statement.text, statement.values);
      stepSeconds[step.name] = elapsedMs(stepStart) / 1000;
      log(`console-scale: ${step.name}: ${stepSeconds[step.name]!.toFixed(1)} s`);
    }
    const totalSeconds = elapsedMs(start) / 1000;
    const rows: Record<string, number> = {};
    for (const table of GENERATED_TABLES) rows[table] = Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
    return { tokens, now, stepSeconds, totalSeconds, rows };
  } finally {
    await client.end();
  }
}

function token(): string {
  return `wpo_bench-console-${randomBytes(24).toString('base64url')}`;
}

interface Statement {
  text: string;
  values?: unknown[];
}

interface Step {
  name: string;
  statements: Statement[];
}

const sql = (text: string, values?: unknown[]): Statement => ({ text, values });

/** The generation, step by step; every number spliced into the SQL is one of this module's constants or the scale's. */
function generationSteps(scale: Scale, now: number, tokens: OfficeTokens): Step[] {
  const t0 = now - SPAN_MS - 8 * HOUR_MS;
  const step = Math.floor(SPAN_MS / scale.entriesPerDevice);
  return [
    { name: 'helper functions', statements: HELPER_FUNCTIONS.map((text) => sql(text)) },
    { name: 'organisation, sites, operators, office users', statements: identityStatements(scale, t0, tokens) },
    { name: 'plan of every entry (temporary)', statements: [sql(planStatement(scale, t0, step))] },
    { name: 'devices', statements: [sql(devicesStatement(scale, now, t0))] },
    { name: 'journal_entries', statements: [sql(JOURNAL_STATEMENT)] },
    { name: 'record_writes (device entries)', statements: [sql(RECORD_WRITES_STATEMENT)] },
    { name: 'review_items, decisions and their office writes', statements: reviewStatements(scale) },
    { name: 'records', statements: [sql(recordsStatement(scale))] },
    { name: 'record_versions', statements: [sql(RECORD_VERSIONS_STATEMENT)] },
    {
      name: 'id sequences',
      statements: [
        sql(`SELECT setval(pg_get_serial_sequence('record_writes', 'id'), (SELECT max(id) FROM record_writes))`),
        sql(`SELECT setval(pg_get_serial_sequence('review_items', 'id'), (SELECT max(id) FROM review_items))`),
        sql('DROP TABLE plan'),
      ],
    },
    // As autovacuum would have left a month-old office: statistics, visibility map, hint bits.
    { name: 'VACUUM ANALYZE', statements: GENERATED_TABLES.map((table) => sql(`VACUUM (ANALYZE) ${table}`)) },
  ];
}

const YARD_NOTES =
  'Chassis staged at the north fence, reefer plugged in and holding at minus eighteen. Driver reports a slow leak on the ' +
  'left rear inner tyre; pressure checked at ninety two psi, marked for the tyre shop. Seal number matches the bill of ' +
  'lading, photos taken of both doors. Gate queue backed up to the highway turn at shift change, two carriers sent to ' +
  'the overflow lot. Brake chamber on axle two replaced, pushrod stroke measured within limits after adjustment. ' +
  'Container shows a dent above the right door hinge, noted on the interchange and signed by both drivers. Yard count ' +
  'for row C differs by one from the morning tally; the missing unit was found parked across slots eleven and twelve. ' +
  'Lights and reflectors all working, mud flap on the passenger side hanging by one bolt, secured with a temporary tie. ' +
  'Fuel level at a quarter, driver told to fill before the long haul. Waiting on the customs release before the box ' +
  'can leave the yard; dispatch informed and the appointment moved to the afternoon window.';

/**
 * Temporary SQL functions, inlined by the planner where they are one expression: declared STABLE,
 * as their bodies are (jsonb_build_object, text || number); one declared IMMUTABLE around a
 * STABLE body is never inlined, and calling it per row made the generation three times slower.
 * A record's fields at a version: only the field its updates write (`edited_field`) changes with it.
 */
const HELPER_FUNCTIONS = [
  `CREATE FUNCTION pg_temp.hex64(seed text) RETURNS text LANGUAGE sql STABLE AS $$ SELECT md5(seed) || md5(seed || '#') $$`,
  // 64 bytes in base64, 88 characters, as Ed25519 signatures are stored: made of two hashes at hand, not hashed again.
  `CREATE FUNCTION pg_temp.signature(hash text, other text) RETURNS text LANGUAGE sql STABLE AS
     $$ SELECT translate(encode(decode(hash || reverse(other), 'hex'), 'base64'), E'\\n', '') $$`,
  `CREATE FUNCTION pg_temp.note_text(seed int) RETURNS text LANGUAGE sql STABLE AS
     $$ SELECT substr('${YARD_NOTES}', 1 + seed % 350, 480) $$`,
  `CREATE FUNCTION pg_temp.edited_field(record_type text) RETURNS text LANGUAGE sql STABLE AS
     $$ SELECT CASE record_type WHEN 'workOrder' THEN 'statusNote' WHEN 'inspection' THEN 'remarks' WHEN 'note' THEN 'body' ELSE 'quantity' END $$`,
  `CREATE FUNCTION pg_temp.edited_value(record_type text, i int, version bigint) RETURNS jsonb LANGUAGE sql STABLE AS
     $$ SELECT CASE record_type WHEN 'billingLine' THEN to_jsonb(1 + version % 5) ELSE to_jsonb(pg_temp.note_text(i + version::int)) END $$`,
  `CREATE FUNCTION pg_temp.record_fields(record_type text, i int, site text, version bigint, created bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
     SELECT CASE record_type
       WHEN 'workOrder' THEN jsonb_build_object(
         'siteId', site, 'title', 'Reefer and chassis check ' || i, 'description', pg_temp.note_text(i * 7),
         'equipmentNumber', 'CHZ-' || (4000 + i % 900), 'assignee', 'op-' || lpad((right(site, 2)::int + 10 * (i % 5))::text, 3, '0'),
         'dueDate', created + ${DAY_MS}, 'priority', (ARRAY['low', 'normal', 'high', 'urgent'])[1 + i % 4], 'status', 'in-progress',
         'statusNote', pg_temp.edited_value(record_type, i, version), 'location', 'Row ' || chr(65 + i % 12) || ', slot ' || (i % 40))
       WHEN 'inspection' THEN jsonb_build_object(
         'workOrderId', NULL, 'templateId', 'dvir-power-unit', 'equipmentNumber', 'TRK-' || (100 + i % 400), 'odometer', 120000 + i * 3,
         'items', jsonb_build_object('service-brakes', jsonb_build_object('result', 'pass'), 'parking-brake', jsonb_build_object('result', 'pass'),
           'horn', jsonb_build_object('result', 'pass'), 'lights', jsonb_build_object('result', 'pass'),
           'tires', jsonb_build_object('result', 'pass'), 'wipers', jsonb_build_object('result', 'na')),
         'defects', '[]'::jsonb, 'photos', jsonb_build_array(pg_temp.hex64('photo' || site || i)), 'signature', pg_temp.hex64('signature' || site || i),
         'remarks', pg_temp.edited_value(record_type, i, version), 'status', 'submitted', 'submittedAt', created, 'correctsId', NULL)
       WHEN 'note' THEN jsonb_build_object('subjectType', 'workOrder', 'subjectId', 'wo-' || right(site, 2) || '-' || lpad((i - i % 10)::text, 5, '0'),
         'body', pg_temp.edited_value(record_type, i, version))
       ELSE jsonb_build_object('workOrderId', 'wo-' || right(site, 2) || '-' || lpad((i - i % 10)::text, 5, '0'),
         'description', 'Brake chamber replaced', 'quantity', pg_temp.edited_value(record_type, i, version), 'unitPriceCents', 12500)
     END $$`,
  // What an update writes: the edited field, as its ops (JSON text) and as its policy decision (the value written, the one before and after).
  `CREATE FUNCTION pg_temp.edit_ops(record_type text, i int, version bigint) RETURNS text LANGUAGE sql STABLE AS
     $$ SELECT '[{"field":"' || pg_temp.edited_field(record_type) || '","op":"set","value":' || pg_temp.edited_value(record_type, i, version)::text || '}]' $$`,
  `CREATE FUNCTION pg_temp.edit_decisions(record_type text, i int, version bigint, review boolean) RETURNS jsonb LANGUAGE sql STABLE AS $$
     SELECT jsonb_build_array(jsonb_build_object('field', pg_temp.edited_field(record_type), 'op', 'set', 'outcome', CASE WHEN review THEN 'review' ELSE 'applied' END,
       'written', pg_temp.edited_value(record_type, i, version), 'before', pg_temp.edited_value(record_type, i, version - 1),
       'after', pg_temp.edited_value(record_type, i, CASE WHEN review THEN version - 1 ELSE version END))) $$`,
];

function identityStatements(scale: Scale, t0: number, tokens: OfficeTokens): Statement[] {
  const pinVerifier = makePinVerifier(GENERATED_PIN, new Uint8Array(16).fill(7));
  return [
    sql(`INSERT INTO organisations (id, name, created_at) VALUES ($1, 'Harbor Haulage', ${t0})`, [ORGANISATION]),
    sql(
      `INSERT INTO sites (id, organisation_id, name, created_at)
       SELECT 'site-' || lpad(s::text, 2, '0'), $1, 'Yard ' || s, ${t0} FROM generate_series(1, ${scale.sites}) AS s`,
      [ORGANISATION],
    ),
    // Operator o works at site o % sites, so each site has operatorsPerSite of them.
    sql(
      `INSERT INTO operators (id, site_id, badge_id, display_name, role, pin_verifier, active, updated_at)
       SELECT 'op-' || lpad((o + 1)::text, 3, '0'), 'site-' || lpad((o % ${scale.sites} + 1)::text, 2, '0'), 'B' || lpad((o + 1)::text, 3, '0'),
              'Operator ' || (o + 1), CASE WHEN o % 2 = 0 THEN 'inspector' ELSE 'gate-clerk' END, $1, true, ${t0}
       FROM generate_series(0, ${scale.sites * scale.operatorsPerSite - 1}) AS o`,
      [pinVerifier],
    ),
    sql(
      `INSERT INTO office_users (id, organisation_id, name, role, token_hash, created_at) VALUES
         ('user-ada', $1, 'Ada Admin', 'admin', $2, ${t0}), ($3, $1, 'Rita Reviewer', 'reviewer', $4, ${t0}), ('user-aldo', $1, 'Aldo Auditor', 'auditor', $5, ${t0})`,
      [ORGANISATION, hashSecret(tokens.admin), REVIEWER_ID, hashSecret(tokens.reviewer), hashSecret(tokens.auditor)],
    ),
  ];
}

/**
 * Every journal entry to make, one row each, with what the later steps need: its device, time,
 * operator and session, and for a record entry the record (one of its site's, at random), the
 * write id (in order of receipt, as the office numbers writes) and the version it made. t is when
 * it happened; the device's clock read t − clock_offset; the office received it delay later
 * (2.5% of entries waited offline for 1–6 h). A few devices' clocks are 7 minutes ahead.
 */
function planStatement(scale: Scale, t0: number, step: number): string {
  const sessionOpen = `q % ${scale.entriesPerSession} = 1`;
  return `
    CREATE TEMP TABLE plan AS
    WITH entries AS (
      SELECT d, q, d % ${scale.sites} AS s, d / ${scale.sites} AS k,
             CASE WHEN ${sessionOpen} THEN 'session.open' ELSE 'record' END AS kind,
             ${t0}::bigint + q::bigint * ${step} + (d * 7919) % ${step} AS t,
             CASE WHEN d % 100 = 7 THEN -420000 ELSE (d * 37) % 3000 - 1500 END AS clock_offset,
             CASE WHEN (d * 31 + q) % 40 = 0 THEN ${HOUR_MS} + (d::bigint * q) % ${5 * HOUR_MS} ELSE 800 + (d * 13 + q * 7) % 4000 END AS delay,
             floor(random() * ${scale.recordsPerSite})::int AS i
      FROM generate_series(0, ${scale.devices - 1}) AS d CROSS JOIN generate_series(1, ${scale.entriesPerDevice}) AS q
    ), named AS (
      SELECT e.*,
             (CASE WHEN d % 5 = 4 THEN 'kiosk-' ELSE 'cab-' END) || lpad((d + 1)::text, 3, '0') AS device_id,
             'site-' || lpad((s + 1)::text, 2, '0') AS site_id,
             'op-' || lpad((s + ${scale.sites} * (((q - 1) / ${scale.entriesPerSession} + k) % ${scale.operatorsPerSite}) + 1)::text, 3, '0') AS operator_id,
             CASE WHEN kind = 'record' THEN (ARRAY['workOrder', 'workOrder', 'workOrder', 'inspection', 'inspection', 'inspection', 'inspection', 'note', 'note', 'billingLine'])[1 + i % 10] END AS record_type,
             CASE WHEN kind = 'record' THEN (ARRAY['wo', 'wo', 'wo', 'insp', 'insp', 'insp', 'insp', 'note', 'note', 'bl'])[1 + i % 10] || '-' || lpad((s + 1)::text, 2, '0') || '-' || lpad(i::text, 5, '0') END AS record_id,
             t - clock_offset AS device_time, t + delay AS received_at
      FROM entries e
    ), numbered AS (
      SELECT n.*,
             CASE WHEN kind = 'record' THEN row_number() OVER (PARTITION BY kind ORDER BY received_at, d, q) END AS write_id,
             CASE WHEN kind = 'record' THEN row_number() OVER by_record END AS version,
             CASE WHEN kind = 'record' THEN first_value(received_at) OVER by_record END AS created_at
      FROM named n
      WINDOW by_record AS (PARTITION BY record_id ORDER BY received_at, d, q)
    )
    SELECT *, 'ses-' || device_id || '-' || (q - 1) / ${scale.entriesPerSession} AS session_id,
           (kind = 'record' AND record_type = 'billingLine' AND version > 1 AND write_id % ${scale.reviewEvery} = 0) AS review
    FROM numbered ORDER BY d, q`;
}

/**
 * The fleet as the fleet page finds it: most devices heard from in the last quarter hour; one in
 * 25 silent for 9 h, one in 20 with a queue stuck for 1.5 h, one in 50 with rejected entries, the
 * clocks 7 minutes ahead, two chains flagged, two devices revoked. Each device's acknowledged
 * chain ends at its last entry.
 */
function devicesStatement(scale: Scale, now: number, t0: number): string {
  return `
    INSERT INTO devices (id, site_id, kind, label, public_key, credential_hash, enrolled_at, revoked_at, flagged, chain_seq, chain_head,
                         chain_session, anchored_time, last_seen_at, health_reported_at, app_version, pending_entries, failed_entries,
                         oldest_pending_age_ms, clock_offset_ms)
    SELECT device_id, site_id, CASE WHEN d % 5 = 4 THEN 'kiosk' ELSE 'cab' END,
           CASE WHEN d % 5 = 4 THEN 'Gate kiosk ' ELSE 'Truck ' END || (d + 1),
           pg_temp.hex64('public key ' || device_id), pg_temp.hex64('credential ' || device_id), ${t0 - DAY_MS},
           CASE WHEN d % 167 = 166 THEN ${now - 3 * DAY_MS} END, d % 250 = 123, q, pg_temp.hex64(device_id || ':' || q), NULL, t,
           last_seen, last_seen, CASE WHEN d % 3 = 0 THEN '1.8.2' ELSE '1.9.0' END,
           CASE WHEN d % 20 = 5 THEN 40 + d % 30 ELSE 0 END, CASE WHEN d % 50 = 17 THEN 2 ELSE 0 END,
           CASE WHEN d % 20 = 5 THEN ${Math.round(1.5 * HOUR_MS)} END, clock_offset
    FROM (SELECT p.*, CASE WHEN d % 25 = 3 THEN ${now - 9 * HOUR_MS} - d * 1000 ELSE ${now} - (d * 7919) % 900000 END AS last_seen
          FROM plan p WHERE q = ${scale.entriesPerDevice}) last`;
}

/**
 * What a create writes: every field, as its ops and as its decisions. A subquery in the CASE
 * rather than a function (SQL functions holding a subquery are not inlined, and calling one per
 * row costs more than the rest of the row), run only for the creates.
 */
const CREATED_FIELDS = `jsonb_each(pg_temp.record_fields(record_type, i, site_id, 1, created_at))`;
const CREATE_OPS = `(SELECT '[' || string_agg('{"field":"' || key || '","op":"set","value":' || value::text || '}', ',') || ']' FROM ${CREATED_FIELDS})`;
const CREATE_DECISIONS = `(SELECT jsonb_agg(jsonb_build_object('field', key, 'op', 'set', 'outcome', 'applied', 'written', value, 'before', NULL, 'after', value)) FROM ${CREATED_FIELDS})`;

const HLC = `lpad(device_time::text, 15, '0') || ':' || lpad((q % 1000)::text, 6, '0')`;

/** Bodies as compact JSON with keys in order, the canonical form's shape (values inside a create's objects as jsonb prints them). */
const JOURNAL_STATEMENT = `
  INSERT INTO journal_entries (device_id, seq, kind, hash, prev_hash, signature, body, session_id, operator_id, record_type, record_id,
                               device_time, received_at, gap_ms, clock_offset_ms, effective_time, skew_flagged, result)
  SELECT device_id, q, kind, hash, prev_hash, pg_temp.signature(hash, prev_hash),
         CASE WHEN kind = 'record' THEN
           '{"action":"' || CASE WHEN version = 1 THEN 'create' ELSE 'update' END || '","baseVersion":' || CASE WHEN version = 1 THEN 'null' ELSE (version - 1)::text END
           || ',"deviceId":"' || device_id || '","deviceTime":' || device_time || ',"hlc":"' || ${HLC} || '","kind":"record","operatorId":"' || operator_id
           || '","ops":' || CASE WHEN version = 1 THEN ${CREATE_OPS} ELSE pg_temp.edit_ops(record_type, i, version) END || ',"prevHash":"' || prev_hash || '","recordId":"' || record_id
           || '","recordType":"' || record_type || '","seq":' || q || ',"sessionId":"' || session_id || '","v":1}'
         ELSE
           '{"certificate":{"certificate":{"deviceId":"' || device_id || '","firstSeq":' || q || ',"operatorId":"' || operator_id || '","prevChainHead":"'
           || prev_hash || '","sessionId":"' || session_id || '","sessionPublicKey":"' || pg_temp.hex64('session key ' || session_id) || '","startedAt":'
           || device_time || ',"v":1},"signature":"' || pg_temp.signature(pg_temp.hex64('session key ' || session_id), hash) || '"},"deviceId":"' || device_id || '","deviceTime":'
           || device_time || ',"hlc":"' || ${HLC} || '","kind":"session.open","operatorId":"' || operator_id || '","prevHash":"' || prev_hash
           || '","seq":' || q || ',"sessionId":"' || session_id || '","v":1}'
         END,
         session_id, operator_id, record_type, record_id, device_time, received_at, received_at - device_time, clock_offset, t, false,
         jsonb_build_object('seq', q, 'hash', hash, 'outcome', CASE WHEN review THEN 'conflict' ELSE 'accepted' END, 'acknowledged', true)
           || CASE WHEN kind = 'record' THEN jsonb_build_object('record', jsonb_build_object('type', record_type, 'id', record_id, 'version', version)) ELSE '{}'::jsonb END
  -- OFFSET 0 keeps the subquery whole, so each entry's hashes are computed once, not once per use.
  FROM (SELECT plan.*, pg_temp.hex64(device_id || ':' || q) AS hash,
               CASE WHEN q = 1 THEN repeat('0', 64) ELSE pg_temp.hex64(device_id || ':' || (q - 1)) END AS prev_hash
        FROM plan OFFSET 0) plan`;

const RECORD_WRITES_STATEMENT = `
  INSERT INTO record_writes (id, record_type, record_id, origin, action, operator_id, user_id, device_id, seq, device_time, received_at, gap_ms,
                             effective_time, skew_flagged, outcome, reason, message, decisions, version_after)
  SELECT write_id, record_type, record_id, 'field', CASE WHEN version = 1 THEN 'create' ELSE 'update' END, operator_id, NULL, device_id, q,
         device_time, received_at, received_at - device_time, t, false, CASE WHEN review THEN 'conflict' ELSE 'accepted' END, NULL,
         CASE WHEN review THEN 'quantity: a reviewer decides which version stays' END,
         CASE WHEN version = 1 THEN ${CREATE_DECISIONS} ELSE pg_temp.edit_decisions(record_type, i, version, review) END, version
  FROM plan WHERE kind = 'record' ORDER BY write_id`;

/**
 * The review items of the conflicting writes, the newest openReviewItems still open; each
 * resolved one decided by the reviewer two hours later, keeping the quantity in place, through
 * an office write numbered after every device write.
 */
function reviewStatements(scale: Scale): Statement[] {
  const lastDeviceWrite = `(SELECT max(write_id) FROM plan)`;
  return [
    sql(`
      INSERT INTO review_items (id, record_type, record_id, field, key, write_id, current_value, proposed_value, reason, status, created_at)
      SELECT n, record_type, record_id, 'quantity', NULL, write_id, pg_temp.edited_value(record_type, i, version - 1), pg_temp.edited_value(record_type, i, version),
             'quantity was changed concurrently by ' || operator_id || ' on ' || device_id || '; a reviewer decides which version stays',
             CASE WHEN n > total - ${scale.openReviewItems} THEN 'open' ELSE 'resolved' END, received_at
      FROM (SELECT p.*, row_number() OVER (ORDER BY write_id) AS n, count(*) OVER () AS total FROM plan p WHERE review) conflicts`),
    sql(
      `INSERT INTO record_writes (id, record_type, record_id, origin, action, operator_id, user_id, device_id, seq, device_time, received_at, gap_ms,
                                  effective_time, skew_flagged, outcome, reason, message, decisions, version_after)
       SELECT ${lastDeviceWrite} + id, record_type, record_id, 'office', 'update', NULL, $1, NULL, NULL, NULL, created_at + ${DECIDED_AFTER_MS}, NULL,
              created_at + ${DECIDED_AFTER_MS}, false, 'accepted', NULL, NULL,
              jsonb_build_array(jsonb_build_object('field', field, 'op', 'set', 'outcome', 'applied', 'written', current_value, 'before', current_value, 'after', current_value)),
              NULL
       FROM review_items WHERE status = 'resolved' ORDER BY id`,
      [REVIEWER_ID],
    ),
    sql(
      `INSERT INTO review_decisions (review_item_id, choice, value, reason, user_id, write_id, decided_at)
       SELECT id, 'current', current_value, 'Checked against the signed parts invoice', $1, ${lastDeviceWrite} + id, created_at + ${DECIDED_AFTER_MS}
       FROM review_items WHERE status = 'resolved'`,
      [REVIEWER_ID],
    ),
  ];
}

/**
 * Each record at its last version, seen by its home yard (and one work order in seven by the
 * next yard too: assigned to an operator there), pending review while an item of it is open.
 * Every field is stamped with the last write: maps and sets keep no per-member stamps here
 * (no endpoint measured reads field states beyond decoding them).
 */
function recordsStatement(scale: Scale): string {
  return `
  INSERT INTO records (type, id, site_id, audience, version, fields, field_states, tombstone, deleted, pending_review, created_at, updated_at)
  SELECT record_type, record_id, site_id,
         CASE WHEN record_type = 'workOrder' AND i % 7 = 0 THEN ARRAY[site_id, 'site-' || lpad(((s + 1) % ${scale.sites} + 1)::text, 2, '0')] ELSE ARRAY[site_id] END,
         version, fields,
         jsonb_build_object('stamps', jsonb_build_array(jsonb_build_array(version, t, received_at, 'field', operator_id, device_id, q)),
                            'fields', (SELECT jsonb_object_agg(key, jsonb_build_array(0, value)) FROM jsonb_each(fields))),
         NULL, false,
         EXISTS (SELECT 1 FROM review_items r WHERE r.record_type = last.record_type AND r.record_id = last.record_id AND r.status = 'open'),
         created_at, received_at
  FROM (SELECT DISTINCT ON (record_id) * FROM plan WHERE kind = 'record' ORDER BY record_id, version DESC) last,
       LATERAL (SELECT pg_temp.record_fields(record_type, i, site_id, version, created_at) AS fields) made`;
}

const RECORD_VERSIONS_STATEMENT = `
  INSERT INTO record_versions (type, id, version, fields, deleted, pending_review, write_id, created_at)
  SELECT record_type, record_id, version, pg_temp.record_fields(record_type, i, site_id, version, created_at), false, review, write_id, received_at
  FROM plan WHERE kind = 'record'`;
