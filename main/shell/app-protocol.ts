import { realpathSync, statSync } from 'node:fs';
import { extname, resolve, sep } from 'node:path';

/**
 * The renderer is served from app://waypost/… instead of file://, so the page has an origin of its
 * own (the IPC sender check and the CSP's 'self' mean this app and nothing else on the disk) and
 * only files under the renderer's folder can ever be read. This module decides, for a request URL,
 * which file answers it or why none does; main.ts only reads the file. It does not import electron.
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'waypost';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_INDEX_URL = `${APP_ORIGIN}/index.html`;

/**
 * Registered before the app is ready: standard (so relative URLs, origins and the CSP's 'self'
 * work as on the web) and secure (a secure context, as https would be). No service workers,
 * no CORS fetches from elsewhere, no bypassing the CSP.
 */
export const APP_SCHEME_PRIVILEGES = { standard: true, secure: true, supportFetchAPI: true, codeCache: true } as const;

export type AppRequestDecision =
  | { ok: true; file: string; contentType: string }
  | { ok: false; status: 400 | 403 | 404 | 405; reason: string };

/** The file system calls the decision needs (real ones by default; tests inject symlink trees). */
export interface AppFiles {
  /** The target's canonical path with every symlink resolved; throws when it does not exist. */
  realpath(path: string): string;
  isFile(realPath: string): boolean;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** What vite writes: letters, digits, '-', '_' and dots between them. Anything else is not ours to serve. */
const SEGMENT = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;
/** Names Windows maps to devices whatever the extension (NUL.js is the null device). */
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)$/i;
const MAX_URL_LENGTH = 2_048;
const MAX_SEGMENTS = 8;

export function resolveAppRequest(url: string, root: string, method = 'GET', files: AppFiles = realFiles): AppRequestDecision {
  if (method !== 'GET' && method !== 'HEAD') return refuse(405, 'only GET and HEAD');
  if (url.length > MAX_URL_LENGTH) return refuse(400, 'URL too long');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return refuse(400, 'not a URL');
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== APP_HOST || parsed.username !== '' || parsed.password !== '') {
    return refuse(403, 'not this app');
  }
  const segments = pathSegments(parsed.pathname);
  if (segments === null) return refuse(400, 'bad path');
  const wanted = segments.length === 0 ? ['index.html'] : segments;
  const base = resolve(root);
  const file = resolve(base, ...wanted);
  // The segments cannot climb out, but say so where the file system is reached.
  if (!file.startsWith(base + sep)) return refuse(403, 'outside the app');
  let real: string;
  let realBase: string;
  try {
    real = files.realpath(file);
    realBase = files.realpath(base);
  } catch {
    return refuse(404, 'not found');
  }
  // A symlink inside the folder must not lead out of it.
  if (!real.startsWith(realBase + sep)) return refuse(403, 'outside the app');
  if (!files.isFile(real)) return refuse(404, 'not found');
  return { ok: true, file: real, contentType: CONTENT_TYPES[extname(real).toLowerCase()] ?? 'application/octet-stream' };
}

/** The decoded path segments, or null when any of them is not a plain file or folder name. */
function pathSegments(pathname: string): string[] | null {
  // A non-special scheme's URL without a path has an empty one, not '/'.
  if (pathname === '' || pathname === '/') return [];
  if (!pathname.startsWith('/')) return null;
  const raw = pathname.slice(1).split('/');
  if (raw.length > MAX_SEGMENTS) return null;
  const segments: string[] = [];
  for (const part of raw) {
    let name: string;
    try {
      name = decodeURIComponent(part);
    } catch {
      // Overlong or broken UTF-8 (%c0%ae…) does not decode: never guess what it meant.
      return null;
    }
    // Decoding once and matching plain names refuses '..', separators, NUL, ':', '%' (a second encoding) and spaces alike.
    if (!SEGMENT.test(name) || WINDOWS_DEVICE.test(name.split('.')[0]!)) return null;
    segments.push(name);
  }
  return segments;
}

function refuse(status: 400 | 403 | 404 | 405, reason: string): AppRequestDecision {
  return { ok: false, status, reason };
}

const realFiles: AppFiles = {
  realpath: (path) => realpathSync(path),
  isFile: (path) => statSync(path, { throwIfNoEntry: false })?.isFile() ?? false,
};
