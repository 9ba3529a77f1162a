import { ApiError } from './api.js';
import { sentence } from './format.js';

/**
 * The one place a refusal from the core becomes what the operator reads: in plain words, and tied
 * to the field on screen it is about, so a form can show it there instead of at the top of a card
 * the operator may have scrolled past. Screens never show a core message any other way.
 */
export interface Problem {
  /** The record field (or input) it is about, when there is one. */
  field: string | null;
  /** A full sentence, without the field's internal name. */
  message: string;
}

const UNEXPECTED = 'Something unexpected went wrong. Try again.';

/** Core codes whose own message would not help the operator, in words that do. */
const PLAIN: Record<string, string> = {
  internal: 'Something went wrong inside Waypost and nothing was saved. Try again; if it keeps happening, restart the app.',
  'storage-failed': "The device's storage failed and nothing was saved. Try again; if it keeps happening, ask for the device to be checked.",
};

export function explain(error: unknown): Problem {
  if (!(error instanceof ApiError)) return { field: null, message: UNEXPECTED };
  const plain = PLAIN[error.code];
  if (plain) return { field: null, message: plain };
  const field = error.field ?? null;
  return { field, message: fullSentence(field ? withoutFieldName(error.message, field) : error.message) };
}

/** A refusal as one sentence, for places that show it apart from any field. */
export function errorMessage(error: unknown): string {
  return explain(error).message;
}

/** "defects: is too long…" and "defects is too long…" name the field by its internal name; the screen shows it beside the field instead. */
function withoutFieldName(message: string, field: string): string {
  const lead = new RegExp(`^${field}(?:\\[[^\\]]*\\])?:? `, 'i');
  const rest = message.replace(lead, '');
  return rest === message ? message : `This ${rest}`;
}

function fullSentence(text: string): string {
  const trimmed = sentence(text.trim());
  return /[.!?…]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/** A refused sign-in, worded from the tries left and the pause, never from whether the badge exists. */
export interface SignInRefusal {
  message: string;
  /** When sign-in with the badge may be tried again (Date.now() based), while it is paused. */
  pausedUntil: number | null;
}

export function signInRefusal(error: unknown, now: number): SignInRefusal {
  if (!(error instanceof ApiError) || !error.retry) return { message: errorMessage(error), pausedUntil: null };
  const { attemptsLeft, retryInMs } = error.retry;
  if (retryInMs > 0) {
    const lead = error.code === 'wrong-pin' ? 'Wrong badge or PIN. ' : '';
    return { message: `${lead}Too many wrong PINs: sign-in with this badge is paused.`, pausedUntil: now + retryInMs };
  }
  const tries = attemptsLeft === 1 ? '1 more try' : `${attemptsLeft} more tries`;
  return { message: `Wrong badge or PIN. ${tries} before sign-in with this badge pauses.`, pausedUntil: null };
}

/** "0:42", "14:05": a countdown the operator reads at a glance. */
export function countdown(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/** Why the office turned a change down, by its reason code; the office's own words only for a code this version does not know. */
const REJECTIONS: Record<string, string> = {
  'out-of-scope': 'The office did not take this change: the record is not part of what this device works on.',
  'operator-not-allowed': 'The office did not take this change: your role may not make it.',
  'field-unknown-to-client': 'The office did not take this change: it needs a newer version of Waypost.',
  'unknown-record': 'The office did not take this change: it has no such record.',
  'record-deleted': 'The office did not take this change: the record was deleted.',
  'record-immutable': 'The office did not take this change: the record was already final.',
  'immutable-field': 'The office did not take this change: that part of the record cannot change once set.',
  'invalid-value': 'The office did not take this change: a value was not valid.',
  'incomplete': 'The office did not take this change: something required was missing.',
  'not-submittable': 'The office did not take this change: the record could not be submitted.',
  'policy-rejected': 'The office did not take this change: that part of the record is kept by the office, or was deleted there first.',
  'invalid-text': 'The office did not take this change: it holds characters that are not text.',
};

export function rejectionReason(reason: string, officeMessage: string): string {
  return REJECTIONS[reason] ?? fullSentence(`The office did not take this change: ${officeMessage}`);
}
