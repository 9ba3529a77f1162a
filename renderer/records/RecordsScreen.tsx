import { useEffect, useId, useState } from 'react';
import type { OperatorRole, RecordRowView, RecordSearchView, SearchableRecordType } from '../../main/ipc/contract.js';
import { call } from '../api.js';
import { explain, type Problem } from '../messages.js';
import { Alert, Badge, Choice, TextField } from '../components.js';
import { formatDateTime, formatDay, formatTime, startOfToday } from '../format.js';
import { useSyncRevision } from '../sync/SyncStatus.js';
import { addDays, dateInputValue, fromDateInput } from './days.js';
import { RecordDetail, type RecordRef } from './RecordDetail.js';
import { ROLE_RECORDS, SYNC_WORDS } from './words.js';
import './records.css';

const SEARCH_LABELS: Record<SearchableRecordType, string> = {
  inspection: 'Search by unit number',
  gateEvent: 'Search by plate, container or chassis number',
  equipmentInterchange: 'Search by equipment number',
};

interface Props {
  role: OperatorRole;
  /** Where a record type has a correction flow: opens it for a submitted record. */
  corrections: Partial<Record<SearchableRecordType, (recordId: string) => void>>;
}

/**
 * Submitted and draft records of the role's kinds, one day at a time (today first) or all the
 * days the device keeps, found by unit, plate or container number; the core does the finding.
 * Opening one shows all of it, read-only.
 */
export function RecordsScreen({ role, corrections }: Props) {
  const kinds = ROLE_RECORDS[role];
  const [kind, setKind] = useState(kinds[0]!.type);
  const [text, setText] = useState('');
  const [day, setDay] = useState(() => startOfToday(Date.now()));
  const [allDays, setAllDays] = useState(false);
  const [found, setFound] = useState<RecordSearchView | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [opened, setOpened] = useState<RecordRef | null>(null);
  const revision = useSyncRevision();
  const dayId = useId();

  useEffect(() => {
    let current = true;
    const range = allDays ? { from: 0, to: Number.MAX_SAFE_INTEGER } : { from: day, to: addDays(day, 1) };
    call('records.search', { recordType: kind, text, ...range }).then(
      (answer) => {
        if (!current) return;
        setFound(answer);
        setProblem(null);
      },
      (failure: unknown) => current && setProblem(explain(failure)),
    );
    return () => {
      current = false;
    };
  }, [kind, text, day, allDays, revision]);

  if (opened) {
    const correct = corrections[opened.recordType];
    return <RecordDetail key={opened.recordId} record={opened} onBack={() => setOpened(null)} onOpen={setOpened} onCorrect={correct && (() => correct(opened.recordId))} />;
  }

  const today = startOfToday(Date.now());
  const kindLabel = kinds.find((candidate) => candidate.type === kind)!.label;
  const when = allDays ? 'on this device' : day === today ? 'today' : `on ${formatDay(day)}`;
  const searched = text.trim();
  const oldestDay = found?.keptSince ? startOfToday(found.keptSince) : null;

  return (
    <div className="records-screen">
      <section className="card" aria-labelledby="records-find-heading">
        <h2 id="records-find-heading">Find a record</h2>
        {kinds.length > 1 ? <Choice label="Records to show" options={kinds.map(({ type, label }) => ({ value: type, label }))} value={kind} onChange={setKind} /> : null}
        <TextField
          label={SEARCH_LABELS[kind]}
          autoCapitalize
          value={text}
          placeholder="Type part of the number"
          error={problem?.field === 'text' ? problem.message : undefined}
          onChange={setText}
        />
        <div className="records-days" role="group" aria-label="Day">
          <button type="button" className="button" disabled={allDays || (oldestDay !== null && day <= oldestDay)} onClick={() => setDay(addDays(day, -1))}>
            Earlier day
          </button>
          <div className="field records-days__pick">
            <label htmlFor={dayId}>Day</label>
            <input
              id={dayId}
              type="date"
              value={dateInputValue(day)}
              min={oldestDay === null ? undefined : dateInputValue(oldestDay)}
              max={dateInputValue(today)}
              disabled={allDays}
              onChange={(event) => {
                const picked = fromDateInput(event.target.value);
                if (picked !== null) setDay(Math.min(picked, today));
              }}
            />
          </div>
          <button type="button" className="button" disabled={allDays || day >= today} onClick={() => setDay(addDays(day, 1))}>
            Later day
          </button>
          <button type="button" className={`button${allDays ? ' button--on' : ''}`} aria-pressed={allDays} onClick={() => setAllDays(!allDays)}>
            All days
          </button>
        </div>
        <p className="muted">
          {found?.keptSince ? `This device keeps records from ${formatDay(found.keptSince)} on. ` : ''}Older records are kept at the office.
        </p>
      </section>
      <section className="card" aria-labelledby="records-list-heading">
        <h2 id="records-list-heading">
          {kindLabel} {when}
          {!allDays && day === today ? <span className="muted"> · {formatDay(day)}</span> : null}
        </h2>
        {problem && problem.field !== 'text' ? <Alert tone="error">{problem.message}</Alert> : null}
        {found && found.rows.length === 0 ? (
          <p className="empty">
            {searched ? `No ${kindLabel.toLowerCase()} match “${searched.toUpperCase()}” ${when}. Check the number, or search all days.` : `No ${kindLabel.toLowerCase()} ${when}.`}
          </p>
        ) : null}
        <ul className="event-list" aria-label="Records found">
          {found?.rows.map((row) => (
            <RecordRow key={row.recordId} row={row} withDate={allDays} onOpen={() => setOpened(row)} />
          ))}
        </ul>
        {found?.more ? <p className="muted">Showing the newest {found.rows.length}. Type more of the number, or pick a day, to find the others.</p> : null}
      </section>
    </div>
  );
}

function RecordRow({ row, withDate, onOpen }: { row: RecordRowView; withDate: boolean; onOpen: () => void }) {
  const sync = SYNC_WORDS[row.sync];
  return (
    <li>
      <button type="button" className="record-row" onClick={onOpen}>
        <span className="record-row__title">{row.title}</span>
        <span className="record-row__meta">
          {withDate ? formatDateTime(row.at) : formatTime(row.at)} · {row.who ?? 'recorded elsewhere'}
        </span>
        <span className="record-row__badges">
          <Badge tone={sync.tone}>{sync.tag}</Badge>
          {row.status === 'draft' ? <Badge tone="draft">Draft</Badge> : <Badge tone="final">Submitted</Badge>}
          {row.correction ? <Badge tone="warn">Correction</Badge> : null}
        </span>
      </button>
    </li>
  );
}
