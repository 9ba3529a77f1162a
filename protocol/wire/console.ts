import { z } from 'zod';
import { identifier } from '../field-operations.js';
import { text } from '../text.js';
import { OFFICE_ROLES } from '../office-access.js';

/**
 * Office console sign-in (browser sessions). The existing office API tokens stay for automation.
 *
 * - `POST /v1/console/sign-in` (no auth) `consoleSignInSchema` → `consoleSessionSchema`, and the
 *   session cookie (HttpOnly, SameSite=Strict, Path=/; `__Host-` named and Secure over TLS).
 *   Refused alike, 401 `unauthorized`, whether the account does not exist or the password is wrong;
 *   429 `sign-in-paused` (with Retry-After) after too many failures on the account or from the address.
 * - `GET /v1/console/me` → `consoleSessionSchema` (by API token: no session, CSRF token null).
 * - `POST /v1/console/sign-out` (session) → `signedOutSchema`; ends this session and clears the cookie.
 * - `POST /v1/console/sign-out-everywhere` (session or API token) → `signedOutSchema`; ends every
 *   console session of the user.
 *
 * Every office endpoint takes either `Authorization: Bearer <office API token>` or the session
 * cookie; with the cookie, a state-changing request (anything but GET/HEAD/OPTIONS) must carry the
 * session's CSRF token in `CSRF_HEADER` and come from the office's own origin, else 403 `csrf-refused`.
 *
 * Admin (see office.ts): `POST /v1/admin/users` takes `email` and `password` for console sign-in;
 * `POST /v1/admin/users/:id/password` `setPasswordSchema` → `passwordSetSchema` sets a user's
 * password, ends their sessions and lifts their sign-in pause; `GET /v1/admin/console/sign-in-attempts`
 * `listSignInAttemptsQuerySchema` → `signInAttemptsSchema`.
 */
export const CSRF_HEADER = 'x-csrf-token';
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

export const emailSchema = text()
  .trim()
  .toLowerCase()
  .max(254)
  .regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'an email address');
/** A new password: long rather than clever (NIST SP 800-63B). */
export const passwordSchema = text()
  .min(MIN_PASSWORD_LENGTH, `a password has at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(MAX_PASSWORD_LENGTH, `a password has at most ${MAX_PASSWORD_LENGTH} characters`);

/** Sign in with the email or the name an admin gave the user; what is typed is not held to the rules for new ones. */
export const consoleSignInSchema = z
  .strictObject({
    email: text().max(320).optional(),
    name: text().max(320).optional(),
    password: z.string().min(1).max(1024),
  })
  .refine((value) => (value.email === undefined) !== (value.name === undefined), 'send either email or name, not both');
export type ConsoleSignIn = z.infer<typeof consoleSignInSchema>;

export const consoleUserSchema = z.strictObject({
  id: identifier,
  name: z.string(),
  email: z.string().nullable(),
  role: z.enum(OFFICE_ROLES),
  /** Null only for the bootstrap administrator, who serves every organisation. */
  organisationId: identifier.nullable(),
});
export type ConsoleUser = z.infer<typeof consoleUserSchema>;

export const consoleSessionSchema = z.strictObject({
  user: consoleUserSchema,
  /** Send it in `CSRF_HEADER` with every state-changing request; null without a session (API token). */
  csrfToken: z.string().nullable(),
  /** When the session ends however busy it is, and how long without a request ends it sooner. */
  expiresAt: z.number().int().nullable(),
  idleTimeoutMs: z.number().int().nullable(),
});
export type ConsoleSession = z.infer<typeof consoleSessionSchema>;

export const signOutSchema = z.strictObject({});
export const signedOutSchema = z.strictObject({ endedSessions: z.number().int().nonnegative() });

export const setPasswordSchema = z.strictObject({ password: passwordSchema });
export const passwordSetSchema = z.strictObject({ id: identifier, endedSessions: z.number().int().nonnegative() });

export const listSignInAttemptsQuerySchema = z.strictObject({
  userId: identifier.optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});
export const signInAttemptSchema = z.strictObject({
  id: z.number().int(),
  at: z.number().int(),
  login: z.string(),
  userId: identifier.nullable(),
  address: z.string(),
  outcome: z.enum(['signed-in', 'refused']),
  /** Failures in a row on the account with this one (0 for a sign-in). */
  failedAttempts: z.number().int(),
  /** The pause of sign-in this failure started (0: none). */
  pausedForMs: z.number().int(),
});
export const signInAttemptsSchema = z.strictObject({ attempts: z.array(signInAttemptSchema) });
