import type { z } from 'zod';
import { hex32, type JournalEntry, type JournalEnvelope, journalEntrySchema, journalEnvelopeSchema } from '../../protocol/journal.js';
import { TEXT_RULE, printable } from '../../protocol/text.js';
import { ApiFailure } from '../errors.js';

/**
 * How the office reads the entries of a push, one by one, so that no entry however formed stops
 * the others: an entry whose chain envelope reads is verified and, when its content breaks the
 * journal schema (text no string may hold, a value of the wrong shape), still stored and chained
 * but answered with a rejection of its content. One that cannot even be chained is refused alone.
 */
export type ReadableEntry = { entry: JournalEntry; contentProblem: null } | { entry: JournalEnvelope; contentProblem: ContentProblem };
export type PushedEntry = ReadableEntry | { unreadable: { seq: number; hash: string; message: string } };

export interface ContentProblem {
  reason: 'invalid-text' | 'invalid-content';
  message: string;
}

export function readPushedEntries(raw: readonly unknown[]): PushedEntry[] {
  return raw.map((candidate, index) => {
    const strict = journalEntrySchema.safeParse(candidate);
    if (strict.success) return { entry: strict.data, contentProblem: null };
    const envelope = journalEnvelopeSchema.safeParse(candidate);
    if (envelope.success) return { entry: envelope.data, contentProblem: contentProblemOf(strict.error) };
    const position = positionOf(candidate);
    if (!position) {
      throw new ApiFailure(400, 'invalid-request', `invalid request body: entries.${index}: not a journal entry (no sequence number and hash to answer it by)`);
    }
    return { unreadable: { ...position, message: `entry does not match the journal format: ${describeIssue(envelope.error)}` } };
  });
}

function contentProblemOf(error: z.ZodError): ContentProblem {
  const textPath = textRulePath(error.issues, []);
  if (textPath) return { reason: 'invalid-text', message: `${safePath(textPath)}: ${TEXT_RULE}` };
  return { reason: 'invalid-content', message: describeIssue(error) };
}

/** Where the text rule failed, also inside a union's alternatives and an object key's own issues. */
function textRulePath(issues: readonly z.core.$ZodIssue[], base: readonly PropertyKey[]): PropertyKey[] | null {
  for (const issue of issues) {
    const path = [...base, ...issue.path];
    if (issue.message.startsWith(TEXT_RULE)) return path;
    const inner = issue.code === 'invalid_union' ? issue.errors.flat() : issue.code === 'invalid_key' ? issue.issues : [];
    const nested = textRulePath(inner, path);
    if (nested) return nested;
  }
  return null;
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${safePath(issue.path)}: ${printable(issue.message)}` : 'malformed';
}

/** Issues name keys the sender chose: what no text may hold is never echoed (nor stored). */
function safePath(path: readonly PropertyKey[]): string {
  return printable(path.map(String).join('.')) || '(entry)';
}

function positionOf(candidate: unknown): { seq: number; hash: string } | null {
  const { body, hash } = (typeof candidate === 'object' && candidate !== null ? candidate : {}) as { body?: { seq?: unknown }; hash?: unknown };
  const seq = body?.seq;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1 || !hex32.safeParse(hash).success) return null;
  return { seq, hash: hash as string };
}
