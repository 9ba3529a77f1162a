import type { ApiErrorCode } from '../protocol/wire.js';

/** How long a client is told to wait (Retry-After) before asking again when the office cannot serve. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * A request the service refuses on purpose. Routes throw it; the error handler turns it into the
 * wire error shape (`{ code, message, ...extra }`) with its HTTP status. Anything else is a bug
 * and answers 500 without details.
 */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly extra: Record<string, unknown> = {},
    /** For a 503 or a 429: when to ask again (Retry-After). */
    readonly retryAfterSeconds = RETRY_AFTER_SECONDS,
  ) {
    super(message);
    this.name = 'ApiFailure';
  }
}

export const notFound = (what: string) => new ApiFailure(404, 'not-found', `${what} not found`);
export const forbidden = (message: string) => new ApiFailure(403, 'forbidden', message);
export const conflict = (message: string) => new ApiFailure(409, 'conflict', message);

/**
 * The office cannot serve the request for now (its database is away, or it is saturated); the same
 * request may succeed later. Answered 503 with Retry-After.
 */
export const unavailable = (message: string, extra: Record<string, unknown> = {}, retryAfterSeconds = RETRY_AFTER_SECONDS) =>
  new ApiFailure(503, 'unavailable', message, extra, retryAfterSeconds);
