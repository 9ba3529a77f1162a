import { CanonicalEncodingError, canonicalize } from '../canonical.js';
import { sha256Hex } from '../crypto/hash.js';
import type { JournalEntry } from '../journal.js';

/**
 * How a push carries its entries. Hashes are what gzip cannot shrink: a per-answer inspection entry
 * compresses to ~140 bytes, of which the entry's hash and the previous entry's hash were ~70. Both
 * can be left out, since the office computes every entry's hash from its body (it must, to check
 * it) and an entry's previous hash is the hash of the entry before it. So a device sends each entry
 * without its hash, and each after the first of a push without its previous hash; the first keeps
 * it, so that the office still sees which chain head the batch claims to follow (a fork).
 *
 * The office takes full entries too (older apps, tools), one by one: an entry with a hash is read as
 * it came, and the entry after it links to that hash.
 */
export type LinkedEntry = { body: Omit<JournalEntry['body'], 'prevHash'> & { prevHash?: string }; signature: string };

export function linkEntries(entries: readonly JournalEntry[]): LinkedEntry[] {
  return entries.map(({ body, signature }, i) => {
    if (i === 0 || body.prevHash !== entries[i - 1]!.hash) return { body, signature };
    const { prevHash: _linked, ...rest } = body;
    return { body: rest, signature };
  });
}

/**
 * The entries of a push as full entries: a linked entry gets the previous entry's hash (when its
 * body has none) and its own, computed from its canonical body. What cannot be made whole (no body,
 * a body with no canonical encoding) is passed on as it came, for the office to refuse by itself.
 */
export function unlinkEntries(raw: readonly unknown[]): unknown[] {
  let previousHash: string | null = null;
  return raw.map((candidate) => {
    const entry = candidate as { body?: unknown; hash?: unknown };
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      previousHash = null;
      return candidate;
    }
    if ('hash' in entry) {
      previousHash = typeof entry.hash === 'string' ? entry.hash : null;
      return candidate;
    }
    const body = entry.body as Record<string, unknown> | undefined;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      previousHash = null;
      return candidate;
    }
    const whole = 'prevHash' in body || previousHash === null ? body : { ...body, prevHash: previousHash };
    previousHash = hashOf(whole);
    return previousHash === null ? { ...entry, body: whole } : { ...entry, body: whole, hash: previousHash };
  });
}

function hashOf(body: unknown): string | null {
  try {
    return sha256Hex(canonicalize(body));
  } catch (error) {
    if (error instanceof CanonicalEncodingError) return null;
    throw error;
  }
}
