import { eq } from 'drizzle-orm';
import type { OfficeDb } from '../connect.js';
import { counters } from '../schema.js';
import { CHANGE_FEED_COUNTER } from './changes.js';

/** The change-feed counter row is written by the last migration that must have run. */
export async function isMigrated(db: OfficeDb): Promise<boolean> {
  try {
    const rows = await db.select({ name: counters.name }).from(counters).where(eq(counters.name, CHANGE_FEED_COUNTER));
    return rows.length === 1;
  } catch (error) {
    if ((error as { code?: string }).code === '42P01' || (error as { cause?: { code?: string } }).cause?.code === '42P01') return false;
    throw error;
  }
}
