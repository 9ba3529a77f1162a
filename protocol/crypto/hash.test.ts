import { describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64, bytesToHex, hexToBytes, sha256Hex } from './hash.js';

describe('hash helpers', () => {
  it('sha256Hex matches the FIPS 180-2 "abc" digest and hashes parts as one stream', () => {
    const abc = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
    expect(sha256Hex('abc')).toBe(abc);
    expect(sha256Hex('a', new TextEncoder().encode('b'), 'c')).toBe(abc);
  });

  it('hex and base64 round-trip, also for a view into a larger buffer', () => {
    const backing = Uint8Array.of(9, 0, 1, 254, 255, 9);
    const view = backing.subarray(1, 5);
    expect(bytesToHex(view)).toBe('0001feff');
    expect(hexToBytes('0001feff')).toEqual(view);
    expect(base64ToBytes(bytesToBase64(view))).toEqual(view);
  });

  it.each(['ABCD', 'abc', '0g', ' 00'])('hexToBytes refuses %j instead of decoding part of it', (text) => {
    expect(() => hexToBytes(text)).toThrow('not lowercase hex');
  });
});
