import { and, asc, desc, eq, isNull, isNotNull, lt, lte, sql } from 'drizzle-orm';
import type { SignedCertificate, SignInPause } from '../../protocol/index.js';
import type { DeviceDb } from '../open.js';
import { operators, pinThrottle, sessions, signInPauses } from '../schema.js';

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

/** A session's device-signed certificate, while the device keeps it (see pruneFoldedSessions). */
export function findSessionCertificate(db: DeviceDb, sessionId: string): SignedCertificate | null {
  const row = db.select({ certificate: sessions.certificate }).from(sessions).where(eq(sessions.sessionId, sessionId)).get();
  return row ? (JSON.parse(row.certificate) as SignedCertificate) : null;
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

/**
 * Forgets the sessions no checkpoint can need any more: every one opened before the session in
 * force at `foldedThrough` (later checkpoints carry that one or a newer one). Their certificates
 * stay in the folded entries the office holds.
 */
export function pruneFoldedSessions(db: DeviceDb, foldedThrough: number): number {
  const inForce = db.select({ openSeq: sql<number | null>`max(${sessions.openSeq})` }).from(sessions).where(lte(sessions.openSeq, foldedThrough)).get()?.openSeq;
  if (inForce == null) return 0;
  return db.delete(sessions).where(lt(sessions.openSeq, inForce)).run().changes;
}

export type OperatorRow = typeof operators.$inferSelect;

/** Letter case aside: `gate-01` is badge GATE-01. */
export function findOperatorByBadge(db: DeviceDb, badgeId: string): OperatorRow | undefined {
  return db
    .select()
    .from(operators)
    .where(sql`${operators.badgeId} = ${badgeId} COLLATE NOCASE`)
    .get();
}

export function findOperatorById(db: DeviceDb, operatorId: string): OperatorRow | undefined {
  return db.select().from(operators).where(eq(operators.operatorId, operatorId)).get();
}

export function upsertOperator(db: DeviceDb, operator: OperatorRow): void {
  const { operatorId: _id, ...changes } = operator;
  db.insert(operators).values(operator).onConflictDoUpdate({ target: operators.operatorId, set: changes }).run();
}

export function listOperatorVerifiers(db: DeviceDb): Pick<OperatorRow, 'operatorId' | 'pinVerifier'>[] {
  return db.select({ operatorId: operators.operatorId, pinVerifier: operators.pinVerifier }).from(operators).all();
}

export function setOperatorVerifier(db: DeviceDb, operatorId: string, pinVerifier: string): void {
  db.update(operators).set({ pinVerifier }).where(eq(operators.operatorId, operatorId)).run();
}

export type PinThrottleRow = typeof pinThrottle.$inferSelect;

export function readPinThrottle(db: DeviceDb, badgeId: string): PinThrottleRow | undefined {
  return db.select().from(pinThrottle).where(eq(pinThrottle.badgeId, badgeId)).get();
}

export function writePinThrottle(db: DeviceDb, row: PinThrottleRow): void {
  const { badgeId: _badge, ...changes } = row;
  db.insert(pinThrottle).values(row).onConflictDoUpdate({ target: pinThrottle.badgeId, set: changes }).run();
}

export function clearPinThrottle(db: DeviceDb, badgeId: string): void {
  db.delete(pinThrottle).where(eq(pinThrottle.badgeId, badgeId)).run();
}

/** Forgets the wrong PINs of badges with none since `before`. */
export function forgetPinThrottles(db: DeviceDb, before: number): void {
  db.delete(pinThrottle).where(lte(pinThrottle.lastFailedAt, before)).run();
}

export type SignInPauseRow = typeof signInPauses.$inferSelect;

export function insertSignInPause(db: DeviceDb, pause: SignInPause): void {
  db.insert(signInPauses).values(pause).run();
}

/** Pauses no entry has journaled yet, oldest first. */
export function listUnjournaledPauses(db: DeviceDb, limit: number): SignInPauseRow[] {
  return db.select().from(signInPauses).where(isNull(signInPauses.journalSeq)).orderBy(asc(signInPauses.id)).limit(limit).all();
}

export function markPausesJournaled(db: DeviceDb, upToId: number, journalSeq: number): void {
  db.update(signInPauses)
    .set({ journalSeq })
    .where(and(isNull(signInPauses.journalSeq), lte(signInPauses.id, upToId)))
    .run();
}

/** Journaled pauses from before `before` (the UI shows recent ones; the journal keeps them all). */
export function forgetJournaledPauses(db: DeviceDb, before: number): void {
  db.delete(signInPauses).where(and(isNotNull(signInPauses.journalSeq), lte(signInPauses.pausedAt, before))).run();
}

export function listSignInPauses(db: DeviceDb, limit: number): SignInPauseRow[] {
  return db.select().from(signInPauses).orderBy(desc(signInPauses.id)).limit(limit).all();
}
