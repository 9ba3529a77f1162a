import type { z } from 'zod';
import { CSRF_HEADER, consoleSessionSchema } from '../protocol/wire/console.js';
import { apiErrorSchema } from '../protocol/wire/errors.js';

/**
 * The console's one way to the office. Every request goes same-origin with the browser's cookies;
 * how it proves who is asking is the one seam below: a console session (cookie, plus its CSRF token
 * on every state-changing request) or an office API token (automation, and sign-in before sessions).
 */
export type Credentials = { kind: 'session'; csrfToken: string | null } | { kind: 'token'; token: string };

const TOKEN_KEY = 'waypost.console.token';

let credentials: Credentials | null = restoredToken();

function restoredToken(): Credentials | null {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { kind: 'token', token } : null;
}

/** Kept for this tab only (sessionStorage): a closed tab forgets an API token. */
export function setCredentials(next: Credentials | null): void {
  credentials = next;
  if (next?.kind === 'token') sessionStorage.setItem(TOKEN_KEY, next.token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export function currentCredentials(): Credentials | null {
  return credentials;
}

/**
 * Who the office takes this tab for: the API token kept for the tab, else the session cookie the
 * browser holds (GET /v1/console/me gives its CSRF token again after a reload); null when neither.
 */
export async function resumeSession(): Promise<boolean> {
  if (credentials) return true;
  try {
    const session = await request('GET', '/v1/console/me', consoleSessionSchema);
    setCredentials({ kind: 'session', csrfToken: session.csrfToken });
    return true;
  } catch {
    return false;
  }
}

export class OfficeError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'OfficeError';
  }
}

type Listener = () => void;
const signedOutListeners = new Set<Listener>();

/** Tells the app when the office no longer knows who is asking (session ended, token revoked). */
export function onSignedOut(listener: Listener): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

/** The headers that say who is asking; `method` decides whether the CSRF token goes too. */
export function authHeaders(method: string): Record<string, string> {
  if (credentials?.kind === 'token') return { authorization: `Bearer ${credentials.token}` };
  const safe = method === 'GET' || method === 'HEAD';
  return !safe && credentials?.kind === 'session' && credentials.csrfToken ? { [CSRF_HEADER]: credentials.csrfToken } : {};
}

export interface RequestOptions {
  body?: unknown;
  signal?: AbortSignal;
}

/** One JSON request; the answer is parsed with the same schema the office answers with. */
export async function request<S extends z.ZodType>(method: string, path: string, schema: S, options: RequestOptions = {}): Promise<z.infer<S>> {
  const headers: Record<string, string> = { accept: 'application/json', ...authHeaders(method) };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: options.signal,
  });
  const text = await response.text();
  const json: unknown = text ? JSON.parse(text) : null;
  if (!response.ok) throw failure(response.status, json);
  return schema.parse(json);
}

function failure(status: number, body: unknown): OfficeError {
  const parsed = apiErrorSchema.safeParse(body);
  const error = parsed.success ? new OfficeError(status, parsed.data.code, sentence(parsed.data.message)) : new OfficeError(status, 'internal', `The office answered ${status}.`);
  if (status === 401 && credentials) for (const listener of signedOutListeners) listener();
  return error;
}

/** The office writes messages to fit inside sentences; on screen they stand alone. */
export function sentence(message: string): string {
  const capital = message.charAt(0).toUpperCase() + message.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

export function errorMessage(error: unknown): string {
  if (error instanceof OfficeError) return error.message;
  if (error instanceof TypeError) return 'The office cannot be reached. Check the connection and try again.';
  return 'Something unexpected went wrong. Try again.';
}
