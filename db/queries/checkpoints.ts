import { desc, lt } from 'drizzle-orm';
import type { SignedCheckpoint } from '../../protocol/index.js';
import type { DeviceDb } from '../open.js';
import { checkpoints } from '../schema.js';

export function insertCheckpoint(db: DeviceDb, checkpoint: SignedCheckpoint): void {
  const { manifest } = checkpoint;
  db.insert(checkpoints)
    .values({ toSeq: manifest.toSeq, fromSeq: manifest.fromSeq, head: manifest.head, signed: JSON.stringify(checkpoint), createdAt: manifest.createdAt })
    .run();
}

/**
 * Deletes all but the newest `keep` checkpoints. The database allows it only while compacting
 * (migration 0004); verification then starts where the oldest one kept does.
 */
export function pruneCheckpoints(db: DeviceDb, keep: number): number {
  const kept = db.select({ toSeq: checkpoints.toSeq }).from(checkpoints).orderBy(desc(checkpoints.toSeq)).limit(1).offset(Math.max(0, keep - 1)).get();
  if (!kept) return 0;
  return db.delete(checkpoints).where(lt(checkpoints.toSeq, kept.toSeq)).run().changes;
}
