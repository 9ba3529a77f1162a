import { useEffect, useState } from 'react';
import type { HistoryEntryView, IpcInput, RecordDetailView, RecordLinkView, RecordValueView, SearchableRecordType } from '../../main/ipc/contract.js';
import { call } from '../api.js';
import { errorMessage } from '../messages.js';
import { Alert, Badge } from '../components.js';
import { AttachmentImage } from '../attachments/AttachmentImage.js';
import { formatDateTime } from '../format.js';
import { useSyncRevision } from '../sync/SyncStatus.js';
import { PhotoThumbnails } from './PhotoThumbnails.js';
import { ACTION_WORDS, officeWords, RESULT_WORDS, SYNC_WORDS, valueWords } from './words.js';

export interface RecordRef {
  recordType: SearchableRecordType;
  recordId: string;
}

interface Props {
  record: RecordRef;
  onBack: () => void;
  /** Opens another record (the one this corrects, or a correction of it). */
  onOpen: (record: RecordRef) => void;
  /** The record type's correction flow, when it has one. */
  onCorrect: (() => void) | undefined;
}

type Loaded = { state: 'loading' } | { state: 'gone' } | { state: 'shown'; detail: RecordDetailView; history: HistoryEntryView[] } | { state: 'failed'; message: string };

/** Fields shown in their own section rather than as a line of the details. */
const SECTIONS: ReadonlySet<RecordValueView['kind']> = new Set(['checklist', 'photos', 'signature']);

/** A whole record, read-only: every field by its label, its photos and signatures, and its history. */
export function RecordDetail({ record, onBack, onOpen, onCorrect }: Props) {
  const [loaded, setLoaded] = useState<Loaded>({ state: 'loading' });
  const revision = useSyncRevision();

  const { recordType, recordId } = record;
  useEffect(() => {
    let current = true;
    const ref = { recordType, recordId };
    Promise.all([call('records.open', ref), call('records.history', ref)]).then(
      ([detail, history]) => current && setLoaded(detail ? { state: 'shown', detail, history } : { state: 'gone' }),
      (failure: unknown) => current && setLoaded({ state: 'failed', message: errorMessage(failure) }),
    );
    return () => {
      current = false;
    };
  }, [recordType, recordId, revision]);

  const back = (
    <button type="button" className="button" onClick={onBack}>
      Back to records
    </button>
  );
  if (loaded.state !== 'shown') {
    return (
      <section className="card record-detail" aria-label="Record">
        <div className="card__header">
          <h2>{loaded.state === 'gone' ? 'Record not on this device' : 'Record'}</h2>
          {back}
        </div>
        {loaded.state === 'loading' ? <p className="muted">Loading…</p> : null}
        {loaded.state === 'gone' ? <p>This record is no longer on this device. The office keeps it.</p> : null}
        {loaded.state === 'failed' ? <Alert tone="error">{loaded.message}</Alert> : null}
      </section>
    );
  }

  const { detail, history } = loaded;
  const { row } = detail;
  const sync = SYNC_WORDS[row.sync];
  const link = (target: RecordLinkView) =>
    target.openable ? (
      <button type="button" className="link-button" onClick={() => onOpen(target)}>
        {target.title}
      </button>
    ) : (
      target.title
    );

  return (
    <div className="record-detail">
      <section className="card" aria-labelledby="record-title">
        <div className="card__header">
          <div>
            <h2 id="record-title">{row.title}</h2>
            <p className="muted">
              {detail.kind} · {formatDateTime(row.at)} · {row.who ?? 'recorded on another device or at the office'}
            </p>
          </div>
          {back}
        </div>
        <div className="record-detail__badges">
          <Badge tone={sync.tone}>{sync.tag}</Badge>
          {row.status === 'draft' ? <Badge tone="draft">Draft</Badge> : <Badge tone="final">Submitted</Badge>}
          {row.correction ? <Badge tone="warn">Correction</Badge> : null}
        </div>
        <p>{sync.sentence}</p>
        {detail.correctedBy.length > 0 ? (
          <p>
            Corrected by{' '}
            {detail.correctedBy.map((correction, index) => (
              <span key={correction.recordId}>
                {index > 0 ? ', ' : ''}
                {link(correction)}
              </span>
            ))}
            .
          </p>
        ) : null}
        {(onCorrect && detail.correctable) || receiptOf(record, row.status) ? (
          <div className="actions">
            {onCorrect && detail.correctable ? (
              <button type="button" className="button button--primary" onClick={onCorrect}>
                Correct this {detail.kind.toLowerCase()}
              </button>
            ) : null}
            {receiptOf(record, row.status) ? <ReceiptButton record={receiptOf(record, row.status)!} /> : null}
          </div>
        ) : null}
      </section>

      <section className="card" aria-labelledby="record-fields-heading">
        <h2 id="record-fields-heading">Details</h2>
        <dl className="record-fields">
          {detail.fields
            .filter(({ value }) => !SECTIONS.has(value.kind))
            .map(({ field, label, value }) => (
              <div key={field} className="record-fields__item">
                <dt>{label}</dt>
                <dd>{value.kind === 'record' && value.record ? link(value.record) : <Shown value={value} />}</dd>
              </div>
            ))}
        </dl>
      </section>

      {detail.fields
        .filter(({ value }) => SECTIONS.has(value.kind))
        .map(({ field, label, value }) => (
          <section key={field} className="card" aria-labelledby={`record-${field}-heading`}>
            <h2 id={`record-${field}-heading`}>{label}</h2>
            <Section label={label} value={value} />
          </section>
        ))}

      <section className="card" aria-labelledby="record-history-heading">
        <h2 id="record-history-heading">History</h2>
        {history.length === 0 ? (
          <p className="empty">No change to it was made on this device: the office keeps its history.</p>
        ) : history[0]!.action !== 'create' ? (
          <p className="muted">Earlier changes were sent to the office, which keeps them.</p>
        ) : null}
        <ol className="record-history" aria-label="History">
          {history.map((entry) => (
            <HistoryItem key={entry.seq} entry={entry} />
          ))}
        </ol>
      </section>
    </div>
  );
}

type ReceiptRef = IpcInput<'receipts.pdf'>;

/** Submitted inspections and interchanges have a signed receipt; other records none. */
function receiptOf(record: RecordRef, status: string | null | undefined): ReceiptRef | null {
  if (status !== 'submitted') return null;
  return record.recordType === 'inspection' || record.recordType === 'equipmentInterchange' ? { recordType: record.recordType, recordId: record.recordId } : null;
}

/** Saves the signed receipt PDF through the browser's own download: the renderer has no file system. */
function ReceiptButton({ record }: { record: ReceiptRef }) {
  const [state, setState] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });
  const download = () => {
    setState({ busy: true, error: null });
    call('receipts.pdf', record).then(
      ({ fileName, pdfBase64 }) => {
        const bytes = Uint8Array.from(atob(pdfBase64), (character) => character.charCodeAt(0));
        const url = URL.createObjectURL(new Blob([bytes], { type: 'application/pdf' }));
        const link = document.createElement('a');
        link.href = url;
        link.download = fileName;
        link.click();
        // The click starts the download from the URL at once; the next task may let it go.
        setTimeout(() => URL.revokeObjectURL(url), 0);
        setState({ busy: false, error: null });
      },
      (failure: unknown) => setState({ busy: false, error: errorMessage(failure) }),
    );
  };
  return (
    <>
      <button type="button" className="button" onClick={download} disabled={state.busy}>
        {state.busy ? 'Making the receipt…' : 'Receipt (PDF)'}
      </button>
      {state.error ? <Alert tone="error">{state.error}</Alert> : null}
    </>
  );
}

function HistoryItem({ entry }: { entry: HistoryEntryView }) {
  // A new record's empty fields were not changed: only what it was created with is listed.
  const changes = entry.action === 'create' ? entry.changes.filter(({ value }) => valueWords(value) !== null) : entry.changes;
  return (
    <li className="record-history__entry">
      <p className="record-history__head">
        <strong>{ACTION_WORDS[entry.action]}</strong> {formatDateTime(entry.deviceTime)} by {entry.operatorName ?? 'an operator no longer on this device'}
      </p>
      {changes.length > 0 ? (
        <ul className="record-history__changes">
          {changes.map((change, index) => (
            <li key={index}>{changeWords(change)}</li>
          ))}
        </ul>
      ) : null}
      <p className={`record-history__office record-history__office--${entry.office.outcome}`}>{officeWords(entry.office)}</p>
    </li>
  );
}

/** A value on a line of the details; an empty one says so. */
function Shown({ value }: { value: RecordValueView }) {
  return <>{valueWords(value) ?? <span className="muted">None</span>}</>;
}

function Section({ label, value }: { label: string; value: RecordValueView }) {
  switch (value.kind) {
    case 'photos':
      return <PhotoThumbnails label={label} photos={value.sha256} />;
    case 'signature':
      return value.sha256 ? <AttachmentImage className="signature__image" sha256={value.sha256} alt={label} /> : <p className="empty">Not signed.</p>;
    case 'checklist':
      return (
        <ol className="record-checklist" aria-label={label}>
          {value.answers.map((answer, index) => (
            <li key={index} className="record-checklist__item">
              <span className="record-checklist__label">{answer.label}</span>
              <span className={`record-answer record-answer--${answer.result ?? 'none'}`}>{answer.result ? RESULT_WORDS[answer.result] : 'Not answered'}</span>
              {answer.note ? <span className="record-checklist__note">{answer.note}</span> : null}
            </li>
          ))}
        </ol>
      );
    default:
      return <Shown value={value} />;
  }
}

function changeWords({ label, change, value }: HistoryEntryView['changes'][number]): string {
  if (change === 'delete') return 'Deleted the record';
  // A checklist answer is named by its item, which is more than the field's label says.
  if (value.kind === 'checklist') return valueWords(value) ?? label;
  const words = valueWords(value);
  if (change === 'set') return `${label}: ${words ?? 'cleared'}`;
  return `${label}: ${change === 'increment' ? 'counted' : change === 'add' ? 'added' : 'removed'} ${words ?? ''}`.trimEnd();
}
