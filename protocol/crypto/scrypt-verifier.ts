/**
 * The text form of an scrypt verifier, `scheme$N$r$p$salt$digest` (salt and digest in base64): the
 * parameters travel with each verifier, so they can be raised for new ones while old ones still
 * check. Operator PINs (protocol/pin.ts) and office console passwords (server/console/passwords.ts)
 * are stored this way.
 */
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

export interface ScryptVerifier {
  scheme: string;
  params: ScryptParams;
  salt: Buffer;
  digest: Buffer;
}

const BASE64 = '[A-Za-z0-9+/]+={0,2}';
const PATTERN = new RegExp(`^([a-z0-9-]{1,40})\\$([1-9]\\d{0,7})\\$([1-9]\\d{0,2})\\$([1-9]\\d{0,2})\\$(${BASE64})\\$(${BASE64})$`);

export function formatScryptVerifier({ scheme, params, salt, digest }: ScryptVerifier): string {
  return [scheme, params.N, params.r, params.p, salt.toString('base64'), digest.toString('base64')].join('$');
}

/** The verifier, if `text` is one of `scheme` with a digest of `digestBytes`; else null. */
export function parseScryptVerifier(text: string, scheme: string, digestBytes: number): ScryptVerifier | null {
  const match = PATTERN.exec(text);
  const digest = Buffer.from(match?.[6] ?? '', 'base64');
  // A digest shorter than the one written would match more secrets than one; an empty one, every secret.
  if (!match || match[1] !== scheme || digest.length !== digestBytes) return null;
  const [, , n, r, p, salt] = match;
  return { scheme, params: { N: Number(n), r: Number(r), p: Number(p) }, salt: Buffer.from(salt!, 'base64'), digest };
}
