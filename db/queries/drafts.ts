import { and, eq } from 'drizzle-orm';
import type { DeviceDb } from '../open.js';
import { operatorDrafts } from '../schema.js';

export function readDraft(db: DeviceDb, operatorId: string, form: string): string | null {
  return (
    db
      .select({ value: operatorDrafts.value })
      .from(operatorDrafts)
      .where(and(eq(operatorDrafts.operatorId, operatorId), eq(operatorDrafts.form, form)))
      .get()?.value ?? null
  );
}

export function writeDraft(db: DeviceDb, operatorId: string, form: string, value: string, at: number): void {
  db.insert(operatorDrafts)
    .values({ operatorId, form, value, updatedAt: at })
    .onConflictDoUpdate({ target: [operatorDrafts.operatorId, operatorDrafts.form], set: { value, updatedAt: at } })
    .run();
}

export function deleteDraft(db: DeviceDb, operatorId: string, form: string): void {
  db.delete(operatorDrafts)
    .where(and(eq(operatorDrafts.operatorId, operatorId), eq(operatorDrafts.form, form)))
    .run();
}

/** Every draft of an operator who may no longer sign in here. */
export function deleteOperatorDrafts(db: DeviceDb, operatorId: string): void {
  db.delete(operatorDrafts).where(eq(operatorDrafts.operatorId, operatorId)).run();
}
