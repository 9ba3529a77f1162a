import type { z } from 'zod';
import { CURRENT_SCHEMA_VERSION, SCHEMA_VERSION_HEADER } from '../../../protocol/wire.js';
import { responseError, SyncError } from './errors.js';
import type { PostOptions, SyncTransport } from './transport.js';

/** Request headers of an enrolled device (GET requests carry the schema version as a header). */
export function deviceHeaders(credential: string | null, schemaVersion = CURRENT_SCHEMA_VERSION): Record<string, string> {
  const headers: Record<string, string> = { [SCHEMA_VERSION_HEADER]: String(schemaVersion) };
  if (credential) headers.authorization = `Bearer ${credential}`;
  return headers;
}

/**
 * One request to the office, answered with the wire schema `schema` or thrown as a `SyncError`:
 * the office's own error, or 'bad-response' for an answer that is not the contract.
 */
export async function callOffice<S extends z.ZodType>(
  transport: SyncTransport,
  path: string,
  body: unknown,
  schema: S,
  headers: Record<string, string>,
  options?: PostOptions,
): Promise<z.infer<S>> {
  const response = await transport.post(path, body, headers, options);
  if (response.status < 200 || response.status >= 300) throw responseError(response.status, response.body, response.retryAfterMs);
  const parsed = schema.safeParse(response.body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SyncError(
      'bad-response',
      `the office's answer to ${path} is not what this app expects (${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'malformed'})`,
      true,
      response.status,
    );
  }
  return parsed.data;
}
