/**
 * The HTTP contract between devices and the office sync service. Client and server both parse
 * with these schemas, so a shape change is made here once.
 *
 * Endpoints (all JSON; bodies limited in size; every error answers with `apiErrorSchema`):
 * - `POST /v1/enroll` (no auth: the one-time token is the credential) → `enrollResponseSchema`
 * - `POST /v1/sync/push` (device bearer credential) → `pushResponseSchema`
 * - `POST /v1/sync/pull` (device bearer credential) → `pullResponseSchema`
 * - `GET  /v1/sync/events` (device bearer credential; Server-Sent Events, see `SYNC_EVENTS`)
 * - `POST /v1/sync/state`, `/v1/sync/state/buckets`, `/v1/sync/records` (device bearer credential; see State check)
 * - `GET  /health` (process alive), `GET /ready` (database reachable and migrated)
 *
 * Device requests authenticate with `Authorization: Bearer <credential>` (the credential returned
 * by enrollment). Requests with a body carry `schemaVersion`; GET requests carry the
 * `SCHEMA_VERSION_HEADER` header. A revoked device gets 403 `device-revoked` on every endpoint.
 */
export * from './wire/versions.js';
export * from './wire/errors.js';
export * from './wire/enrollment.js';
export * from './wire/records.js';
export * from './wire/push.js';
export * from './wire/linked-entries.js';
export * from './wire/health.js';
export * from './wire/pull.js';
export * from './wire/events.js';
export * from './wire/office.js';
export * from './wire/dispatch.js';
export * from './wire/review.js';
export * from './wire/maintenance.js';
export * from './wire/audit.js';
export * from './wire/attachments.js';
export * from './wire/state.js';
export * from './wire/console.js';
export * from './wire/updates.js';
