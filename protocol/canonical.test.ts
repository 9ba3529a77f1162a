import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CanonicalEncodingError, canonicalBytes, canonicalize } from './canonical.js';

describe('canonicalize', () => {
  it('sorts object keys and leaves no whitespace', () => {
    expect(canonicalize({ seq: 2, deviceId: 'dev-1', body: 'x' })).toBe('{"body":"x","deviceId":"dev-1","seq":2}');
  });

  it('sorts nested objects at every level and keeps array order', () => {
    const value = { z: [{ b: 1, a: [3, 1, 2] }, null], a: { y: true, x: { d: false, c: 'c' } } };
    expect(canonicalize(value)).toBe('{"a":{"x":{"c":"c","d":false},"y":true},"z":[{"a":[3,1,2],"b":1},null]}');
  });

  it('gives the same text whatever order the keys were inserted in', () => {
    expect(canonicalize({ a: 1, b: { c: 2, d: 3 } })).toBe(canonicalize({ b: { d: 3, c: 2 }, a: 1 }));
  });

  it('encodes -0 as 0, so both sides hash the same bytes', () => {
    expect(canonicalize(-0)).toBe('0');
    expect(canonicalize({ tally: -0, list: [-0] })).toBe('{"list":[0],"tally":0}');
  });

  it('leaves out object members whose value is undefined, as JSON does', () => {
    expect(canonicalize({ note: undefined, body: 'kept' })).toBe('{"body":"kept"}');
  });

  it('accepts objects without a prototype', () => {
    const bare = Object.create(null) as Record<string, unknown>;
    bare.b = 1;
    bare.a = 2;
    expect(canonicalize(bare)).toBe('{"a":2,"b":1}');
  });

  it('canonicalBytes is the UTF-8 encoding of the text', () => {
    expect(Buffer.from(canonicalBytes({ city: 'Zürich' })).toString('utf8')).toBe('{"city":"Zürich"}');
    expect(canonicalBytes({ city: 'Zürich' })).toHaveLength('{"city":"Zürich"}'.length + 1);
  });
});

describe('canonicalize refuses values without one canonical form', () => {
  const refused: [string, unknown, string][] = [
    ['NaN', { odometer: Number.NaN }, 'cannot encode .odometer canonically: non-finite number NaN'],
    ['Infinity', [1, Number.POSITIVE_INFINITY], 'non-finite number Infinity'],
    ['-Infinity', Number.NEGATIVE_INFINITY, 'non-finite number -Infinity'],
    ['undefined in an array', { seals: ['A1', undefined] }, 'cannot encode .seals[1] canonically: unsupported type undefined'],
    ['a hole in a sparse array', { seals: ['A1', , 'A3'] }, 'cannot encode .seals[1] canonically: unsupported type undefined'],
    ['a Date', { at: new Date(0) }, 'only plain objects can be encoded'],
    ['a Map', new Map([['a', 1]]), 'only plain objects can be encoded'],
    ['a Uint8Array', { photo: Uint8Array.of(1) }, 'only plain objects can be encoded'],
    ['a class instance', { at: new (class Stamp {})() }, 'only plain objects can be encoded'],
    ['a bigint', { count: 1n }, 'unsupported type bigint'],
    ['a function', { at: () => 1 }, 'unsupported type function'],
  ];

  it.each(refused)('%s', (_label, value, message) => {
    expect(() => canonicalize(value)).toThrow(CanonicalEncodingError);
    expect(() => canonicalize(value)).toThrow(message);
  });
});

describe('canonicalize text no schema allows', () => {
  // Such text is refused by every schema (protocol/text.ts), but a hostile or broken entry carrying
  // it must still hash the same way everywhere, so the office can store it and refuse its content.
  it('writes lone surrogates and NUL as ASCII escapes, in values and keys, distinct from any other text', () => {
    expect(canonicalize({ note: 'broken \ud800 text' })).toBe('{"note":"broken \\ud800 text"}');
    expect(canonicalize(['\udc00', 'a\u0000b'])).toBe('["\\udc00","a\\u0000b"]');
    expect(canonicalize({ 'key\ud800': 1 })).toBe('{"key\\ud800":1}');
    expect(canonicalize('\ud800')).not.toBe(canonicalize('\ufffd'));
    expect(JSON.parse(canonicalize({ note: 'x\ud800' }))).toEqual({ note: 'x\ud800' });
  });
});

describe('compatibility with RFC 8785 (JCS)', () => {
  it('reproduces the RFC 8785 section 3.2.2 example', () => {
    const input = String.raw`{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }`;
    const expected = String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`;
    expect(canonicalize(JSON.parse(input))).toBe(expected);
  });

  it('sorts keys by UTF-16 code units as in the RFC 8785 section 3.2.3 example', () => {
    const input = String.raw`{
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis"
    }`;
    const sorted: [string, string][] = [
      ['\r', 'Carriage Return'],
      ['1', 'One'],
      ['\u0080', 'Control'],
      ['\u00f6', 'Latin Small Letter O With Diaeresis'],
      ['\u20ac', 'Euro Sign'],
      // U+1F600 sorts before U+FB33 because its UTF-16 form starts with the surrogate 0xD83D.
      ['\ud83d\ude00', 'Emoji: Grinning Face'],
      ['\ufb33', 'Hebrew Letter Dalet With Dagesh'],
    ];
    const expected = `{${sorted.map(([key, name]) => `${JSON.stringify(key)}:"${name}"`).join(',')}}`;
    expect(canonicalize(JSON.parse(input))).toBe(expected);
  });

  it.each([
    [1e21, '1e+21'],
    [1e-7, '1e-7'],
    [123456789012345680000, '123456789012345680000'],
    [0.1 + 0.2, '0.30000000000000004'],
    [-5e-324, '-5e-324'],
    [Number.MAX_SAFE_INTEGER, '9007199254740991'],
  ])('formats the number %d as %s', (value, text) => {
    expect(canonicalize(value)).toBe(text);
  });
});

describe('canonicalize properties', () => {
  const jsonValue = fc.jsonValue({ stringUnit: 'grapheme', maxDepth: 4 });

  it('is stable through a parse: canonicalize(JSON.parse(canonicalize(x))) === canonicalize(x)', () => {
    fc.assert(
      fc.property(jsonValue, (value) => {
        const text = canonicalize(value);
        expect(canonicalize(JSON.parse(text))).toBe(text);
      }),
      { numRuns: 300, seed: 8785 },
    );
  });

  it('is valid JSON that parses back to the same value (with -0 as 0)', () => {
    fc.assert(
      fc.property(jsonValue, (value) => {
        expect(JSON.parse(canonicalize(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 300, seed: 6962 },
    );
  });
});
