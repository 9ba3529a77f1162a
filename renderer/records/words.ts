import type { HistoryEntryView, OperatorRole, RecordSyncView, RecordValueView, SearchableRecordType } from '../../main/ipc/contract.js';
import { formatDateTime } from '../format.js';

/** The records each role works with, as the Records screen offers them (first: shown at first). */
export const ROLE_RECORDS: Record<OperatorRole, readonly { type: SearchableRecordType; label: string }[]> = {
  inspector: [
    { type: 'inspection', label: 'Inspections' },
    { type: 'equipmentInterchange', label: 'Interchanges' },
  ],
  'gate-clerk': [
    { type: 'gateEvent', label: 'Gate events' },
    { type: 'equipmentInterchange', label: 'Interchanges' },
  ],
  supervisor: [
    { type: 'inspection', label: 'Inspections' },
    { type: 'gateEvent', label: 'Gate events' },
    { type: 'equipmentInterchange', label: 'Interchanges' },
  ],
};

export const SYNC_WORDS: Record<RecordSyncView, { tag: string; tone: 'muted' | 'in' | 'warn'; sentence: string }> = {
  'on-device': { tag: 'Saved on this device', tone: 'muted', sentence: 'Saved on this device; it goes to the office at the next sync.' },
  sent: { tag: 'Sent', tone: 'in', sentence: 'Sent: the office has it.' },
  'needs-review': { tag: 'Needs review', tone: 'warn', sentence: 'Needs review: the office did not simply take a change to it. The Sync screen says what happened.' },
};

export const RESULT_WORDS = { pass: 'Pass', fail: 'Fail', na: 'N/A' } as const;

export const ACTION_WORDS: Record<HistoryEntryView['action'], string> = { create: 'Created', update: 'Changed', submit: 'Submitted', delete: 'Deleted' };

export function officeWords({ outcome, message }: HistoryEntryView['office']): string {
  switch (outcome) {
    case 'not-sent':
      return 'Not sent to the office yet';
    case 'accepted':
      return 'Accepted by the office';
    case 'merged':
      return 'Combined by the office with a change made elsewhere';
    case 'conflict':
      return 'Waiting for a reviewer at the office';
    case 'rejected':
      return message ? `Not accepted by the office: ${message}` : 'Not accepted by the office';
  }
}

/** A value as one line of words, or null when it is empty; images are named, not shown. */
export function valueWords(value: RecordValueView): string | null {
  switch (value.kind) {
    case 'text':
      return value.text?.trim() || null;
    case 'number':
      return value.value === null ? null : value.value.toLocaleString();
    case 'list':
      return value.items.length === 0 ? null : value.items.join(', ');
    case 'time':
      return value.at === null ? null : formatDateTime(value.at);
    case 'photos':
      return value.sha256.length === 0 ? null : value.sha256.length === 1 ? 'a photo' : `${value.sha256.length} photos`;
    case 'signature':
      return value.sha256 ? 'a signature' : null;
    case 'record':
      return value.record?.title ?? null;
    case 'checklist':
      return value.answers.length === 0
        ? null
        : value.answers.map((answer) => `${answer.label}: ${answer.result ? RESULT_WORDS[answer.result] : 'not answered'}${answer.note ? ` (${answer.note})` : ''}`).join('; ');
  }
}
