import { desc, eq, lte } from 'drizzle-orm';
import type { SignedCertificate } from '../../protocol/index.js';
import type { DeviceDb } from '../open.js';
import { operators, sessions } from '../schema.js';

export function insertSession(db: DeviceDb, certificate: SignedCertificate, openSeq: number): void {
  const cert = certificate.certificate;
  db.insert(sessions)
    .values({
      sessionId: cert.sessionId,
      operatorId: cert.operatorId,
      publicKey: cert.sessionPublicKey,
      certificate: JSON.stringify(certificate),
      openSeq,
      openedAt: cert.startedAt,
    })
    .run();
}

export function closeSessionRow(db: DeviceDb, sessionId: string, closeSeq: number, closedAt: number, reason: string): void {
  db.update(sessions).set({ closeSeq, closedAt, closeReason: reason }).where(eq(sessions.sessionId, sessionId)).run();
}

/** The session whose entries a checkpoint at `seq` must carry: the last one opened at or before it. */
export function sessionInForce(db: DeviceDb, seq: number): { certificate: SignedCertificate; closed: boolean } | null {
  const latest = db.select().from(sessions).where(lte(sessions.openSeq, seq)).orderBy(desc(sessions.openSeq)).limit(1).get();
  if (!latest) return null;
  return {
    certificate: JSON.parse(latest.certificate) as SignedCertificate,
    closed: latest.closeSeq !== null && latest.closeSeq <= seq,
  };
}

export type OperatorRow = typeof operators.$inferSelect;

export function findOperatorByBadge(db: DeviceDb, badgeId: string): OperatorRow | undefined {
  return db.select().from(operators).where(eq(operators.badgeId, badgeId)).get();
}

export function findOperatorById(db: DeviceDb, operatorId: string): OperatorRow | undefined {
  return db.select().from(operators).where(eq(operators.operatorId, operatorId)).get();
}

export function upsertOperator(db: DeviceDb, operator: Omit<OperatorRow, 'failedAttempts' | 'lockedUntil'>): void {
  const { operatorId: _id, ...changes } = operator;
  db.insert(operators).values(operator).onConflictDoUpdate({ target: operators.operatorId, set: changes }).run();
}

export function recordPinAttempt(db: DeviceDb, operatorId: string, failedAttempts: number, lockedUntil: number | null): void {
  db.update(operators).set({ failedAttempts, lockedUntil }).where(eq(operators.operatorId, operatorId)).run();
}
