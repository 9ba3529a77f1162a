import { useCallback, useEffect, useId, useState, type ReactNode } from 'react';
import { errorMessage } from './messages.js';
import { Alert } from './components.js';
import { useSyncRevision } from './sync/SyncStatus.js';

/**
 * A screen of records worked on a tap at a time (inspections, interchanges): the list, loaded again
 * whenever sync brings something, and the one being worked on in its form. A form closes back to the
 * list with what it has to say, shown once the list is fresh; a new record opens once it is listed.
 */
export function useRecordsInProgress<T extends { id: string }>(load: () => Promise<T[]>) {
  const [records, setRecords] = useState<T[]>([]);
  const [activeId, setActiveId] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const revision = useSyncRevision();

  const refresh = useCallback(async () => {
    try {
      setRecords(await load());
      setError(null);
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }, [load]);

  useEffect(() => {
    void refresh();
  }, [refresh, revision]);

  return {
    records,
    active: records.find((record) => record.id === activeId),
    notice,
    error,
    open: setActiveId,
    /** Starting another: an earlier success message no longer applies. */
    attempt: () => setNotice(null),
    started: (id: string) => {
      setNotice(null);
      void refresh().then(() => setActiveId(id));
    },
    close: (message: string | null) => {
      setActiveId(null);
      void refresh().then(() => setNotice(message));
    },
  };
}

/**
 * The card of a kind of record (`noun`, as "inspection"): the drafts to resume under the screen's
 * notice and error, then those submitted today, if any.
 */
export function InProgressCard({ noun, screen, drafts, submittedToday }: { noun: string; screen: { notice: string | null; error: string | null }; drafts: ReactNode[]; submittedToday: ReactNode[] }) {
  const headingId = useId();
  const plural = `${noun.charAt(0).toUpperCase()}${noun.slice(1)}s`;
  return (
    <section className="card" aria-labelledby={headingId}>
      <h2 id={headingId}>{plural} in progress</h2>
      {screen.notice ? <Alert tone="success">{screen.notice}</Alert> : null}
      {screen.error ? <Alert tone="error">{screen.error}</Alert> : null}
      {drafts.length === 0 ? <p className="empty">No {noun} in progress.</p> : null}
      <ul className="event-list" aria-label={`${plural} in progress`}>
        {drafts}
      </ul>
      {submittedToday.length > 0 ? (
        <>
          <h3>Submitted today</h3>
          <ul className="plain-list" aria-label={`${plural} submitted today`}>
            {submittedToday}
          </ul>
        </>
      ) : null}
    </section>
  );
}

/** One draft in the list: what identifies it, a line about it, and Resume. */
export function InProgressItem({ head, note, onResume, resumable = true }: { head: ReactNode; note: ReactNode; onResume: () => void; resumable?: boolean }) {
  return (
    <li className="event">
      <div className="event__head">{head}</div>
      <p className="event__note">{note}</p>
      <div className="event__actions">
        <button type="button" className="button button--primary" onClick={onResume} disabled={!resumable}>
          Resume
        </button>
      </div>
    </li>
  );
}
