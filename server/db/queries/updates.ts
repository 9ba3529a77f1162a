import { eq, sql } from 'drizzle-orm';
import type { OfficeDb } from '../connect.js';
import { updateRollouts } from '../schema.js';

export type UpdateRollout = typeof updateRollouts.$inferSelect;

export async function findRollout(db: OfficeDb, version: string): Promise<UpdateRollout | null> {
  const [row] = await db.select().from(updateRollouts).where(eq(updateRollouts.version, version));
  return row ?? null;
}

export async function setRollout(db: OfficeDb, rollout: UpdateRollout): Promise<void> {
  await db
    .insert(updateRollouts)
    .values(rollout)
    .onConflictDoUpdate({ target: updateRollouts.version, set: { percentage: sql`excluded.percentage`, setAt: sql`excluded.set_at`, setBy: sql`excluded.set_by` } });
}
