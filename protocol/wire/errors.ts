import { z } from 'zod';

/**
 * Errors.
 *
 * Machine-readable error codes of whole requests (per-entry push outcomes use `EntryReason`).
 * 400 invalid-request / invalid-cursor / device-mismatch(403) / unauthorized(401) / device-revoked(403)
 * / forbidden(403) / enrollment-token-invalid(401) / enrollment-token-expired(401)
 * / enrollment-token-used(401) / enrollment-kind-mismatch(400) / bad-enrollment-proof(400) / weak-public-key(400)
 * / device-already-enrolled(409) / not-found(404) / payload-too-large(413)
 * / update-required(426) / schema-version-unsupported(400) / unavailable(503) / internal(500).
 */
export const API_ERROR_CODES = [
  'invalid-request',
  'invalid-cursor',
  'unauthorized',
  'forbidden',
  'device-revoked',
  'device-mismatch',
  'enrollment-token-invalid',
  'enrollment-token-expired',
  'enrollment-token-used',
  'enrollment-kind-mismatch',
  'bad-enrollment-proof',
  /** 400: the key to enroll is of small order or not canonically encoded; the token is not spent. */
  'weak-public-key',
  'device-already-enrolled',
  'not-found',
  'conflict',
  'payload-too-large',
  /** 415: the body is not of a type the endpoint takes (JSON endpoints take application/json). */
  'unsupported-media-type',
  'update-required',
  'schema-version-unsupported',
  'unavailable',
  'internal',
  /** 409: an attachment chunk was sent at another offset than the bytes received so far (see `received`). */
  'upload-offset-mismatch',
  /** 422: the uploaded bytes do not hash to the attachment's name; nothing was kept. */
  'attachment-hash-mismatch',
  /** 403: a console session's state-changing request without its CSRF token, or from another origin. */
  'csrf-refused',
  /** 429: console sign-in is paused after failed attempts (on the account or from the address); see Retry-After. */
  'sign-in-paused',
  /** 400: the client closed the request before its body was complete (nobody reads this answer). */
  'request-incomplete',
  /** 429: the device has as many unfinished uploads (or declared bytes) as the office holds for one device; finish them first. */
  'upload-quota',
] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

export const apiErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  /** Where the request was wrong (for invalid-request): a dotted path and the problem. */
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
export type ApiError = z.infer<typeof apiErrorSchema>;

/** HTTP 426: the client must update before it can sync again; the app shows the forced-update flow. */
export const updateRequiredSchema = apiErrorSchema.extend({
  code: z.literal('update-required'),
  minimumVersion: z.number().int(),
  currentVersion: z.number().int(),
  /** Set when an administrator required this device to run at least this app build. */
  requiredAppVersion: z.string().optional(),
});
export type UpdateRequired = z.infer<typeof updateRequiredSchema>;
