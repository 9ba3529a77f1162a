import type { SyncStatusView } from '../../main/ipc/contract.js';
import { formatDateTime, formatTime, plural, sentence, startOfToday } from '../format.js';

export type SyncTone = 'online' | 'syncing' | 'offline' | 'problem' | 'off';

/** The sync badge in words: a state the operator can act on, and the facts behind it. */
export interface SyncSummary {
  tone: SyncTone;
  label: string;
  /** "2 waiting to send", "last synced 10:42", ... */
  facts: string[];
  /** What went wrong last, when the operator should know. */
  problem: string | null;
  /** Whether "Sync now" can do anything. */
  canSync: boolean;
}

/** Error codes that only mean the office could not be reached (the daemon retries on its own). */
const UNREACHABLE = new Set(['network', 'unavailable']);

export function summarizeSync(status: SyncStatusView, now: number): SyncSummary {
  const waiting = status.changesWaiting === 0 ? 'nothing waiting to send' : `${plural(status.changesWaiting, 'change', 'changes')} waiting to send`;
  if (!status.active) {
    return {
      tone: 'off',
      label: status.enrollment ? 'Sync off' : 'Not connected to an office',
      facts: [waiting],
      problem: null,
      canSync: false,
    };
  }
  const lastSynced = status.lastSuccessAt === null ? 'never synced' : `last synced ${when(status.lastSuccessAt, now)}`;
  const facts = [waiting, lastSynced];
  if (status.failed > 0) facts.push(`${plural(status.failed, 'change', 'changes')} rejected`);
  if (status.uploads.waiting > 0) facts.push(`${plural(status.uploads.waiting, 'photo or signature', 'photos or signatures')} waiting to upload`);
  if (status.updateRequired) {
    return { tone: 'problem', label: 'Update required', facts, problem: fullSentence(status.updateRequired.message), canSync: false };
  }
  if (status.syncing) return { tone: 'syncing', label: 'Syncing…', facts, problem: null, canSync: false };
  const error = status.lastError;
  if (!status.online || (error && UNREACHABLE.has(error.code))) {
    const retry = status.nextAttemptAt === null ? '' : `; trying again at ${formatTime(status.nextAttemptAt)}`;
    return {
      tone: 'offline',
      label: 'Offline',
      facts,
      problem: status.online ? `The office cannot be reached${retry}. Keep working: everything is saved on this device.` : null,
      canSync: status.online,
    };
  }
  if (error) return { tone: 'problem', label: 'Sync problem', facts, problem: fullSentence(error.message), canSync: true };
  // Entries all went through; photos or signatures a try left behind are the one thing to tell.
  return { tone: 'online', label: 'Online', facts, problem: status.uploads.problem, canSync: true };
}

function fullSentence(text: string): string {
  return /[.!?]$/.test(text) ? sentence(text) : `${sentence(text)}.`;
}

function when(at: number, now: number): string {
  return at >= startOfToday(now) ? formatTime(at) : formatDateTime(at);
}
