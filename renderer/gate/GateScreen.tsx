import { useCallback, useEffect, useState } from 'react';
import { call } from '../api.js';
import { errorMessage } from '../messages.js';
import { Alert } from '../components.js';
import { startOfToday } from '../format.js';
import { useSyncRevision } from '../sync/SyncStatus.js';
import { readGateEvent, type GateEvent } from './gate-event.js';
import { GateEventForm, type FormMode } from './GateEventForm.js';
import { GateEventList } from './GateEventList.js';

interface Props {
  siteId: string;
  /** A submitted event to correct, chosen elsewhere (Records); it may be of an earlier day. */
  correctId: string | null;
  /** The correction of `correctId` was saved or given up. */
  onCorrectDone: () => void;
}

/** The gate clerk's screen: record an event on the left, today's events on the right. */
export function GateScreen({ siteId, correctId, onCorrectDone }: Props) {
  const [events, setEvents] = useState<GateEvent[]>([]);
  const [mode, setMode] = useState<FormMode>({ kind: 'new' });
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busyId, setBusyId] = useState<string | null>(null);
  // Each saved event starts a fresh, empty form.
  const [formRound, setFormRound] = useState(0);
  // Events other kiosks of the site recorded arrive by sync.
  const revision = useSyncRevision();

  const refresh = useCallback(async () => {
    try {
      const today = startOfToday(Date.now());
      const records = await call('records.list', { recordType: 'gateEvent' });
      setEvents(
        records
          .map(readGateEvent)
          .filter((event) => event.recordedAt >= today || event.enteredAt >= today)
          .sort((a, b) => b.recordedAt - a.recordedAt || b.enteredAt - a.enteredAt),
      );
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh, revision]);

  useEffect(() => {
    if (!correctId) return;
    let current = true;
    call('records.get', { recordType: 'gateEvent', recordId: correctId }).then(
      (record) => {
        if (!current) return;
        if (record) setMode({ kind: 'correct', original: readGateEvent(record) });
        else setError('That gate event is no longer on this device, so it cannot be corrected here. The office keeps it.');
      },
      (failure: unknown) => current && setError(errorMessage(failure)),
    );
    return () => {
      current = false;
    };
  }, [correctId]);

  // The message shows once the list shows what it talks about.
  async function saved(message: string) {
    if (mode.kind === 'correct') onCorrectDone();
    setMode({ kind: 'new' });
    setFormRound((round) => round + 1);
    setError(null);
    await refresh();
    setNotice(message);
  }

  async function submit(event: GateEvent) {
    setBusyId(event.id);
    setNotice(null);
    setError(null);
    try {
      const { seq } = await call('records.perform', { recordType: 'gateEvent', recordId: event.id, action: 'submit', ops: [] });
      await refresh();
      setNotice(`Submitted the gate-${event.direction} of ${event.truckPlate} (journal entry ${seq}). It can no longer change; record a correction if needed.`);
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setBusyId(null);
    }
  }

  const correctedBy = new Map(events.flatMap((event) => (event.correctsId ? [[event.correctsId, event] as const] : [])));
  const formKey = mode.kind === 'new' ? `new-${formRound}` : `${mode.kind}-${mode.kind === 'edit' ? mode.event.id : mode.original.id}`;

  return (
    <div className="gate-screen">
      <GateEventForm
        key={formKey}
        mode={mode}
        siteId={siteId}
        onAttempt={() => {
          setNotice(null);
          setError(null);
        }}
        onSaved={(message) => void saved(message)}
        onCancel={() => {
          if (mode.kind === 'correct') onCorrectDone();
          setMode({ kind: 'new' });
        }}
      />
      <section className="card" aria-labelledby="today-heading">
        <div className="card__header">
          <h2 id="today-heading">Today's gate events</h2>
          <button type="button" className="button button--quiet" onClick={() => void refresh()}>
            Refresh
          </button>
        </div>
        {notice ? <Alert tone="success">{notice}</Alert> : null}
        {error ? <Alert tone="error">{error}</Alert> : null}
        <GateEventList
          events={events}
          correctedBy={correctedBy}
          busyId={busyId}
          onSubmit={(event) => void submit(event)}
          onEdit={(event) => setMode({ kind: 'edit', event })}
          onCorrect={(original) => setMode({ kind: 'correct', original })}
        />
      </section>
    </div>
  );
}
