import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkContainerNumber, iso6346CheckDigit } from './iso6346.js';

/** Copy of shared/data/inspection-checklists.json, kept in the repo so a clean clone can run this. */
const seed = JSON.parse(readFileSync(new URL('../test/fixtures/inspection-checklists.json', import.meta.url), 'utf8')) as {
  iso6346: { valid: string[]; invalid_check_digit: string[] };
};

describe('container numbers from the seed data', () => {
  it.each(seed.iso6346.valid)('%s is valid', (number) => {
    expect(checkContainerNumber(number)).toEqual({ ok: true, value: number });
  });

  it.each(seed.iso6346.invalid_check_digit)('%s has a wrong check digit and the error names the right one', (number) => {
    const corrected = seed.iso6346.valid.find((valid) => valid.slice(0, 10) === number.slice(0, 10));
    if (!corrected) throw new Error(`the seed data has no valid twin of ${number}`);
    expect(checkContainerNumber(number)).toEqual({ ok: false, reason: `check digit should be ${corrected[10]}, not ${number[10]}` });
  });
});

const containerPrefix = fc
  .tuple(fc.stringMatching(/^[A-Z]{3}$/), fc.constantFrom('U', 'J', 'Z'), fc.stringMatching(/^\d{6}$/))
  .map((parts) => parts.join(''));

describe('checkContainerNumber', () => {
  it('reads the number as a clerk may type it: lower case, spaces, hyphen', () => {
    expect(checkContainerNumber('csqu 305438-3')).toEqual({ ok: true, value: 'CSQU3054383' });
  });

  it('writes a check value of 10 as digit 0', () => {
    expect(weightedRemainder('CSQU000007')).toBe(10);
    expect(checkContainerNumber('CSQU0000070')).toEqual({ ok: true, value: 'CSQU0000070' });
  });

  it.each([
    ['empty', ''],
    ['too short', 'CSQU305438'],
    ['too long', 'CSQU30543833'],
    ['a category other than U, J or Z', 'CSQX3054383'],
    ['a digit in the owner code', 'C5QU3054383'],
    ['a letter in the serial', 'CSQU3O54383'],
    ['a letter as check digit', 'CSQU305438X'],
    ['an accented letter', 'ÇSQU3054383'],
    ['other punctuation', 'CSQU.3054383'],
  ])('refuses %s with the shape explained', (_label, input) => {
    expect(checkContainerNumber(input)).toEqual({
      ok: false,
      reason: 'a container number is 3 letters, U/J/Z, 6 digits and a check digit',
    });
  });

  it('agrees with an independent table of letter values for any owner code, category and serial', () => {
    fc.assert(
      fc.property(containerPrefix, (firstTen) => {
        expect(iso6346CheckDigit(firstTen)).toBe(weightedRemainder(firstTen) % 10);
      }),
      { numRuns: 300, seed: 346 },
    );
  });

  it('exactly one of the ten check digits completes any owner code, category and serial', () => {
    fc.assert(
      fc.property(containerPrefix, (firstTen) => {
        const valid = '0123456789'.split('').filter((digit) => checkContainerNumber(firstTen + digit).ok);
        expect(valid).toHaveLength(1);
      }),
      { numRuns: 200, seed: 6346 },
    );
  });
});

/** Letter values per ISO 6346 (A=10, skipping multiples of 11), written out independently of the module. */
const LETTER_VALUES = 'A10B12C13D14E15F16G17H18I19J20K21L23M24N25O26P27Q28R29S30T31U32V34W35X36Y37Z38';

function weightedRemainder(firstTen: string): number {
  let sum = 0;
  for (let i = 0; i < 10; i++) {
    const char = firstTen[i]!;
    const at = LETTER_VALUES.indexOf(char);
    const value = /\d/.test(char) ? Number(char) : Number(LETTER_VALUES.slice(at + 1, at + 3));
    sum += value * 2 ** i;
  }
  return sum % 11;
}
