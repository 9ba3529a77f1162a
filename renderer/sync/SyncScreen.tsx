import { useCallback, useEffect, useState } from 'react';
import type { ConflictView, FailedEntryView } from '../../main/ipc/contract.js';
import { call } from '../api.js';
import { errorMessage, rejectionReason } from '../messages.js';
import { Alert, Badge } from '../components.js';
import { formatDateTime } from '../format.js';
import { compareConflict, describeChange, summarizeConflict } from './changes.js';
import { useSync, useSyncRevision } from './SyncStatus.js';

/**
 * What sync could not simply deliver: changes the office rejected (retry or discard), and the
 * conflict inbox ("what happened, what the office kept").
 */
export function SyncScreen() {
  const { refresh: refreshStatus } = useSync();
  const revision = useSyncRevision();
  const [failed, setFailed] = useState<FailedEntryView[]>([]);
  const [conflicts, setConflicts] = useState<ConflictView[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const refresh = useCallback(async () => {
    try {
      const [failedEntries, inbox] = await Promise.all([call('failed.list', {}), call('conflicts.list', {})]);
      setFailed(failedEntries);
      setConflicts(inbox);
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh, revision]);

  /** Runs one of the operator's decisions, then shows the lists and the badge as they now are. */
  async function act(run: () => Promise<string>) {
    setError(null);
    setNotice(null);
    try {
      const message = await run();
      await Promise.all([refresh(), refreshStatus()]);
      setNotice(message);
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }

  const unseen = conflicts.filter((conflict) => conflict.seenAt === null).length;
  return (
    <div className="sync-screen">
      {notice ? <Alert tone="success">{notice}</Alert> : null}
      {error ? <Alert tone="error">{error}</Alert> : null}
      <section className="card" aria-labelledby="failed-heading">
        <h2 id="failed-heading">Rejected by the office</h2>
        <p className="muted">These changes did not go through. Retry one to send it again on the record as it is now, or discard it.</p>
        {failed.length === 0 ? <p className="empty">Nothing was rejected.</p> : null}
        <ul className="event-list" aria-label="Rejected changes">
          {failed.map((entry) => (
            <FailedItem
              key={entry.seq}
              entry={entry}
              onRetry={() =>
                act(async () => {
                  const { seq } = await call('failed.retry', { seq: entry.seq });
                  return `Retried: the change is saved again as journal entry ${seq} and goes with the next sync.`;
                })
              }
              onDiscard={() =>
                act(async () => {
                  const { discardSeq } = await call('failed.discard', { seq: entry.seq });
                  return `Discarded. Journal entry ${discardSeq} records that you gave the change up.`;
                })
              }
            />
          ))}
        </ul>
      </section>
      <section className="card" aria-labelledby="conflicts-heading">
        <h2 id="conflicts-heading">Conflict inbox{unseen > 0 ? ` (${unseen} new)` : ''}</h2>
        <p className="muted">When your change met someone else's, this says what happened and what the office kept.</p>
        {conflicts.length === 0 ? <p className="empty">No conflicts.</p> : null}
        <ul className="event-list" aria-label="Conflict inbox">
          {conflicts.map((conflict) => (
            <ConflictItem
              key={conflict.id}
              conflict={conflict}
              onSeen={() =>
                act(async () => {
                  await call('conflicts.markSeen', { id: conflict.id });
                  return `Marked the conflict on ${conflict.recordTitle} as seen.`;
                })
              }
            />
          ))}
        </ul>
      </section>
    </div>
  );
}

function ConflictItem({ conflict, onSeen }: { conflict: ConflictView; onSeen: () => Promise<void> }) {
  const [busy, setBusy] = useState(false);
  const summary = summarizeConflict(conflict);
  const rows = compareConflict(conflict);
  return (
    <li className={`event${conflict.seenAt === null ? ' sync-item--new' : ''}`}>
      <div className="event__head">
        <Badge tone={summary.tone}>{summary.tag}</Badge>
        <span className="sync-item__record">{conflict.recordTitle}</span>
        <span className="event__time">{formatDateTime(conflict.createdAt)}</span>
      </div>
      <p className="sync-item__what">{summary.sentence}</p>
      {rows.length > 0 ? (
        <table className="sync-compare">
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">{conflict.yours ? 'You sent' : 'This device sent'}</th>
              <th scope="col">The office kept</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.field}>
                <th scope="row">{row.field}</th>
                <td>{row.sent}</td>
                <td className={row.kept !== null && row.kept !== row.sent ? 'sync-compare__kept' : undefined}>{row.kept ?? 'no such record'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <div className="event__actions">
        {conflict.seenAt === null ? (
          <button
            type="button"
            className="button"
            disabled={busy}
            onClick={() => {
              setBusy(true);
              void onSeen().finally(() => setBusy(false));
            }}
          >
            Mark seen
          </button>
        ) : (
          <span className="muted">Seen {formatDateTime(conflict.seenAt)}</span>
        )}
      </div>
    </li>
  );
}

function FailedItem({ entry, onRetry, onDiscard }: { entry: FailedEntryView; onRetry: () => Promise<void>; onDiscard: () => Promise<void> }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const run = (action: () => Promise<void>) => {
    setBusy(true);
    void action().finally(() => setBusy(false));
  };
  return (
    <li className="event">
      <div className="event__head">
        <Badge tone="warn">Rejected</Badge>
        <span className="sync-item__record">{entry.recordTitle}</span>
        <span className="event__time">{formatDateTime(entry.deviceTime)}</span>
      </div>
      <p className="sync-item__what">{rejectionReason(entry.reason, entry.message)}</p>
      <dl className="event__details">
        <dt>Change</dt>
        <dd>{describeChange(entry.action, entry.ops, entry.keyLabels)}</dd>
        <dt>By</dt>
        <dd>{entry.operatorName ?? 'someone no longer on this device'}</dd>
      </dl>
      {confirming ? (
        <div className="sync-confirm" role="group" aria-label="Confirm discard">
          <p>Discard this change? It will never reach the office. A signed journal entry records that you gave it up.</p>
          <div className="event__actions">
            <button type="button" className="button" disabled={busy} onClick={() => setConfirming(false)}>
              Keep it
            </button>
            <button type="button" className="button button--danger" disabled={busy} onClick={() => run(onDiscard)}>
              Yes, discard
            </button>
          </div>
        </div>
      ) : (
        <div className="event__actions">
          <button type="button" className="button" disabled={busy} onClick={() => setConfirming(true)}>
            Discard…
          </button>
          <button type="button" className="button button--primary" disabled={busy} onClick={() => run(onRetry)}>
            Retry
          </button>
        </div>
      )}
    </li>
  );
}
