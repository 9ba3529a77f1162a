import { useRef, useState, type FormEvent } from 'react';
import type { ChecklistItem, ChecklistTemplate } from '../../protocol/checklists.js';
import type { FieldOperation } from '../../protocol/actions.js';
import { call, errorMessage } from '../api.js';
import { sentence } from '../format.js';
import { Alert, Choice, TextField } from '../components.js';
import { attachPng } from '../attachments/attachments.js';
import { AttachmentImage } from '../attachments/AttachmentImage.js';
import { PhotoPicker } from '../attachments/PhotoPicker.js';
import { SignaturePad } from '../attachments/SignaturePad.js';
import { checklistProgress, readInspection, submitProblems, type ChecklistAnswer, type ChecklistResult, type Inspection } from './inspection.js';

interface Props {
  initial: Inspection;
  template: ChecklistTemplate;
  /** Back to the list, with a message to show there (or none). */
  onClose: (message: string | null) => void;
}

const RESULTS = [
  { value: 'pass', label: 'Pass' },
  { value: 'fail', label: 'Fail' },
  { value: 'na', label: 'N/A' },
] as const;

const resultTone = (result: ChecklistResult) => `tone-${result}`;

/** A draft inspection: every tap is saved at once as its own journaled action. */
export function InspectionForm({ initial, template, onClose }: Props) {
  const [inspection, setInspection] = useState(initial);
  const [saved, setSaved] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [defect, setDefect] = useState('');
  const [remarks, setRemarks] = useState(initial.remarks ?? '');
  const [resigning, setResigning] = useState(false);
  // Actions go to the core one at a time, in the order the inspector made them.
  const queue = useRef<Promise<unknown>>(Promise.resolve());

  function perform(action: 'update' | 'submit', ops: FieldOperation[]): Promise<number | null> {
    const run = async () => {
      setError(null);
      try {
        const { seq, record } = await call('records.perform', { recordType: 'inspection', recordId: inspection.id, action, ops });
        setInspection(readInspection(record));
        setSaved(`Saved · journal entry ${seq}`);
        return seq;
      } catch (failure) {
        setError(errorMessage(failure));
        return null;
      }
    };
    const next = queue.current.then(run);
    queue.current = next;
    return next;
  }

  const answer = (item: ChecklistItem, value: ChecklistAnswer) =>
    void perform('update', [{ op: 'set', field: 'items', key: item.id, value: value.note?.trim() ? value : { result: value.result } }]);

  function addDefect(event: FormEvent) {
    event.preventDefault();
    const text = defect.trim();
    if (!text) return;
    void perform('update', [{ op: 'add', field: 'defects', member: text }]).then((seq) => seq !== null && setDefect(''));
  }

  async function sign(pngDataUrl: string) {
    let signature: string;
    try {
      signature = await attachPng(pngDataUrl);
    } catch (failure) {
      setError(errorMessage(failure));
      return;
    }
    const seq = await perform('update', [{ op: 'set', field: 'signature', value: signature }]);
    if (seq !== null) setResigning(false);
  }

  async function submit() {
    const seq = await perform('submit', [{ op: 'set', field: 'submittedAt', value: Date.now() }]);
    if (seq !== null) onClose(`Submitted the inspection of ${inspection.equipmentNumber} (journal entry ${seq}).`);
  }

  const progress = checklistProgress(inspection, template);
  const problems = submitProblems(inspection);

  return (
    <div className="inspection-form">
      <section className="card">
        <div className="card__header">
          <div>
            <h2>
              {template.title} · <span className="mono">{inspection.equipmentNumber}</span>
            </h2>
            <p className="muted">
              {progress.answered} of {progress.total} items answered
              {progress.failed > 0 ? ` · ${progress.failed} failed` : ''}
              {inspection.odometer !== null ? ` · odometer ${inspection.odometer.toLocaleString()} mi` : ''}
            </p>
          </div>
          <button type="button" className="button" onClick={() => onClose(null)}>
            Back to list
          </button>
        </div>
        <p className="muted" aria-live="polite">
          {saved ?? 'Each answer is saved as soon as you give it.'}
        </p>
        {error ? <Alert tone="error">{error}</Alert> : null}
        <ol className="checklist" aria-label="Checklist">
          {template.items.map((item) => (
            <ChecklistItemRow key={item.id} item={item} answer={inspection.items[item.id]} onAnswer={(value) => answer(item, value)} />
          ))}
        </ol>
      </section>

      <section className="card" aria-labelledby="defects-heading">
        <h2 id="defects-heading">Defects</h2>
        {inspection.defects.length === 0 ? <p className="empty">No defects noted.</p> : null}
        <ul className="chips" aria-label="Defects">
          {inspection.defects.map((text) => (
            <li key={text} className="chip">
              {text}
              <button type="button" className="chip__remove" aria-label={`Remove defect ${text}`} onClick={() => void perform('update', [{ op: 'remove', field: 'defects', member: text }])}>
                ×
              </button>
            </li>
          ))}
        </ul>
        <form className="inline-form" onSubmit={addDefect} aria-label="Add a defect">
          <TextField label="New defect" value={defect} onChange={setDefect} placeholder="e.g. left marker lamp out" />
          <button type="submit" className="button">
            Add defect
          </button>
        </form>
        <PhotoPicker
          label="Defect photos"
          photos={inspection.photos}
          onAdd={(sha256) => perform('update', [{ op: 'add', field: 'photos', member: sha256 }])}
          onRemove={(sha256) => void perform('update', [{ op: 'remove', field: 'photos', member: sha256 }])}
        />
        <TextField
          label="Remarks"
          multiline
          value={remarks}
          onChange={setRemarks}
          onBlur={() => remarks !== (inspection.remarks ?? '') && void perform('update', [{ op: 'set', field: 'remarks', value: remarks }])}
        />
      </section>

      <section className="card" aria-labelledby="submit-heading">
        <h2 id="submit-heading">Sign and submit</h2>
        {inspection.signature && !resigning ? (
          <div className="signature">
            <AttachmentImage className="signature__image" sha256={inspection.signature} alt="Inspector signature" />
            <p>Signed.</p>
            <button type="button" className="button" onClick={() => setResigning(true)}>
              Sign again
            </button>
          </div>
        ) : (
          <SignaturePad label="Inspector signature" onAccept={sign} />
        )}
        {problems.length > 0 ? (
          <Alert tone="info">
            Before submitting:
            <ul>
              {problems.map((problem) => (
                <li key={problem}>{sentence(problem)}</li>
              ))}
            </ul>
          </Alert>
        ) : null}
        {progress.answered < progress.total ? <p className="muted">{progress.total - progress.answered} items are not answered yet.</p> : null}
        <div className="actions">
          <button type="button" className="button button--primary" disabled={problems.length > 0} onClick={() => void submit()}>
            Submit inspection
          </button>
        </div>
      </section>
    </div>
  );
}

interface ItemProps {
  item: ChecklistItem;
  answer: ChecklistAnswer | undefined;
  onAnswer: (answer: ChecklistAnswer) => void;
}

function ChecklistItemRow({ item, answer, onAnswer }: ItemProps) {
  const [note, setNote] = useState(answer?.note ?? '');
  const needsNote = answer?.result === 'fail' && !note.trim();
  return (
    <li className="check-item">
      <div className="check-item__main">
        <span className="check-item__label">{item.label}</span>
        <Choice label={item.label} options={RESULTS} value={answer?.result ?? null} toneOf={resultTone} onChange={(result) => onAnswer({ result, note })} />
      </div>
      {answer ? (
        <TextField
          label={answer.result === 'fail' ? 'What is wrong (required)' : 'Note'}
          value={note}
          error={needsNote ? 'Describe the defect of a failed item' : undefined}
          onChange={setNote}
          onBlur={() => note !== (answer.note ?? '') && onAnswer({ result: answer.result, note })}
        />
      ) : null}
    </li>
  );
}
