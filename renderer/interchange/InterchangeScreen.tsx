import { call } from '../api.js';
import { Badge } from '../components.js';
import { formatDateTime, formatTime, plural, startOfToday } from '../format.js';
import { InProgressCard, InProgressItem, useRecordsInProgress } from '../records-in-progress.js';
import { equipmentTypeLabel, readInterchange, type Interchange } from './interchange.js';
import { InterchangeForm } from './InterchangeForm.js';
import { StartInterchange } from './StartInterchange.js';
import './interchange.css';

async function loadInterchanges(): Promise<Interchange[]> {
  const records = await call('records.list', { recordType: 'equipmentInterchange' });
  return records.map(readInterchange).sort((a, b) => b.startedAt - a.startedAt);
}

/**
 * Equipment interchanges (EIR): start one on the left, resume one in progress on the right. Every
 * tap on an interchange is its own action, so one in progress is exactly where it was left, even
 * after a lock, a colleague's turn at the kiosk or the app being killed.
 */
export function InterchangeScreen() {
  const screen = useRecordsInProgress(loadInterchanges);
  const interchanges = screen.records;

  if (screen.active) return <InterchangeForm key={screen.active.id} initial={screen.active} onClose={screen.close} />;

  const inProgress = interchanges.filter((interchange) => interchange.status === 'draft');
  const today = startOfToday(Date.now());
  const submittedToday = interchanges.filter((interchange) => interchange.status === 'submitted' && interchange.interchangedAt >= today);

  return (
    <div className="interchange-screen">
      <StartInterchange onAttempt={screen.attempt} onStarted={screen.started} />
      <InProgressCard
        noun="interchange"
        screen={screen}
        drafts={inProgress.map((interchange) => (
          <InProgressItem
            key={interchange.id}
            head={
              <>
                <span className="event__plate">{interchange.equipmentNumber}</span>
                <Badge tone="muted">{equipmentTypeLabel(interchange.equipmentType)}</Badge>
                <Badge tone="draft">Draft</Badge>
              </>
            }
            note={
              <>
                {interchange.fromCarrier} → {interchange.toCarrier} · started {formatDateTime(interchange.startedAt)}
                {interchange.damages.length > 0 ? ` · ${plural(interchange.damages.length, 'damage mark', 'damage marks')}` : ''}
              </>
            }
            onResume={() => screen.open(interchange.id)}
          />
        ))}
        submittedToday={submittedToday.map((interchange) => (
          <li key={interchange.id}>
            {formatTime(interchange.interchangedAt)} · <span className="mono">{interchange.equipmentNumber}</span> · {interchange.fromCarrier} → {interchange.toCarrier}
          </li>
        ))}
      />
    </div>
  );
}
