import { type EntryBody, type JournalEntry, type Signer, canonicalize, encodeHlc, JOURNAL_FORMAT_VERSION, signEntry, tickHlc } from '../../protocol/index.js';
import { type ChainTip, appendJournalEntry, readChainTip } from '../../db/queries/journal.js';
import type { DeviceDb } from '../../db/open.js';
import type { Clock } from './ports.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type EntryDraft = DistributiveOmit<EntryBody, 'v' | 'deviceId' | 'seq' | 'prevHash' | 'deviceTime' | 'hlc' | 'sessionId' | 'operatorId'>;

export interface SigningSession {
  sessionId: string;
  operatorId: string;
  signer: Signer;
}

/**
 * Appends one signed, chained entry and its outbox mark. Must run inside the transaction that
 * also applies the change, so the three land together or not at all.
 */
export function appendSignedEntry(
  db: DeviceDb,
  deviceId: string,
  clock: Clock,
  session: SigningSession,
  draft: EntryDraft | ((tip: ChainTip, deviceTime: number) => EntryDraft),
): JournalEntry {
  const tip = readChainTip(db);
  const deviceTime = clock.now();
  const body = {
    v: JOURNAL_FORMAT_VERSION,
    deviceId,
    seq: tip.seq + 1,
    prevHash: tip.head,
    sessionId: session.sessionId,
    operatorId: session.operatorId,
    deviceTime,
    hlc: encodeHlc(tickHlc(tip.hlc, deviceTime)),
    ...(typeof draft === 'function' ? draft(tip, deviceTime) : draft),
  } as EntryBody;
  const canonicalBody = canonicalize(body);
  const entry = signEntry(body, session.signer, canonicalBody);
  appendJournalEntry(db, entry, canonicalBody);
  return entry;
}
