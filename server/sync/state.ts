import { type RecordTypeSpec, recordTypeSpec } from '../../protocol/records/index.js';
import { type StateLeaf, type StateSummary, bucketLeaves, outsideWindow, recordStateLeaf, normalizedFields, summarizeState } from '../../protocol/state-hash.js';
import { clientKnowsField, type StateBucketsRequest, type StateRequest } from '../../protocol/wire.js';
import type { OfficeDb } from '../db/connect.js';
import { recordKey } from '../db/queries/records.js';
import { readScopePage, type ScopeRecord } from '../db/queries/state.js';
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
  let after: ScopeRecord | null = null;
  for (let pages = 0; pages < MAX_SCOPE_PAGES; pages++) {
    const page: ScopeRecord[] = await readScopePage(db, siteId, after, SCOPE_PAGE);
    for (const record of page) {
      if (excluded.has(recordKey(record.type, record.id))) continue;
      const leaf = leafFor(record, request);
      if (leaf) leaves.push(leaf);
    }
    after = page.at(-1) ?? null;
    if (page.length < SCOPE_PAGE) return leaves;
  }
  throw new Error(`site ${siteId} has more than ${MAX_SCOPE_PAGES * SCOPE_PAGE} records in scope; its state cannot be hashed in one request`);
}

/** The record's leaf as the client sees it; null for a type it cannot know or a record it evicts. */
function leafFor(record: ScopeRecord, request: StateRequest): StateLeaf | null {
  const spec: RecordTypeSpec | undefined = recordTypeSpec(record.type);
  if (!spec) return null;
  const knows = (field: string) => clientKnowsField(request.schemaVersion, record.type, field);
  const canonical = canonicalFor(record, request.schemaVersion);
  if (outsideWindow(record.type, normalizedFields(spec, canonical.fields, knows), request.closedBefore)) return null;
  return recordStateLeaf(spec, canonical, knows);
}
