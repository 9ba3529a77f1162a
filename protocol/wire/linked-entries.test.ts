import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { TestChain } from '../../test/support/chain-fixtures.js';
import { verifyChain } from '../verify.js';
import { linkEntries, unlinkEntries } from './linked-entries.js';

function shift(records: number): TestChain {
  const chain = new TestChain();
  chain.openSession();
  for (let i = 0; i < records; i++) {
    chain.record({ recordType: 'inspection', action: 'update', ops: [{ op: 'set', field: 'items', key: `item-${i}`, value: { result: 'pass', note: `checked ${i}` } }] });
  }
  chain.close();
  return chain;
}

describe('linked push entries', () => {
  it('leave out every hash but the first previous one, and come back as the very entries signed', () => {
    const { entries, device } = shift(40);
    const batch = entries.slice(10, 30);
    const linked = linkEntries(batch);

    expect(linked.every((entry) => !('hash' in entry))).toBe(true);
    expect(linked[0]!.body.prevHash).toBe(entries[9]!.hash);
    expect(linked.slice(1).every((entry) => !('prevHash' in entry.body))).toBe(true);
    expect(unlinkEntries(JSON.parse(JSON.stringify(linked)))).toEqual(batch);
    expect(verifyChain(device, { entries: unlinkEntries(JSON.parse(JSON.stringify(linkEntries(entries)))) })).toMatchObject({ ok: true });
    // What gzip cannot shrink is gone: the push body is much smaller on the wire.
    const gzipped = (value: unknown) => gzipSync(JSON.stringify(value)).length;
    expect(gzipped(linked)).toBeLessThan(gzipped(batch) * 0.7);
  });

  it('read full entries as they come and link the next one to the hash they carry (an older app, a tool)', () => {
    const { entries } = shift(6);
    const [first, second, third] = entries;
    const mixed = [first, ...linkEntries([second!, third!]).map((entry, i) => (i === 0 ? { ...entry, body: { ...entry.body, prevHash: undefined } } : entry))];
    const whole = unlinkEntries(JSON.parse(JSON.stringify(mixed)));
    expect(whole).toEqual([first, second, third]);
  });

  it('pass on what cannot be made whole, for the office to refuse by itself: no body, a body without a canonical form, and the entry after it', () => {
    const { entries } = shift(4);
    const [first, second, third] = linkEntries(entries.slice(0, 3));
    // Tried: a number JSON parses to Infinity (no canonical encoding), a missing body, a string for an entry.
    const overflowing = { ...second!, body: { ...second!.body, deviceTime: Infinity } };
    const read = unlinkEntries([first, overflowing, third, { signature: 'x' }, 'not an entry']);

    expect(read[0]).toEqual(entries[0]);
    expect(read[1]).not.toHaveProperty('hash');
    // Its predecessor has no hash, so the next entry cannot be linked: it stays without a previous hash.
    expect((read[2] as { body: object }).body).not.toHaveProperty('prevHash');
    expect(read[3]).toEqual({ signature: 'x' });
    expect(read[4]).toBe('not an entry');
  });
});
