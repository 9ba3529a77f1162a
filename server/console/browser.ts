import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CSRF_HEADER } from '../../protocol/wire.js';
import { ApiFailure } from '../errors.js';
import type { ConsoleSettings } from './session-policy.js';

/**
 * What a browser sends and gets for a console session: the session cookie, the CSRF token bound to
 * it, and the same-origin checks on what a page of another site could make the browser send.
 */
const COOKIE = 'waypost-session';
/** A `__Host-` cookie is Secure, host-only and Path=/: no sibling host or plain-HTTP page can set or shadow it. */
const SECURE_COOKIE = `__Host-${COOKIE}`;
const SECRET_PATTERN = /^wps_[A-Za-z0-9_-]{43}$/;
const CSRF_DOMAIN = 'waypost/console-csrf/v1';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isSafeMethod(method: string): boolean {
  return SAFE_METHODS.has(method);
}

function secure(request: FastifyRequest, settings: Pick<ConsoleSettings, 'secureCookies'>): boolean {
  return settings.secureCookies || request.protocol === 'https';
}

function cookieName(request: FastifyRequest, settings: Pick<ConsoleSettings, 'secureCookies'>): string {
  return secure(request, settings) ? SECURE_COOKIE : COOKIE;
}

/**
 * The session secret the request's cookie holds; null when it sends no session cookie. A cookie
 * that cannot be a session's, or more than one, is refused: a browser sends one.
 */
export function sessionSecretOf(request: FastifyRequest, settings: Pick<ConsoleSettings, 'secureCookies'>): string | null {
  const header = request.headers.cookie;
  if (typeof header !== 'string') return null;
  const name = cookieName(request, settings);
  const values = header
    .split(';')
    .map((pair) => pair.trim())
    .filter((pair) => pair.slice(0, pair.indexOf('=')) === name)
    .map((pair) => pair.slice(name.length + 1));
  if (values.length === 0) return null;
  if (values.length > 1 || !SECRET_PATTERN.test(values[0]!)) throw new ApiFailure(401, 'unauthorized', 'the console session cookie is not one this office set; sign in again');
  return values[0]!;
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, settings: Pick<ConsoleSettings, 'secureCookies'>, secret: string, maxAgeMs: number): void {
  reply.header('set-cookie', cookie(request, settings, secret, Math.floor(maxAgeMs / 1000)));
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply, settings: Pick<ConsoleSettings, 'secureCookies'>): void {
  reply.header('set-cookie', cookie(request, settings, '', 0));
}

function cookie(request: FastifyRequest, settings: Pick<ConsoleSettings, 'secureCookies'>, value: string, maxAgeSeconds: number): string {
  const flags = [`${cookieName(request, settings)}=${value}`, 'Path=/', `Max-Age=${maxAgeSeconds}`, 'HttpOnly', 'SameSite=Strict'];
  if (secure(request, settings)) flags.push('Secure');
  return flags.join('; ');
}

/** The CSRF token of a session: derived from its secret, so it is bound to it and nothing more is stored. */
export function csrfTokenOf(secret: string): string {
  return createHmac('sha256', secret).update(CSRF_DOMAIN).digest('base64url');
}

/** A state-changing request on a session must carry the session's CSRF token in `CSRF_HEADER`. */
export function assertCsrfToken(request: FastifyRequest, secret: string): void {
  const sent = request.headers[CSRF_HEADER];
  const expected = Buffer.from(csrfTokenOf(secret));
  if (typeof sent !== 'string' || sent.length === 0) throw csrfRefused(`send the session's CSRF token (from sign-in or GET /v1/console/me) in the ${CSRF_HEADER} header`);
  const given = Buffer.from(sent);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw csrfRefused(`the ${CSRF_HEADER} header is not this session's CSRF token`);
}

/**
 * A request a browser could have been made to send by a page of another site is refused: for a
 * state-changing one, an Origin other than the office's or a Sec-Fetch-Site other than
 * same-origin; for a read, one the browser says is cross-site. Clients that send neither header
 * (no browser) are held by the CSRF token and the cookie's SameSite alone.
 */
export function assertSameOrigin(request: FastifyRequest, settings: Pick<ConsoleSettings, 'secureCookies'>, stateChanging: boolean): void {
  const site = request.headers['sec-fetch-site'];
  const allowedSites = stateChanging ? ['same-origin'] : ['same-origin', 'none'];
  if (site !== undefined && !allowedSites.includes(String(site))) throw csrfRefused(`a ${String(site).slice(0, 40)} request cannot use the console`);
  const origin = request.headers.origin;
  if (!stateChanging || origin === undefined) return;
  const own = `${secure(request, settings) ? 'https:' : 'http:'}//${request.host}`;
  if (originOf(origin) !== own) throw csrfRefused(`a request from ${JSON.stringify(String(origin).slice(0, 100))} cannot change anything at this office`);
}

function originOf(origin: string | string[]): string | null {
  if (typeof origin !== 'string') return null;
  try {
    const url = new URL(origin);
    return `${url.protocol}//${url.host}`;
  } catch {
    return null;
  }
}

const csrfRefused = (message: string) => new ApiFailure(403, 'csrf-refused', message);
