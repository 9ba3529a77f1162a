import { type RecordTypeSpec, recordTypeSpec } from '../../protocol/records/index.js';
import { type StateLeaf, type StateSummary, bucketLeaves, closedAt, closedOutsideWindow, recordStateLeaf, normalizedFields, summarizeState } from '../../protocol/state-hash.js';
import { clientKnowsField, type StateBucketsRequest, type StateRequest } from '../../protocol/wire.js';
import type { OfficeDb } from '../db/connect.js';
import { findRecords, type RecordKey, recordKey } from '../db/queries/records.js';
import { readScopePage, type ScopeRecord, type ScopeRecordVersion } from '../db/queries/state.js';
import { canonicalFor } from './canonical.js';

/** Records read per statement while hashing a scope. */
const SCOPE_PAGE = 1_000;
/** Ten million records: far beyond any site's scope; the bound only keeps a loop from running away. */
const MAX_SCOPE_PAGES = 10_000;

/**
 * The state hash of what a device should hold: the records of its site's scope as its schema
 * sees them, less what it excluded (its unsent work) and what it evicts (closed before the
 * window). The cost is one pass over the scope, a page at a time.
 */
export async function scopeState(db: OfficeDb, siteId: string, request: StateRequest): Promise<StateSummary> {
  return summarizeState(await scopeLeaves(db, siteId, request));
}

export async function scopeBuckets(db: OfficeDb, siteId: string, request: StateBucketsRequest): Promise<StateLeaf[]> {
  return bucketLeaves(await scopeLeaves(db, siteId, request), request.buckets);
}

async function scopeLeaves(db: OfficeDb, siteId: string, request: StateRequest): Promise<StateLeaf[]> {
  const excluded = new Set(request.exclude.map((key) => recordKey(key.type, key.id)));
  const leaves: StateLeaf[] = [];
  let after: RecordKey | null = null;
  for (let pages = 0; pages < MAX_SCOPE_PAGES; pages++) {
    const page: ScopeRecordVersion[] = await readScopePage(db, siteId, after, SCOPE_PAGE);
    const wanted = page.filter((record) => !excluded.has(recordKey(record.type, record.id)));
    for (const known of await knownLeaves(db, wanted, request.schemaVersion)) {
      if (known && !closedOutsideWindow(known.closedAt, request.closedBefore)) leaves.push(known.leaf);
    }
    after = page.at(-1) ?? null;
    if (page.length < SCOPE_PAGE) return leaves;
  }
  throw new Error(`site ${siteId} has more than ${MAX_SCOPE_PAGES * SCOPE_PAGE} records in scope; its state cannot be hashed in one request`);
}

/** A record state's leaf as one client schema sees it, and when the record closed (for the window). */
interface KnownLeaf {
  leaf: StateLeaf;
  closedAt: number | null;
}

/**
 * Leaves by record state. A record's leaf depends only on its version (every change of its fields,
 * deletion or review flag makes a new one) and the client's schema, so it is computed once per
 * version and schema: a fleet of devices checking the same site after a sync costs the records
 * that changed, not the whole scope per device. One cache per database; bounded, the oldest go first.
 */
const leafCaches = new WeakMap<OfficeDb, Map<string, KnownLeaf | null>>();
const LEAF_CACHE_ENTRIES = 200_000;

function leafCacheOf(db: OfficeDb): Map<string, KnownLeaf | null> {
  let cache = leafCaches.get(db);
  if (!cache) leafCaches.set(db, (cache = new Map()));
  return cache;
}

function leafCacheKey(record: ScopeRecordVersion, schemaVersion: number): string {
  return `${schemaVersion}\u0000${record.type}\u0000${record.id}\u0000${record.version}\u0000${record.deleted ? 1 : 0}${record.pendingReview ? 1 : 0}`;
}

/** The leaves of `page`, in its order; the fields are read only for states not seen before. */
async function knownLeaves(db: OfficeDb, page: readonly ScopeRecordVersion[], schemaVersion: number): Promise<(KnownLeaf | null)[]> {
  const cache = leafCacheOf(db);
  const keys = page.map((record) => leafCacheKey(record, schemaVersion));
  const missing = page.filter((_, i) => !cache.has(keys[i]!));
  const loaded = missing.length > 0 ? await findRecords(db, missing) : new Map<string, ScopeRecord>();
  return page.map((record, i) => {
    const key = keys[i]!;
    if (cache.has(key)) return cache.get(key)!;
    // Changed since the page was read: the newer state is the one to answer with, cached under its own key.
    const full = loaded.get(recordKey(record.type, record.id));
    if (!full) return null;
    const known = leafFor(full, schemaVersion);
    if (cache.size >= LEAF_CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
    cache.set(leafCacheKey(full, schemaVersion), known);
    return known;
  });
}

/** The record's leaf as the client sees it; null for a type it cannot know. */
function leafFor(record: ScopeRecord, schemaVersion: number): KnownLeaf | null {
  const spec: RecordTypeSpec | undefined = recordTypeSpec(record.type);
  if (!spec) return null;
  const knows = (field: string) => clientKnowsField(schemaVersion, record.type, field);
  const canonical = canonicalFor(record, schemaVersion);
  return { leaf: recordStateLeaf(spec, canonical, knows), closedAt: closedAt(record.type, normalizedFields(spec, canonical.fields, knows)) };
}
