import { apiErrorSchema, updateRequiredSchema } from '../../../protocol/wire.js';

/**
 * Why a sync did not go through. `transient` errors (network, server trouble) are retried with
 * backoff; the others need someone to act (re-enroll, update the app, look at a rejected entry).
 */
export type SyncErrorCode =
  /** The request or its response was lost on the way; the office may or may not have seen it. */
  | 'network'
  /** The office answered with something that is not the wire contract (proxy, captive portal). */
  | 'bad-response'
  /** The anchor receipt is not signed by the office key this device enrolled with. */
  | 'bad-receipt'
  /** Entries the office did not take (chain verification); they stay pending. */
  | 'entries-not-acknowledged'
  | 'not-enrolled'
  | 'already-enrolled'
  | 'update-required'
  /** Any request-level error code of the wire contract (unauthorized, device-revoked, ...). */
  | (string & {});

export class SyncError extends Error {
  constructor(
    readonly code: SyncErrorCode,
    message: string,
    readonly transient: boolean,
    /** The HTTP status when the office answered. */
    readonly status?: number,
    /** How long the office asked to be left alone (Retry-After), in ms. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'SyncError';
  }
}

/**
 * The office no longer accepts this app's schema, or an administrator required a later app build
 * of this device (`requiredAppVersion`): sync stops until the app is updated.
 */
export class UpdateRequiredError extends SyncError {
  constructor(
    message: string,
    readonly minimumVersion: number,
    readonly currentVersion: number,
    readonly requiredAppVersion?: string,
  ) {
    super('update-required', message, false, 426);
    this.name = 'UpdateRequiredError';
  }
}

/** The request did not complete: nothing came back from the office. */
export function networkError(cause: unknown): SyncError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new SyncError('network', `the office could not be reached: ${detail}`, true);
}

/**
 * The error an office answer other than 2xx stands for. A 503 (the office or its database is
 * away for now) is transient; its Retry-After, when the transport read one, travels with it.
 */
export function responseError(status: number, body: unknown, retryAfterMs?: number): SyncError {
  if (status === 426) {
    const update = updateRequiredSchema.safeParse(body);
    if (update.success) return new UpdateRequiredError(update.data.message, update.data.minimumVersion, update.data.currentVersion, update.data.requiredAppVersion);
  }
  const parsed = apiErrorSchema.safeParse(body);
  const transient = status >= 500 || status === 408 || status === 429;
  if (!parsed.success) return new SyncError(transient ? 'unavailable' : 'bad-response', `the office answered HTTP ${status} without an explanation`, transient, status, retryAfterMs);
  return new SyncError(parsed.data.code, parsed.data.message, transient, status, retryAfterMs);
}
