import { useState, type FormEvent } from 'react';
import type { ChecklistItem, ChecklistTemplate } from '../../protocol/checklists.js';
import { call } from '../api.js';
import { explain } from '../messages.js';
import { useDraft } from '../drafts.js';
import { LONG_TEXT_MAX, SHORT_TEXT_MAX } from '../../protocol/records/define.js';
import { sentence } from '../format.js';
import { Alert, Choice, FormHeader, TextField } from '../components.js';
import { PhotoPicker } from '../attachments/PhotoPicker.js';
import { SignatureField } from '../attachments/SignatureField.js';
import { useRecordActions } from '../record-actions.js';
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
/** Where on the form a refusal shows: beside what the inspector just did, never somewhere scrolled away. */
type Place = 'checklist' | 'defects' | 'photos' | 'remarks' | 'submit';

/** Typed text not yet saved as an action: kept for the inspector through a lock or a colleague's turn. */
interface TypedText {
  defect: string;
  remarks: string;
}

function parseTypedText(value: unknown): TypedText | null {
  const draft = value as Partial<TypedText> | null;
  return typeof draft?.defect === 'string' && typeof draft.remarks === 'string' ? { defect: draft.defect, remarks: draft.remarks } : null;
}

export function InspectionForm({ initial, template, onClose }: Props) {
  const [inspection, setInspection] = useState(initial);
  const typed = useDraft<TypedText>(`inspection.${initial.id}`, { defect: '', remarks: initial.remarks ?? '' }, parseTypedText);
  const { defect, remarks } = typed.value;
  const setDefect = (value: string) => typed.set((current) => ({ ...current, defect: value }));
  const setRemarks = (value: string) => typed.set((current) => ({ ...current, remarks: value }));
  const { perform, errors, setErrors, settled, saved, photoActions, sign } = useRecordActions<Place>('inspection', initial.id, (record) => setInspection(readInspection(record)));

  const answer = (item: ChecklistItem, value: ChecklistAnswer) =>
    void perform('checklist', [{ op: 'set', field: 'items', key: item.id, value: value.note?.trim() ? value : { result: value.result } }]);

  function addDefect(event: FormEvent) {
    event.preventDefault();
    const text = defect.trim();
    if (!text) return setErrors({ defects: 'Describe the defect first.' });
    // A defect list is a set: the same words again would add nothing, so say so instead.
    if (inspection.defects.some((listed) => listed.toLowerCase() === text.toLowerCase())) return setErrors({ defects: 'That defect is already listed.' });
    void perform('defects', [{ op: 'add', field: 'defects', member: text }]).then((seq) => seq !== null && setDefect(''));
  }

  async function submit() {
    await settled();
    setErrors({});
    try {
      const [submitted, workOrder] = await call('inspections.submit', { recordId: inspection.id, submittedAt: Date.now() });
      typed.clear();
      const completed = workOrder ? ` Its work order “${String(workOrder.record.fields.title)}” is marked done.` : '';
      onClose(`Submitted the inspection of ${inspection.equipmentNumber} (journal entry ${submitted!.seq}).${completed}`);
    } catch (failure) {
      setErrors({ submit: explain(failure).message });
    }
  }

  const progress = checklistProgress(inspection, template);
  const problems = submitProblems(inspection);
  const errorAt = (place: Place) => (errors[place] ? <Alert tone="error">{errors[place]}</Alert> : null);

  return (
    <div className="inspection-form">
      <section className="card">
        <FormHeader
          title={
            <>
              {template.title} · <span className="mono">{inspection.equipmentNumber}</span>
            </>
          }
          summary={
            <>
              {progress.answered} of {progress.total} items answered
              {progress.failed > 0 ? ` · ${progress.failed} failed` : ''}
              {inspection.odometer !== null ? ` · odometer ${inspection.odometer.toLocaleString()} mi` : ''}
            </>
          }
          onBack={() => onClose(null)}
        />
        <p className="muted" aria-live="polite">
          {saved ?? 'Each answer is saved as soon as you give it.'}
        </p>
        {typed.restored ? <Alert tone="info">Text you had typed and not saved was kept while you were away.</Alert> : null}
        <ol className="checklist" aria-label="Checklist">
          {template.items.map((item) => (
            <ChecklistItemRow key={item.id} item={item} answer={inspection.items[item.id]} onAnswer={(value) => answer(item, value)} />
          ))}
        </ol>
        {errorAt('checklist')}
      </section>

      <section className="card" aria-labelledby="defects-heading">
        <h2 id="defects-heading">Defects</h2>
        {inspection.defects.length === 0 ? <p className="empty">No defects noted.</p> : null}
        <ul className="chips" aria-label="Defects">
          {inspection.defects.map((text) => (
            <li key={text} className="chip">
              {text}
              <button type="button" className="chip__remove" aria-label={`Remove defect ${text}`} onClick={() => void perform('defects', [{ op: 'remove', field: 'defects', member: text }])}>
                ×
              </button>
            </li>
          ))}
        </ul>
        <form className="inline-form" onSubmit={addDefect} aria-label="Add a defect">
          <TextField
            label="New defect"
            value={defect}
            maxLength={SHORT_TEXT_MAX}
            error={errors.defects}
            onChange={(value) => {
              setDefect(value);
              setErrors({});
            }}
            placeholder="e.g. left marker lamp out"
          />
          <button type="submit" className="button">
            Add defect
          </button>
        </form>
        <PhotoPicker
          label="Defect photos"
          photos={inspection.photos}
          {...photoActions('photos')}
        />
        {errorAt('photos')}
        <TextField
          label="Remarks"
          multiline
          value={remarks}
          maxLength={LONG_TEXT_MAX}
          error={errors.remarks}
          onChange={setRemarks}
          onBlur={() => remarks !== (inspection.remarks ?? '') && void perform('remarks', [{ op: 'set', field: 'remarks', value: remarks }])}
        />
      </section>

      <section className="card" aria-labelledby="submit-heading">
        <h2 id="submit-heading">Sign and submit</h2>
        <SignatureField label="Inspector signature" signed={inspection.signature} onSign={(png) => sign('submit', 'signature', png)} />
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
        {errorAt('submit')}
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
