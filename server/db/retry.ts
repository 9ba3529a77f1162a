import type { OfficeDb } from './connect.js';
import { isRetryableConflict } from './errors.js';

const MAX_ATTEMPTS = 3;

/**
 * Runs `work` in a transaction, again from the start when Postgres aborted it for a conflict with
 * a concurrent one (deadlock, serialization failure, or a row another writer created first, such
 * as two devices creating the same record id). `work` must read everything it decides on inside
 * the transaction, so a rerun decides afresh.
 */
export async function transactionWithRetry<T>(db: OfficeDb, work: (tx: OfficeDb) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction((tx) => work(tx));
    } catch (error) {
      if (attempt >= MAX_ATTEMPTS || !isRetryableConflict(error)) throw error;
    }
  }
}
