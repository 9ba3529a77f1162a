import { Badge } from '../components.js';
import { formatTime } from '../format.js';
import type { GateEvent } from './gate-event.js';

interface Props {
  events: GateEvent[];
  /** Events that later corrections refer to, by id → the correcting event. */
  correctedBy: ReadonlyMap<string, GateEvent>;
  busyId: string | null;
  onSubmit: (event: GateEvent) => void;
  onEdit: (event: GateEvent) => void;
  onCorrect: (event: GateEvent) => void;
}

export function GateEventList({ events, correctedBy, busyId, onSubmit, onEdit, onCorrect }: Props) {
  if (events.length === 0) return <p className="empty">No gate events recorded today.</p>;
  const byId = new Map(events.map((event) => [event.id, event]));
  return (
    <ul className="event-list" aria-label="Today's gate events">
      {events.map((event) => {
        const correction = correctedBy.get(event.id);
        const corrected = event.correctsId ? byId.get(event.correctsId) : undefined;
        return (
          <li key={event.id} className={`event${correction ? ' event--superseded' : ''}`}>
            <div className="event__head">
              <Badge tone={event.direction}>{event.direction === 'in' ? 'IN' : 'OUT'}</Badge>
              <span className="event__plate">{event.truckPlate}</span>
              <span className="event__time">{formatTime(event.recordedAt)}</span>
              {event.status === 'draft' ? <Badge tone="draft">Draft</Badge> : <Badge tone="final">Submitted</Badge>}
              {event.correctsId ? <Badge tone="warn">Correction</Badge> : null}
              {correction ? <Badge tone="muted">Corrected</Badge> : null}
            </div>
            <dl className="event__details">
              <dt>Carrier</dt>
              <dd>{event.carrier}</dd>
              {event.driverName ? (
                <>
                  <dt>Driver</dt>
                  <dd>{event.driverName}</dd>
                </>
              ) : null}
              {event.containerNumber ? (
                <>
                  <dt>Container</dt>
                  <dd className="mono">{event.containerNumber}</dd>
                </>
              ) : null}
              {event.chassisNumber ? (
                <>
                  <dt>Chassis</dt>
                  <dd className="mono">{event.chassisNumber}</dd>
                </>
              ) : null}
              {event.sealNumbers.length > 0 ? (
                <>
                  <dt>Seals</dt>
                  <dd className="mono">{event.sealNumbers.join(', ')}</dd>
                </>
              ) : null}
              {event.photos.length > 0 ? (
                <>
                  <dt>Photos</dt>
                  <dd>{event.photos.length === 1 ? '1 photo' : `${event.photos.length} photos`}</dd>
                </>
              ) : null}
            </dl>
            {event.correctsId ? (
              <p className="event__note">Corrects the event of {corrected ? `${corrected.truckPlate} at ${formatTime(corrected.recordedAt)}` : 'an earlier day'}.</p>
            ) : null}
            {correction ? <p className="event__note">Corrected at {formatTime(correction.enteredAt)}: the correction is listed above.</p> : null}
            <div className="event__actions">
              {event.status === 'draft' ? (
                <>
                  <button type="button" className="button" onClick={() => onEdit(event)} disabled={busyId !== null}>
                    Edit
                  </button>
                  <button type="button" className="button button--primary" onClick={() => onSubmit(event)} disabled={busyId !== null}>
                    {busyId === event.id ? 'Submitting…' : 'Submit'}
                  </button>
                </>
              ) : correction ? null : (
                <button type="button" className="button" onClick={() => onCorrect(event)} disabled={busyId !== null}>
                  Correct
                </button>
              )}
            </div>
          </li>
        );
      })}
    </ul>
  );
}
