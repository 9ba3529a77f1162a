import { describe, expect, it } from 'vitest';
import type { ConflictView, SyncStatusView } from '../../main/ipc/contract.js';
import { compareConflict, describeChange, describeOperation, fieldLabel, formatValue, summarizeConflict } from '../../renderer/sync/changes.js';
import { summarizeSync } from '../../renderer/sync/sync-summary.js';
import { formatDateTime, formatTime } from '../../renderer/format.js';

/**
 * What the sync badge and the conflict inbox say, worked out without a browser: each status the
 * daemon can be in, read as the operator would read it, and changes shown as "you sent / the office kept".
 */
const NOW = new Date(2026, 10, 22, 14, 30).getTime();

function status(overrides: Partial<SyncStatusView> = {}): SyncStatusView {
  return {
    enrollment: { organisationId: 'org-1', siteId: 'site-north', kind: 'kiosk' },
    active: true,
    syncing: false,
    online: true,
    live: true,
    lastSuccessAt: NOW - 60_000,
    lastError: null,
    nextAttemptAt: NOW + 60_000,
    pending: 0,
    changesWaiting: 0,
    failed: 0,
    unseenConflicts: 0,
    updateRequired: null,
    revision: 3,
    uploads: { waiting: 0, problem: null },
    ...overrides,
  };
}

describe('the sync badge', () => {
  it('counts the photos and signatures still to upload, and says in plain words what held them back once entries all went through', () => {
    const problem = 'A photo or signature file on this device is damaged and cannot be sent. Ask your supervisor.';
    expect(summarizeSync(status({ uploads: { waiting: 3, problem } }), NOW)).toEqual({
      tone: 'online',
      label: 'Online',
      facts: ['nothing waiting to send', `last synced ${formatTime(NOW - 60_000)}`, '3 photos or signatures waiting to upload'],
      problem,
      canSync: true,
    });
    // Offline, the office being out of reach is what to tell; the count still shows.
    const offline = summarizeSync(status({ online: false, uploads: { waiting: 1, problem: 'The office could not be reached.' } }), NOW);
    expect(offline).toMatchObject({ tone: 'offline', problem: null });
    expect(offline.facts).toContain('1 photo or signature waiting to upload');
  });

  it('says online, that nothing waits, and when it last synced', () => {
    expect(summarizeSync(status(), NOW)).toEqual({
      tone: 'online',
      label: 'Online',
      facts: ['nothing waiting to send', `last synced ${formatTime(NOW - 60_000)}`],
      problem: null,
      canSync: true,
    });
  });

  it('counts the changes that wait and what was rejected, in words', () => {
    expect(summarizeSync(status({ pending: 1, changesWaiting: 1 }), NOW).facts[0]).toBe('1 change waiting to send');
    // A bare sign-in leaves its session entry waiting: nobody's change.
    expect(summarizeSync(status({ pending: 1, changesWaiting: 0 }), NOW).facts[0]).toBe('nothing waiting to send');
    expect(summarizeSync(status({ pending: 1201, changesWaiting: 1200, failed: 2 }), NOW).facts).toEqual([
      `${(1200).toLocaleString()} changes waiting to send`,
      `last synced ${formatTime(NOW - 60_000)}`,
      '2 changes rejected',
    ]);
  });

  it('gives the date of a last sync before today, and says so when there never was one', () => {
    const yesterday = NOW - 24 * 60 * 60_000;
    expect(summarizeSync(status({ lastSuccessAt: yesterday }), NOW).facts[1]).toBe(`last synced ${formatDateTime(yesterday)}`);
    expect(summarizeSync(status({ lastSuccessAt: null }), NOW).facts[1]).toBe('never synced');
  });

  it('shows a sync under way, with "Sync now" unavailable meanwhile', () => {
    expect(summarizeSync(status({ syncing: true }), NOW)).toMatchObject({ tone: 'syncing', label: 'Syncing…', canSync: false });
  });

  it('calls an unreachable office offline, says when it tries again, and that the work is safe', () => {
    const lastError = { code: 'network', message: 'the office could not be reached: fetch failed', transient: true, at: NOW };
    expect(summarizeSync(status({ lastError }), NOW)).toMatchObject({
      tone: 'offline',
      label: 'Offline',
      problem: `The office cannot be reached; trying again at ${formatTime(NOW + 60_000)}. Keep working: everything is saved on this device.`,
      canSync: true,
    });
    // With the network down there is nothing to press.
    expect(summarizeSync(status({ online: false, nextAttemptAt: null }), NOW)).toMatchObject({ tone: 'offline', problem: null, canSync: false });
  });

  it('shows a problem someone must act on as one sentence', () => {
    const lastError = { code: 'device-revoked', message: 'this device was revoked by an administrator', transient: false, at: NOW };
    expect(summarizeSync(status({ lastError }), NOW)).toMatchObject({ tone: 'problem', label: 'Sync problem', problem: 'This device was revoked by an administrator.' });
    const ended = { ...lastError, message: 'the credential is not valid.' };
    expect(summarizeSync(status({ lastError: ended }), NOW).problem).toBe('The credential is not valid.');
  });

  it('puts a required update before anything else', () => {
    const updateRequired = { minimumVersion: 2, currentVersion: 2, message: 'this app (schema 1) is too old to sync; update to schema 2 or later' };
    expect(summarizeSync(status({ updateRequired, syncing: true }), NOW)).toMatchObject({ tone: 'problem', label: 'Update required', canSync: false });
  });

  it('tells a device without an office apart from an enrolled one whose sync is off', () => {
    expect(summarizeSync(status({ active: false, enrollment: null, pending: 4, changesWaiting: 3 }), NOW)).toEqual({
      tone: 'off',
      label: 'Not connected to an office',
      facts: ['3 changes waiting to send'],
      problem: null,
      canSync: false,
    });
    expect(summarizeSync(status({ active: false }), NOW).label).toBe('Sync off');
  });
});

function conflict(overrides: Partial<ConflictView>): ConflictView {
  return {
    id: 1,
    seq: 7,
    recordType: 'workOrder',
    recordLabel: 'Work order',
    recordId: 'wo-1',
    recordTitle: 'Work order “Reefer check”',
    outcome: 'merged',
    fieldOutcomes: [{ field: 'statusNote', outcome: 'merged' }],
    yours: true,
    keyLabels: {},
    local: null,
    serverKept: null,
    createdAt: NOW,
    seenAt: null,
    ...overrides,
  };
}

describe('the conflict inbox', () => {
  it('sets what was sent beside what the office kept, field by field', () => {
    const rows = compareConflict(
      conflict({
        local: { action: 'update', ops: [{ op: 'set', field: 'statusNote', value: 'waiting for parts' }, { op: 'add', field: 'sealNumbers', member: 'S-9' }] },
        serverKept: { version: 4, deleted: false, fields: { statusNote: 'parts on Monday', sealNumbers: ['S-1', 'S-9'] } },
      }),
    );
    expect(rows).toEqual([
      { field: 'Status note', sent: 'waiting for parts', kept: 'parts on Monday' },
      { field: 'Seal numbers', sent: 'add S-9', kept: 'S-1, S-9' },
    ]);
  });

  it('shows the answer to the checklist item the change was about, by its label, not the whole checklist', () => {
    const rows = compareConflict(
      conflict({
        keyLabels: { brakes: 'Brakes', lights: 'Lighting devices' },
        local: { action: 'update', ops: [{ op: 'set', field: 'items', key: 'brakes', value: { result: 'fail', note: 'soft pedal' } }] },
        serverKept: { version: 2, deleted: false, fields: { items: { brakes: { result: 'pass', note: '' }, lights: { result: 'pass', note: '' } } } },
      }),
    );
    expect(rows).toEqual([{ field: 'Brakes', sent: 'Fail: soft pedal', kept: 'Pass' }]);
  });

  it('says when the office kept no record, or deleted it', () => {
    const local = { action: 'update' as const, ops: [{ op: 'set' as const, field: 'title', value: 'Brakes' }] };
    expect(compareConflict(conflict({ local, serverKept: null }))).toEqual([{ field: 'Title', sent: 'Brakes', kept: null }]);
    const deleteIt = { action: 'delete' as const, ops: [{ op: 'tombstone' as const }] };
    expect(compareConflict(conflict({ local: deleteIt, serverKept: { version: 3, deleted: true, fields: {} } }))).toEqual([
      { field: 'Record', sent: 'delete it', kept: 'deleted' },
    ]);
  });

  it('writes values and operations as short readable text', () => {
    expect(fieldLabel('completionNote')).toBe('Completion note');
    expect(formatValue(null)).toBe('(empty)');
    expect(formatValue([])).toBe('(none)');
    expect(formatValue(true)).toBe('yes');
    expect(formatValue('a'.repeat(64))).toBe('an image');
    expect(formatValue({ result: 'na' })).toBe('N/A');
    expect(describeOperation({ op: 'increment', field: 'tally', by: -3 })).toEqual({ field: 'Tally', change: 'subtract 3' });
    expect(describeOperation({ op: 'remove', field: 'photos', member: 'b'.repeat(64) })).toEqual({ field: 'Photos', change: 'remove an image' });
    expect(describeChange('update', [{ op: 'set', field: 'items', key: 'horn', value: { result: 'pass' } }], { horn: 'Horn' })).toBe('Changed: Horn → Pass');
  });
});

describe('an inbox item in words', () => {
  it('calls a merged change whose every field lost to a later one "Not kept", naming the record by its title', () => {
    const lost = summarizeConflict(conflict({ fieldOutcomes: [{ field: 'statusNote', outcome: 'superseded' }] }));
    expect(lost).toMatchObject({ tag: 'Not kept', tone: 'warn' });
    expect(lost.sentence).toBe('Your change to Work order “Reefer check” was not kept: a later change made elsewhere at the same time was kept instead. Yours stays in the record\'s history.');
  });

  it('tells combined, partly kept, waiting for review and not accepted apart', () => {
    expect(summarizeConflict(conflict({})).tag).toBe('Combined');
    const partly = [
      { field: 'statusNote', outcome: 'superseded' as const },
      { field: 'location', outcome: 'applied' as const },
    ];
    expect(summarizeConflict(conflict({ fieldOutcomes: partly })).tag).toBe('Partly kept');
    expect(summarizeConflict(conflict({ outcome: 'conflict' })).tag).toBe('Waiting for review');
    expect(summarizeConflict(conflict({ outcome: 'rejected' })).tag).toBe('Not accepted');
  });

  it('never says "your change" of an item whose author is not known', () => {
    expect(summarizeConflict(conflict({ yours: false })).sentence).toMatch(/^A change made on this device to Work order “Reefer check”/);
  });

  it('holds no ids, internal field names or timestamps in any wording', () => {
    const outcomes = ['merged', 'conflict', 'rejected'] as const;
    for (const outcome of outcomes) {
      const { sentence } = summarizeConflict(conflict({ outcome, fieldOutcomes: [{ field: 'statusNote', outcome: 'superseded' }] }));
      expect(sentence).not.toMatch(/wo-1|statusNote|\d{4}-\d{2}-\d{2}T/);
    }
  });
});
