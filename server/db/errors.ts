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

/**
 * SQLSTATEs of a database that is not there to answer, as opposed to one refusing the request:
 * shutting down or starting (57P01–57P03), a statement or an idle transaction cut off by its
 * timeout (57014, 25P03), no connection slot left (53300), and the connection exceptions of class
 * 08 except 08P01, a protocol violation, which is our bug and would not go away by waiting.
 */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '57014', '25P03', '53300']);

/** The socket to the database was refused, reset or never answered. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * node-postgres (connection, pool and read timeouts, lost connections, a closed pool) and PGlite (a
 * closed database) say so by message only.
 */
const UNAVAILABLE_MESSAGE =
  /^(Connection terminated|timeout expired|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|Client was closed and is not queryable|Cannot use a pool after calling end|PGlite is closed)/;

/**
 * The database could not be reached or did not answer in time: the request may succeed later
 * unchanged, so it is answered 503 rather than 500. Looks through drizzle's and the pool's
 * wrapping (`cause`) to the driver's error.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (UNAVAILABLE_STATES.has(code) || NETWORK_CODES.has(code)) return true;
      if (code.startsWith('08') && code !== '08P01') return true;
    }
    if (UNAVAILABLE_MESSAGE.test(current.message)) return true;
  }
  return false;
}
