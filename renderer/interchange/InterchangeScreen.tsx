import { useCallback, useEffect, useState } from 'react';
import { call } from '../api.js';
import { errorMessage } from '../messages.js';
import { Alert, Badge } from '../components.js';
import { formatDateTime, formatTime, plural, startOfToday } from '../format.js';
import { useSyncRevision } from '../sync/SyncStatus.js';
import { equipmentTypeLabel, readInterchange, type Interchange } from './interchange.js';
import { InterchangeForm } from './InterchangeForm.js';
import { StartInterchange } from './StartInterchange.js';
import './interchange.css';

/**
 * Equipment interchanges (EIR): start one on the left, resume one in progress on the right. Every
 * tap on an interchange is its own action, so one in progress is exactly where it was left, even
 * after a lock, a colleague's turn at the kiosk or the app being killed.
 */
export function InterchangeScreen() {
  const [interchanges, setInterchanges] = useState<Interchange[]>([]);
  const [activeId, setActiveId] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const revision = useSyncRevision();

  const refresh = useCallback(async () => {
    try {
      const records = await call('records.list', { recordType: 'equipmentInterchange' });
      setInterchanges(records.map(readInterchange).sort((a, b) => b.startedAt - a.startedAt));
      setError(null);
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh, revision]);

  const active = interchanges.find((interchange) => interchange.id === activeId);
  if (active) {
    return (
      <InterchangeForm
        key={active.id}
        initial={active}
        onClose={(message) => {
          setActiveId(null);
          void refresh().then(() => setNotice(message));
        }}
      />
    );
  }

  const inProgress = interchanges.filter((interchange) => interchange.status === 'draft');
  const today = startOfToday(Date.now());
  const submittedToday = interchanges.filter((interchange) => interchange.status === 'submitted' && interchange.interchangedAt >= today);

  return (
    <div className="interchange-screen">
      <StartInterchange
        onAttempt={() => setNotice(null)}
        onStarted={(id) => {
          setNotice(null);
          void refresh().then(() => setActiveId(id));
        }}
      />
      <section className="card" aria-labelledby="interchanges-heading">
        <h2 id="interchanges-heading">Interchanges in progress</h2>
        {notice ? <Alert tone="success">{notice}</Alert> : null}
        {error ? <Alert tone="error">{error}</Alert> : null}
        {inProgress.length === 0 ? <p className="empty">No interchange in progress.</p> : null}
        <ul className="event-list" aria-label="Interchanges in progress">
          {inProgress.map((interchange) => (
            <li key={interchange.id} className="event">
              <div className="event__head">
                <span className="event__plate">{interchange.equipmentNumber}</span>
                <Badge tone="muted">{equipmentTypeLabel(interchange.equipmentType)}</Badge>
                <Badge tone="draft">Draft</Badge>
              </div>
              <p className="event__note">
                {interchange.fromCarrier} → {interchange.toCarrier} · started {formatDateTime(interchange.startedAt)}
                {interchange.damages.length > 0 ? ` · ${plural(interchange.damages.length, 'damage mark', 'damage marks')}` : ''}
              </p>
              <div className="event__actions">
                <button type="button" className="button button--primary" onClick={() => setActiveId(interchange.id)}>
                  Resume
                </button>
              </div>
            </li>
          ))}
        </ul>
        {submittedToday.length > 0 ? (
          <>
            <h3>Submitted today</h3>
            <ul className="plain-list" aria-label="Interchanges submitted today">
              {submittedToday.map((interchange) => (
                <li key={interchange.id}>
                  {formatTime(interchange.interchangedAt)} · <span className="mono">{interchange.equipmentNumber}</span> · {interchange.fromCarrier} → {interchange.toCarrier}
                </li>
              ))}
            </ul>
          </>
        ) : null}
      </section>
    </div>
  );
}
