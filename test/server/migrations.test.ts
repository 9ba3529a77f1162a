import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_MIGRATIONS_FOLDER, type OfficeDatabase, openDatabase } from '../../server/db/connect.js';
import { uncertifiedDefectiveInspections } from '../../server/db/queries/maintenance.js';
import { tempDir } from '../support/device.js';
import { dropSchema } from '../support/server.js';

/**
 * Office migrations upgrading a database that already holds rows: the database is brought to the
 * migration before the one under test with a copy of server/db/migrations whose journal stops
 * there, filled with rows as the office of that day wrote them, then migrated to the end.
 * Runs on Postgres when DATABASE_URL is set, else on PGlite.
 */
interface Journal {
  entries: { tag: string }[];
}

function readJournal(folder: string): Journal {
  return JSON.parse(readFileSync(join(folder, 'meta', '_journal.json'), 'utf8')) as Journal;
}

const TAGS = readJournal(DEFAULT_MIGRATIONS_FOLDER).entries.map((entry) => entry.tag);

function migrationsThrough(lastTag: string): string {
  const count = TAGS.indexOf(lastTag) + 1;
  if (count === 0) throw new Error(`no office migration named ${lastTag}`);
  const folder = join(tempDir('waypost-office-migrations-'), 'migrations');
  cpSync(DEFAULT_MIGRATIONS_FOLDER, folder, { recursive: true });
  const journal = readJournal(folder);
  writeFileSync(join(folder, 'meta', '_journal.json'), JSON.stringify({ ...journal, entries: journal.entries.slice(0, count) }));
  return folder;
}

let opened: { database: OfficeDatabase; schema: string } | null = null;
let counter = 0;

async function openFresh(): Promise<OfficeDatabase> {
  const schema = `migr_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const database = await openDatabase({ url: process.env.DATABASE_URL || undefined, schema, poolSize: 2 });
  opened = { database, schema };
  return database;
}

afterEach(async () => {
  if (!opened) return;
  await opened.database.close();
  if (process.env.DATABASE_URL) await dropSchema(process.env.DATABASE_URL, opened.schema);
  opened = null;
});

async function rows<T>(database: OfficeDatabase, query: string): Promise<T[]> {
  return ((await database.db.execute(sql.raw(query))) as unknown as { rows: T[] }).rows;
}

/** The organisation and site every upgraded row hangs from. */
async function insertNorthYard(database: OfficeDatabase): Promise<void> {
  await database.db.execute(sql`INSERT INTO organisations (id, name, created_at) VALUES ('org-1', 'Harbor Haulage', 1)`);
  await database.db.execute(sql`INSERT INTO sites (id, organisation_id, name, created_at) VALUES ('site-north', 'org-1', 'North yard', 2)`);
}

/** A cab enrolled at the north yard, with the columns every migration's devices table has. */
async function insertCab7(database: OfficeDatabase): Promise<void> {
  await database.db.execute(sql`
    INSERT INTO devices (id, site_id, kind, label, public_key, credential_hash, enrolled_at, chain_seq, chain_head)
    VALUES ('cab-7', 'site-north', 'cab', 'Cab 7', ${'ab'.repeat(32)}, 'credential-hash', 4, 12, ${'cd'.repeat(32)})`);
}

/** Which test covers each migration: a new migration without a case here fails the guard below. */
const COVERED = ['0003_site_pin_policy_anchored_time', '0004_attachment_chunks', '0005_records_audience_index', '0006_console_sign_in', '0007_device_health', '0008_reported_defects_indexes', '0009_device_reports', '0010_device_versions_and_sync_times', '0011_attachments_unfinished_index', '0012_changes_record_index', '0013_update_rollouts'];

describe('office migrations', () => {
  it('each migration after the first three has an upgrade test with real rows', () => {
    expect(TAGS.slice(3)).toEqual(COVERED);
  });

  it('0003 gives existing sites the 4-digit PIN minimum and existing devices no anchored time yet, keeping every row', async () => {
    const database = await openFresh();
    await database.migrate(migrationsThrough('0002_review_attachments'));
    await database.db.execute(sql`INSERT INTO organisations (id, name, created_at) VALUES ('org-1', 'Harbor Haulage', 1)`);
    await database.db.execute(sql`INSERT INTO sites (id, organisation_id, name, created_at) VALUES ('site-north', 'org-1', 'North yard', 2), ('site-south', 'org-1', 'South yard', 3)`);
    await insertCab7(database);

    await database.migrate();

    expect(await rows(database, 'SELECT id, name, pin_min_length FROM sites ORDER BY id')).toEqual([
      { id: 'site-north', name: 'North yard', pin_min_length: 4 },
      { id: 'site-south', name: 'South yard', pin_min_length: 4 },
    ]);
    expect(await rows(database, 'SELECT id, label, chain_seq, chain_head, anchored_time FROM devices')).toEqual([
      { id: 'cab-7', label: 'Cab 7', chain_seq: 12, chain_head: 'cd'.repeat(32), anchored_time: null },
    ]);
  });

  it('0004 keeps the attachments the office knew and their uploads under way, and gives their bytes a table every instance reads', async () => {
    const database = await openFresh();
    await database.migrate(migrationsThrough('0003_site_pin_policy_anchored_time'));
    await database.db.execute(sql`INSERT INTO organisations (id, name, created_at) VALUES ('org-1', 'Harbor Haulage', 1)`);
    await database.db.execute(sql`INSERT INTO sites (id, organisation_id, name, created_at, pin_min_length) VALUES ('site-north', 'org-1', 'North yard', 2, 6)`);
    await insertCab7(database);
    await database.db.execute(sql`
      INSERT INTO attachments (organisation_id, sha256, size, mime_type, uploader_device_id, created_at, stored_at)
      VALUES ('org-1', ${'01'.repeat(32)}, 2048, 'image/jpeg', 'cab-7', 10, 20), ('org-1', ${'02'.repeat(32)}, 4096, 'image/png', 'cab-7', 30, NULL)`);

    await database.migrate();

    expect(await rows(database, 'SELECT sha256, size::int AS size, mime_type, uploader_device_id, stored_at::int AS stored_at FROM attachments ORDER BY sha256')).toEqual([
      { sha256: '01'.repeat(32), size: 2048, mime_type: 'image/jpeg', uploader_device_id: 'cab-7', stored_at: 20 },
      { sha256: '02'.repeat(32), size: 4096, mime_type: 'image/png', uploader_device_id: 'cab-7', stored_at: null },
    ]);
    // The new table starts empty and keeps bytes exactly, out of line and uncompressed.
    expect(await rows(database, 'SELECT count(*)::int AS n FROM attachment_chunks')).toEqual([{ n: 0 }]);
    await database.db.execute(sql`INSERT INTO attachment_chunks (stored, name, byte_offset, bytes) VALUES (false, ${'03'.repeat(32)}, 0, decode('00ff10', 'hex'))`);
    expect(await rows(database, "SELECT encode(bytes, 'hex') AS hex FROM attachment_chunks")).toEqual([{ hex: '00ff10' }]);
    expect(await rows(database, "SELECT attstorage FROM pg_attribute WHERE attrelid = 'attachment_chunks'::regclass AND attname = 'bytes'")).toEqual([{ attstorage: 'e' }]);
  });

  it('0005 indexes the records by the sites that see them, keeping every record, and finds a site\'s records by it', async () => {
    const database = await openFresh();
    await database.migrate(migrationsThrough('0004_attachment_chunks'));
    const record = (id: string, audience: string) =>
      sql`INSERT INTO records (type, id, site_id, audience, version, fields, field_states, deleted, pending_review, created_at, updated_at)
          VALUES ('note', ${id}, 'site-north', ${audience}::text[], 1, '{"body":"x"}', '{}', false, false, 1, 1)`;
    await database.db.execute(record('note-north', '{site-north}'));
    await database.db.execute(record('note-both', '{site-north,site-south}'));
    await database.db.execute(record('note-south', '{site-south}'));

    await database.migrate();

    expect(await rows(database, 'SELECT id, audience FROM records ORDER BY id')).toEqual([
      { id: 'note-both', audience: ['site-north', 'site-south'] },
      { id: 'note-north', audience: ['site-north'] },
      { id: 'note-south', audience: ['site-south'] },
    ]);
    expect(await rows(database, "SELECT indexdef FROM pg_indexes WHERE indexname = 'records_audience_idx' AND schemaname = current_schema()")).toEqual([
      { indexdef: expect.stringMatching(/USING gin \(audience\)/) },
    ]);
    expect(await rows(database, "SELECT id FROM records WHERE audience @> ARRAY['site-south']::text[] ORDER BY id")).toEqual([{ id: 'note-both' }, { id: 'note-south' }]);
  });

  it('0006 keeps every office user and their API token, without a console password until one is set, and takes the five roles only', async () => {
    const database = await openFresh();
    await database.migrate(migrationsThrough('0005_records_audience_index'));
    await database.db.execute(sql`INSERT INTO organisations (id, name, created_at) VALUES ('org-1', 'Harbor Haulage', 1)`);
    await database.db.execute(sql`
      INSERT INTO office_users (id, organisation_id, name, role, token_hash, created_at, revoked_at)
      VALUES ('user-admin', NULL, 'Bootstrap admin', 'admin', 'hash-a', 2, NULL), ('user-dora', 'org-1', 'Dora', 'dispatcher', 'hash-d', 3, NULL),
             ('user-rita', 'org-1', 'Rita', 'reviewer', 'hash-r', 4, 5)`);

    await database.migrate();

    expect(await rows(database, 'SELECT id, organisation_id, role, token_hash, revoked_at::int AS revoked_at, email, password_hash FROM office_users ORDER BY id')).toEqual([
      { id: 'user-admin', organisation_id: null, role: 'admin', token_hash: 'hash-a', revoked_at: null, email: null, password_hash: null },
      { id: 'user-dora', organisation_id: 'org-1', role: 'dispatcher', token_hash: 'hash-d', revoked_at: null, email: null, password_hash: null },
      { id: 'user-rita', organisation_id: 'org-1', role: 'reviewer', token_hash: 'hash-r', revoked_at: 5, email: null, password_hash: null },
    ]);
    await database.db.execute(sql`
      INSERT INTO office_users (id, organisation_id, name, role, token_hash, created_at, email)
      VALUES ('user-aud', 'org-1', 'Aud', 'auditor', 'hash-x', 6, 'aud@example.com'), ('user-max', 'org-1', 'Max', 'maintenance', 'hash-m', 7, NULL)`);
    await expect(database.db.execute(sql`INSERT INTO office_users (id, organisation_id, name, role, token_hash, created_at) VALUES ('user-x', 'org-1', 'X', 'superuser', 'hash-z', 8)`)).rejects.toThrow();
    await expect(database.db.execute(sql`INSERT INTO office_users (id, organisation_id, name, role, token_hash, created_at, email) VALUES ('user-y', 'org-1', 'Y', 'auditor', 'hash-y', 9, 'aud@example.com')`)).rejects.toThrow();
    // Sign-in attempts are evidence: kept as written.
    await database.db.execute(sql`INSERT INTO console_sign_in_attempts (at, login, user_id, address, outcome, failed_attempts, paused_for_ms) VALUES (10, 'aud@example.com', 'user-aud', '127.0.0.1', 'refused', 1, 0)`);
    const appendOnly = { cause: expect.objectContaining({ message: 'console_sign_in_attempts is append-only' }) };
    await expect(database.db.execute(sql`UPDATE console_sign_in_attempts SET outcome = 'signed-in'`)).rejects.toMatchObject(appendOnly);
    await expect(database.db.execute(sql`DELETE FROM console_sign_in_attempts`)).rejects.toMatchObject(appendOnly);
    expect(await rows(database, 'SELECT login, outcome FROM console_sign_in_attempts')).toEqual([{ login: 'aud@example.com', outcome: 'refused' }]);
  });

  it('0007 keeps every device with no health told yet and no clock correction, and takes what a device tells', async () => {
    const database = await openFresh();
    await database.migrate(migrationsThrough('0006_console_sign_in'));
    await insertNorthYard(database);
    await database.db.execute(sql`
      INSERT INTO devices (id, site_id, kind, label, public_key, credential_hash, enrolled_at, chain_seq, chain_head, last_seen_at)
      VALUES ('cab-7', 'site-north', 'cab', 'Cab 7', ${'ab'.repeat(32)}, 'credential-hash', 4, 12, ${'cd'.repeat(32)}, 40)`);

    await database.migrate();

    const columns = 'id, chain_seq, last_seen_at::int AS last_seen_at, health_reported_at, app_version, pending_entries, failed_entries, oldest_pending_age_ms, clock_offset_ms';
    expect(await rows(database, `SELECT ${columns} FROM devices`)).toEqual([
      { id: 'cab-7', chain_seq: 12, last_seen_at: 40, health_reported_at: null, app_version: null, pending_entries: null, failed_entries: null, oldest_pending_age_ms: null, clock_offset_ms: null },
    ]);
    await database.db.execute(sql`UPDATE devices SET health_reported_at = 50, app_version = '0.4.2', pending_entries = 3, failed_entries = 1, oldest_pending_age_ms = 7200000, clock_offset_ms = -4000`);
    expect(await rows(database, 'SELECT app_version, pending_entries, failed_entries, oldest_pending_age_ms::int AS age, clock_offset_ms::int AS offset FROM devices')).toEqual([
      { app_version: '0.4.2', pending_entries: 3, failed_entries: 1, age: 7_200_000, offset: -4000 },
    ]);
  });

  it('0008 indexes the inspections that report defects and the certifications by inspection, keeping every record, and the maintenance queue reads them', async () => {
    const database = await openFresh();
    await database.migrate(migrationsThrough('0007_device_health'));
    await insertNorthYard(database);
    const record = (type: string, id: string, fields: object) =>
      sql`INSERT INTO records (type, id, site_id, audience, version, fields, field_states, deleted, pending_review, created_at, updated_at)
          VALUES (${type}, ${id}, 'site-north', '{site-north}'::text[], 1, ${JSON.stringify(fields)}::jsonb, '{}', false, false, 1, 1)`;
    const brakesFailed = { 'service-brakes': { result: 'fail', note: 'chamber leaks' }, horn: { result: 'pass' } };
    await database.db.execute(record('inspection', 'insp-brakes', { templateId: 'dvir-power-unit', equipmentNumber: 'TRK-104', status: 'submitted', submittedAt: 10, items: brakesFailed, defects: [] }));
    await database.db.execute(record('inspection', 'insp-wiper', { templateId: 'dvir-power-unit', equipmentNumber: 'trk-200', status: 'submitted', submittedAt: 20, items: {}, defects: ['wiper torn'] }));
    await database.db.execute(record('inspection', 'insp-clean', { templateId: 'dvir-power-unit', equipmentNumber: 'TRK-300', status: 'submitted', submittedAt: 30, items: { horn: { result: 'pass' } }, defects: [] }));
    await database.db.execute(record('inspection', 'insp-draft', { templateId: 'dvir-power-unit', equipmentNumber: 'TRK-400', status: 'draft', items: brakesFailed, defects: [] }));
    await database.db.execute(record('repairCertification', 'repairs-1', { inspectionId: 'insp-wiper', equipmentNumber: 'TRK-200', mechanicName: 'Max', certifiedAt: 40 }));

    await database.migrate();

    expect(await rows(database, 'SELECT type, id FROM records ORDER BY id')).toEqual([
      { type: 'inspection', id: 'insp-brakes' },
      { type: 'inspection', id: 'insp-clean' },
      { type: 'inspection', id: 'insp-draft' },
      { type: 'inspection', id: 'insp-wiper' },
      { type: 'repairCertification', id: 'repairs-1' },
    ]);
    expect(await rows(database, "SELECT indexname FROM pg_indexes WHERE indexname IN ('records_reported_defects_idx', 'records_certified_inspection_idx') AND schemaname = current_schema() ORDER BY 1")).toEqual([
      { indexname: 'records_certified_inspection_idx' },
      { indexname: 'records_reported_defects_idx' },
    ]);
    const open = await uncertifiedDefectiveInspections(database.db, { organisationId: 'org-1', limit: 10 });
    expect(open.map((inspection) => inspection.id)).toEqual(['insp-brakes']);
    expect((await uncertifiedDefectiveInspections(database.db, { organisationId: 'org-1', units: ['trk-104 '], limit: 10 })).map((inspection) => inspection.id)).toEqual(['insp-brakes']);
  });

  it('0009 keeps every device and what it last told, with no history yet, and then keeps reports of the devices it has', async () => {
    const database = await openFresh();
    await database.migrate(migrationsThrough('0008_reported_defects_indexes'));
    await insertNorthYard(database);
    await database.db.execute(sql`
      INSERT INTO devices (id, site_id, kind, label, public_key, credential_hash, enrolled_at, chain_seq, chain_head, last_seen_at, health_reported_at, pending_entries, failed_entries)
      VALUES ('cab-7', 'site-north', 'cab', 'Cab 7', ${'ab'.repeat(32)}, 'credential-hash', 4, 12, ${'cd'.repeat(32)}, 40, 40, 3, 0)`);

    await database.migrate();

    expect(await rows(database, 'SELECT id, pending_entries, failed_entries, health_reported_at::int AS reported FROM devices')).toEqual([{ id: 'cab-7', pending_entries: 3, failed_entries: 0, reported: 40 }]);
    expect(await rows(database, 'SELECT count(*)::int AS n FROM device_reports')).toEqual([{ n: 0 }]);
    await database.db.execute(sql`INSERT INTO device_reports (device_id, reported_at, pending_entries, failed_entries, oldest_pending_age_ms, pull_ms) VALUES ('cab-7', 50, 3, 0, 600000, 12)`);
    expect(await rows(database, 'SELECT device_id, pending_entries, pull_ms FROM device_reports')).toEqual([{ device_id: 'cab-7', pending_entries: 3, pull_ms: 12 }]);
    // A report names a device the office has.
    await expect(database.db.execute(sql`INSERT INTO device_reports (device_id, reported_at, pending_entries, failed_entries, pull_ms) VALUES ('cab-unknown', 60, 0, 0, 5)`)).rejects.toThrow();
  });

  it('0010 keeps every device and report, with no schema version or required build yet, and then keeps both and the devices\' link times', async () => {
    const database = await openFresh();
    await database.migrate(migrationsThrough('0009_device_reports'));
    await insertNorthYard(database);
    await database.db.execute(sql`
      INSERT INTO devices (id, site_id, kind, label, public_key, credential_hash, enrolled_at, chain_seq, chain_head, health_reported_at, app_version, pending_entries, failed_entries)
      VALUES ('cab-7', 'site-north', 'cab', 'Cab 7', ${'ab'.repeat(32)}, 'credential-hash', 4, 12, ${'cd'.repeat(32)}, 40, '0.4.2', 3, 0)`);
    await database.db.execute(sql`INSERT INTO device_reports (device_id, reported_at, pending_entries, failed_entries, oldest_pending_age_ms, pull_ms) VALUES ('cab-7', 50, 3, 0, 600000, 12)`);

    await database.migrate();

    expect(await rows(database, 'SELECT id, app_version, pending_entries, schema_version, required_app_version, last_push_ms, last_converged_ms FROM devices')).toEqual([
      { id: 'cab-7', app_version: '0.4.2', pending_entries: 3, schema_version: null, required_app_version: null, last_push_ms: null, last_converged_ms: null },
    ]);
    expect(await rows(database, 'SELECT device_id, pull_ms, push_ms, converged_ms FROM device_reports')).toEqual([{ device_id: 'cab-7', pull_ms: 12, push_ms: null, converged_ms: null }]);
    await database.db.execute(sql`UPDATE devices SET schema_version = 3, required_app_version = '0.5.0' WHERE id = 'cab-7'`);
    await database.db.execute(sql`INSERT INTO device_reports (device_id, reported_at, pending_entries, failed_entries, pull_ms, push_ms, converged_ms) VALUES ('cab-7', 60, 0, 0, 9, 140, 4000)`);
    expect(await rows(database, 'SELECT schema_version, required_app_version FROM devices')).toEqual([{ schema_version: 3, required_app_version: '0.5.0' }]);
    expect(await rows(database, 'SELECT push_ms, converged_ms::int AS converged_ms FROM device_reports WHERE reported_at = 60')).toEqual([{ push_ms: 140, converged_ms: 4000 }]);
  });

  it('0011 keeps every attachment, finished or not, and indexes only the unfinished ones by their device', async () => {
    const database = await openFresh();
    await database.migrate(migrationsThrough('0010_device_versions_and_sync_times'));
    await insertNorthYard(database);
    await insertCab7(database);
    await database.db.execute(sql`
      INSERT INTO attachments (organisation_id, sha256, size, mime_type, uploader_device_id, created_at, stored_at)
      VALUES ('org-1', ${'01'.repeat(32)}, 1000, 'image/jpeg', 'cab-7', 5, 6), ('org-1', ${'02'.repeat(32)}, 2000, 'image/jpeg', 'cab-7', 7, NULL)`);

    await database.migrate();

    expect(await rows(database, 'SELECT sha256, size::int AS size, stored_at::int AS stored_at FROM attachments ORDER BY sha256')).toEqual([
      { sha256: '01'.repeat(32), size: 1000, stored_at: 6 },
      { sha256: '02'.repeat(32), size: 2000, stored_at: null },
    ]);
    expect(await rows(database, "SELECT indexdef FROM pg_indexes WHERE indexname = 'attachments_unfinished_idx' AND schemaname = current_schema()")).toEqual([
      { indexdef: expect.stringMatching(/\(uploader_device_id\) WHERE \(stored_at IS NULL\)/) },
    ]);
  });

  it('0013 keeps the devices and their required builds, and holds one rollout share per release within 0 to 100', async () => {
    const database = await openFresh();
    await database.migrate(migrationsThrough('0012_changes_record_index'));
    await insertNorthYard(database);
    await database.db.execute(sql`
      INSERT INTO devices (id, site_id, kind, label, public_key, credential_hash, enrolled_at, chain_seq, chain_head, required_app_version)
      VALUES ('cab-7', 'site-north', 'cab', 'Cab 7', ${'ab'.repeat(32)}, 'credential-hash', 4, 12, ${'cd'.repeat(32)}, '0.3.0')`);

    await database.migrate();

    expect(await rows(database, 'SELECT id, required_app_version FROM devices')).toEqual([{ id: 'cab-7', required_app_version: '0.3.0' }]);
    await database.db.execute(sql`INSERT INTO update_rollouts (version, percentage, set_at, set_by) VALUES ('0.3.0', 25, 10, 'user-ada')`);
    await expect(database.db.execute(sql`INSERT INTO update_rollouts (version, percentage, set_at, set_by) VALUES ('0.4.0', 101, 11, 'user-ada')`)).rejects.toThrow();
    await expect(database.db.execute(sql`INSERT INTO update_rollouts (version, percentage, set_at, set_by) VALUES ('0.3.0', 50, 12, 'user-ada')`)).rejects.toThrow();
    expect(await rows(database, 'SELECT version, percentage FROM update_rollouts')).toEqual([{ version: '0.3.0', percentage: 25 }]);
  });

  it('0012 keeps the change feed as it was and finds the last version a site was told of by record', async () => {
    const database = await openFresh();
    await database.migrate(migrationsThrough('0011_attachments_unfinished_index'));
    await database.db.execute(sql`
      INSERT INTO changes (id, site_id, kind, record_type, record_id, version, operator_id)
      VALUES (1, 'site-north', 'record', 'workOrder', 'wo-1', 1, NULL), (2, 'site-north', 'operator', NULL, NULL, NULL, 'op-ines'),
             (3, 'site-north', 'record', 'workOrder', 'wo-1', 4, NULL), (3, 'site-south', 'record', 'workOrder', 'wo-1', 4, NULL)`);

    await database.migrate();

    expect(await rows(database, 'SELECT id::int AS id, site_id, kind, record_id, version, operator_id FROM changes ORDER BY site_id, id')).toEqual([
      { id: 1, site_id: 'site-north', kind: 'record', record_id: 'wo-1', version: 1, operator_id: null },
      { id: 2, site_id: 'site-north', kind: 'operator', record_id: null, version: null, operator_id: 'op-ines' },
      { id: 3, site_id: 'site-north', kind: 'record', record_id: 'wo-1', version: 4, operator_id: null },
      { id: 3, site_id: 'site-south', kind: 'record', record_id: 'wo-1', version: 4, operator_id: null },
    ]);
    expect(
      await rows(database, "SELECT version FROM changes WHERE site_id = 'site-north' AND record_type = 'workOrder' AND record_id = 'wo-1' AND id <= 2 ORDER BY id DESC LIMIT 1"),
    ).toEqual([{ version: 1 }]);
    expect(await rows(database, "SELECT indexdef FROM pg_indexes WHERE indexname = 'changes_record_idx' AND schemaname = current_schema()")).toEqual([
      { indexdef: expect.stringMatching(/\(site_id, record_type, record_id, id\)/) },
    ]);
  });
});

