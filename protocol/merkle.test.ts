import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ZERO_HASH, sha256Hex } from './crypto/hash.js';
import { merkleRoot } from './merkle.js';

/** The tree written out by hand: leaves are H(0x00 || hash), inner nodes H(0x01 || left || right). */
const leaf = (hashHex: string) => digest(0, hashHex);
const node = (leftHex: string, rightHex: string) => digest(1, leftHex, rightHex);

function digest(prefix: number, ...partsHex: string[]): string {
  const hash = createHash('sha256').update(Uint8Array.of(prefix));
  for (const part of partsHex) hash.update(Buffer.from(part, 'hex'));
  return hash.digest('hex');
}

const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map((name) => sha256Hex(`entry ${name}`)) as [string, string, string, string, string];

describe('merkleRoot', () => {
  it('of no entries is the zero hash', () => {
    expect(merkleRoot([])).toBe(ZERO_HASH);
  });

  it('of one entry is its leaf hash, never the entry hash itself', () => {
    expect(merkleRoot([a])).toBe(leaf(a));
    expect(merkleRoot([a])).not.toBe(a);
  });

  it('of two and four entries is the balanced tree', () => {
    expect(merkleRoot([a, b])).toBe(node(leaf(a), leaf(b)));
    expect(merkleRoot([a, b, c, d])).toBe(node(node(leaf(a), leaf(b)), node(leaf(c), leaf(d))));
  });

  it('carries an odd node up unchanged (three and five entries)', () => {
    expect(merkleRoot([a, b, c])).toBe(node(node(leaf(a), leaf(b)), leaf(c)));
    expect(merkleRoot([a, b, c, d, e])).toBe(node(node(node(leaf(a), leaf(b)), node(leaf(c), leaf(d))), leaf(e)));
  });

  it('does not treat a duplicated last entry as the same list', () => {
    expect(merkleRoot([a, b, c, c])).not.toBe(merkleRoot([a, b, c]));
  });

  it('changes when entries are swapped, dropped or edited', () => {
    const root = merkleRoot([a, b, c, d, e]);
    expect(merkleRoot([b, a, c, d, e])).not.toBe(root);
    expect(merkleRoot([a, b, c, e, d])).not.toBe(root);
    expect(merkleRoot([a, b, d, e])).not.toBe(root);
    expect(merkleRoot([a, b, sha256Hex('entry c, edited'), d, e])).not.toBe(root);
  });

  it('cannot be matched by passing an inner node off as a leaf', () => {
    const inner = node(leaf(a), leaf(b));
    expect(merkleRoot([inner])).not.toBe(merkleRoot([a, b]));
    expect(merkleRoot([inner, leaf(c)])).not.toBe(merkleRoot([a, b, c]));
  });
});
