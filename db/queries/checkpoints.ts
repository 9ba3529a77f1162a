import type { SignedCheckpoint } from '../../protocol/index.js';
import type { DeviceDb } from '../open.js';
import { checkpoints } from '../schema.js';

export function insertCheckpoint(db: DeviceDb, checkpoint: SignedCheckpoint): void {
  const { manifest } = checkpoint;
  db.insert(checkpoints)
    .values({ toSeq: manifest.toSeq, fromSeq: manifest.fromSeq, head: manifest.head, signed: JSON.stringify(checkpoint), createdAt: manifest.createdAt })
    .run();
}
