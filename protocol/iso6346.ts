/**
 * ISO 6346 container numbers: 3-letter owner code, category letter (U, J or Z), 6-digit serial and a
 * check digit. Letters take the values 10..38 skipping multiples of 11; the digit in position i
 * weighs 2^i; check = (sum mod 11) mod 10.
 */
const CONTAINER_PATTERN = /^[A-Z]{3}[UJZ]\d{7}$/;

function letterValue(letter: string): number {
  let value = 10;
  for (let code = 'A'.charCodeAt(0); code < letter.charCodeAt(0); code++) {
    value++;
    if (value % 11 === 0) value++;
  }
  return value;
}

export function iso6346CheckDigit(firstTen: string): number {
  let sum = 0;
  for (let i = 0; i < 10; i++) {
    const char = firstTen[i]!;
    const value = /\d/.test(char) ? Number(char) : letterValue(char);
    sum += value * 2 ** i;
  }
  return (sum % 11) % 10;
}

export type ContainerNumberCheck = { ok: true; value: string } | { ok: false; reason: string };

export function checkContainerNumber(input: string): ContainerNumberCheck {
  const value = input.replace(/[\s-]/g, '').toUpperCase();
  if (!CONTAINER_PATTERN.test(value)) {
    return { ok: false, reason: 'a container number is 3 letters, U/J/Z, 6 digits and a check digit' };
  }
  const expected = iso6346CheckDigit(value.slice(0, 10));
  if (expected !== Number(value[10])) {
    return { ok: false, reason: `check digit should be ${expected}, not ${value[10]}` };
  }
  return { ok: true, value };
}
