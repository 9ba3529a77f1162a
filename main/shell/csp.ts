/**
 * The renderer's Content-Security-Policy, sent as a header with every app:// response and repeated
 * in renderer/index.html (a test holds the two equal). Only the app's own files run or style the
 * page: no 'unsafe-inline', no eval, no remote anything; the core is reached over IPC, not fetch.
 * Images may be data:/blob: URLs because photos and signatures are shown from bytes the core hands back.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "object-src 'none'",
].join('; ');

/** Headers on every file the app protocol serves. */
export const APP_RESPONSE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  'cross-origin-opener-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
};
