import { z } from 'zod';

/**
 * What any string in Waypost may hold, decided once for device, office and auditor: Unicode text
 * without NUL characters and without unpaired surrogates. Postgres cannot store NUL in text or
 * jsonb, and an unpaired surrogate is not text at all (it has no UTF-8 encoding), so either would
 * reach the office only to be refused there; pasted text carries both more often than one thinks.
 */
export function textProblem(value: string): string | null {
  if (value.includes('\u0000')) return 'contains a NUL character (U+0000)';
  if (!value.isWellFormed()) return 'contains broken Unicode (an unpaired surrogate)';
  return null;
}

export const TEXT_RULE = 'text may not contain NUL characters or broken Unicode (unpaired surrogates)';

/** `value` with what breaks the text rule replaced by U+FFFD: for echoing untrusted input in a message. */
export function printable(value: string): string {
  return value.toWellFormed().replaceAll('\u0000', '\ufffd');
}

/** A string schema that holds the text rule; chain `.min`, `.max`, `.trim` as with `z.string()`. */
export function text() {
  return z.string().refine((value) => textProblem(value) === null, { message: TEXT_RULE, abort: true });
}

/**
 * The first string (value or object key) inside a parsed JSON value that breaks the text rule, with
 * its path; null when there is none. For whole request bodies, before any schema sees them.
 */
export function findUnsafeText(value: unknown, path: (string | number)[] = [], depth = 0): { path: string; problem: string } | null {
  if (typeof value === 'string') {
    const problem = textProblem(value);
    return problem ? { path: describe(path), problem } : null;
  }
  // Bodies are size-limited and parsed JSON; the depth bound only keeps a deep one off the stack.
  if (typeof value !== 'object' || value === null || depth > 64) return null;
  for (const [key, inner] of Array.isArray(value) ? value.entries() : Object.entries(value)) {
    const keyProblem = typeof key === 'string' ? textProblem(key) : null;
    if (keyProblem) return { path: describe([...path, printable(String(key))]), problem: `is a key that ${keyProblem}` };
    const found = findUnsafeText(inner, [...path, key], depth + 1);
    if (found) return found;
  }
  return null;
}

function describe(path: readonly (string | number)[]): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}

/**
 * A schema's complaint about a value in plain words, for the person who typed it: "at most 200
 * characters", not zod's "Too big: expected string to have <=200 characters". A message a schema
 * wrote itself (a container's check digit, the text rule) is already plain and passes through.
 */
const ZOD_DEFAULT = /^(Too big|Too small|Invalid input|Unrecognized key)/;

export function plainIssue(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return 'is not valid';
  // A schema that said it in its own words ("the file is empty") is kept; only zod's defaults are reworded.
  if (!ZOD_DEFAULT.test(issue.message)) return issue.message;
  if (issue.code === 'too_big' && issue.origin === 'string') return `is too long: at most ${issue.maximum} characters`;
  if (issue.code === 'too_small' && issue.origin === 'string') return Number(issue.minimum) <= 1 ? 'cannot be empty' : `is too short: at least ${issue.minimum} characters`;
  if (issue.code === 'too_big' && issue.origin === 'number') return `is too large: at most ${issue.maximum}`;
  if (issue.code === 'too_small' && issue.origin === 'number') return `is too small: at least ${issue.minimum}`;
  if (issue.code === 'invalid_type') return issue.input === undefined ? 'is missing' : 'is not valid';
  if (issue.code === 'unrecognized_keys') return `has unexpected ${issue.keys.join(', ')}`;
  return issue.message;
}
