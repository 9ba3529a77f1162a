/** Postgres error codes we act on; drizzle wraps driver errors, so the code may sit on `cause`. */
function postgresCode(error: unknown): string | undefined {
  const direct = (error as { code?: unknown } | null)?.code;
  if (typeof direct === 'string') return direct;
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof cause === 'string' ? cause : undefined;
}

export function isUniqueViolation(error: unknown): boolean {
  return postgresCode(error) === '23505';
}

/** Deadlocks and serialization failures: the transaction did nothing and can be run again. */
export function isRetryableConflict(error: unknown): boolean {
  const code = postgresCode(error);
  return code === '40001' || code === '40P01' || code === '23505';
}
