import { createHash } from 'node:crypto';
import { ZERO_HASH } from './crypto/hash.js';

/**
 * Merkle root over entry hashes, with distinct prefixes for leaves and inner nodes (as in RFC 6962)
 * so that an inner node can never be passed off as a leaf. An odd node is carried up unchanged.
 */
export function merkleRoot(leafHashes: readonly string[]): string {
  if (leafHashes.length === 0) return ZERO_HASH;
  let level = leafHashes.map((hash) => digest(0, Buffer.from(hash, 'hex')));
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const right = level[i + 1];
      next.push(right ? digest(1, level[i]!, right) : level[i]!);
    }
    level = next;
  }
  return level[0]!.toString('hex');
}

function digest(prefix: number, ...parts: Buffer[]): Buffer {
  const hash = createHash('sha256').update(Uint8Array.of(prefix));
  for (const part of parts) hash.update(part);
  return hash.digest();
}
