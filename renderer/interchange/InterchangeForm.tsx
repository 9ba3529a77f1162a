import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useDraft } from '../drafts.js';
import { useRecordActions } from '../record-actions.js';
import { Alert, Badge, Choice, FormHeader, TextField } from '../components.js';
import { ContainerNumberField } from '../ContainerNumberField.js';
import { PhotoPicker } from '../attachments/PhotoPicker.js';
import { SignatureField } from '../attachments/SignatureField.js';
import { LONG_TEXT_MAX, SHORT_TEXT_MAX } from '../../protocol/records/define.js';
import {
  checkEquipmentNumber,
  checkParty,
  CONDITIONS,
  DAMAGE_SIZES,
  DAMAGE_TYPES,
  damageMark,
  equipmentTypeLabel,
  marksPerSide,
  readInterchange,
  SIDES,
  submitProblems,
  type Condition,
  type DamageSize,
  type DamageType,
  type Interchange,
  type Place,
  type Side,
} from './interchange.js';

interface Props {
  initial: Interchange;
  /** Back to the list, with a message to show there (or none). */
  onClose: (message: string | null) => void;
}

/** Typed text not yet saved as an action (it is saved when the field is left): kept for the operator through a lock or a colleague's turn. */
interface TypedText {
  equipmentNumber: string;
  fromCarrier: string;
  toCarrier: string;
  conditionNote: string;
}
type TypedField = keyof TypedText;

function parseTypedText(value: unknown): TypedText | null {
  const draft = value as Partial<TypedText> | null;
  const names: TypedField[] = ['equipmentNumber', 'fromCarrier', 'toCarrier', 'conditionNote'];
  return draft && names.every((name) => typeof draft[name] === 'string') ? (draft as TypedText) : null;
}

function textsOf(interchange: Interchange): TypedText {
  const { equipmentNumber, fromCarrier, toCarrier, conditionNote } = interchange;
  return { equipmentNumber, fromCarrier, toCarrier, conditionNote: conditionNote ?? '' };
}

const SIDE_LABELS: Record<Side, string> = { front: 'Front', rear: 'Rear', left: 'Left', right: 'Right', top: 'Top', interior: 'Interior' };
const TYPE_OPTIONS = DAMAGE_TYPES.map((value) => ({ value, label: value.charAt(0).toUpperCase() + value.slice(1) }));
const SIZE_OPTIONS = DAMAGE_SIZES.map((value) => ({ value, label: value.charAt(0).toUpperCase() + value.slice(1) }));
const CONDITION_TONES: Record<Condition, string> = { good: 'tone-pass', fair: 'tone-na', damaged: 'tone-fail' };

/** A draft interchange: every tap is saved at once as its own journaled action; typed text when its field is left. */
export function InterchangeForm({ initial, onClose }: Props) {
  const [interchange, setInterchange] = useState(initial);
  // What the record holds once every action asked for is answered, for the submit that waits for them.
  const latest = useRef(initial);
  const { perform, errors, settled, saved, photoActions, sign } = useRecordActions<Place>('equipmentInterchange', initial.id, (record) => {
    latest.current = readInterchange(record);
    setInterchange(latest.current);
  });
  const typed = useDraft<TypedText>(`interchange.${initial.id}`, textsOf(initial), parseTypedText);
  const [textErrors, setTextErrors] = useState<Partial<Record<TypedField, string>>>({});
  // After a refused submit, what is missing shows beside each part until it is done.
  const [attempts, setAttempts] = useState(0);
  const [submitting, setSubmitting] = useState(false);
  const formRef = useRef<HTMLDivElement>(null);
  const conditionLabel = useId();
  const typeName = equipmentTypeLabel(interchange.equipmentType);

  const type = (name: TypedField, value: string) => {
    typed.set((current) => ({ ...current, [name]: value }));
    setTextErrors((current) => ({ ...current, [name]: undefined }));
  };

  /** A typed field as the record would take it, or why it cannot. */
  function checkTyped(name: TypedField): { ok: true; value: string } | { ok: false; message: string } {
    const text = typed.value[name];
    if (name === 'equipmentNumber') return checkEquipmentNumber(interchange.equipmentType, text);
    if (name === 'conditionNote') return { ok: true, value: text.trim() };
    return checkParty(text, name === 'fromCarrier' ? 'delivering' : 'receiving');
  }

  /** Saves a typed field as its own action when it is left, if it changed and holds what the record takes. */
  function leave(name: TypedField) {
    const checked = checkTyped(name);
    if (!checked.ok) return setTextErrors((current) => ({ ...current, [name]: checked.message }));
    const place: Place = name === 'conditionNote' ? 'condition' : 'identity';
    if (checked.value !== (interchange[name] ?? '')) void perform(place, [{ op: 'set', field: name, value: checked.value }]);
  }

  async function submit() {
    setSubmitting(true);
    // A field left by pressing Submit is saved first.
    await settled();
    // Text the record would not take stays unsaved: submitting would record what it replaced.
    const unsaved = (Object.keys(typed.value) as TypedField[]).some((name) => !checkTyped(name).ok);
    if (unsaved || Object.keys(submitProblems(latest.current)).length > 0) {
      setSubmitting(false);
      setAttempts((count) => count + 1);
      return;
    }
    const seq = await perform('submit', [{ op: 'set', field: 'interchangedAt', value: Date.now() }], 'submit');
    setSubmitting(false);
    if (seq === null) return;
    typed.clear();
    onClose(`Submitted the interchange of ${latest.current.equipmentNumber} (journal entry ${seq}). It can no longer change; record a correction if needed.`);
  }

  // The first thing to fix comes into view; the sticky bar must not cover it.
  useEffect(() => {
    if (attempts > 0) formRef.current?.querySelector('[data-problem]')?.scrollIntoView({ block: 'center' });
  }, [attempts]);

  // Text kept from before a lock is worth a word only when it is not what the record already holds.
  const recorded = textsOf(interchange);
  const keptUnsaved = typed.restored && (Object.keys(recorded) as TypedField[]).some((name) => typed.value[name] !== recorded[name]);
  const problems = attempts > 0 ? submitProblems(interchange) : {};
  const stillToDo = Object.values(problems).flat().length + Object.values(textErrors).filter(Boolean).length;
  const shownAt = (place: Place) => (
    <>
      {problems[place]?.map((problem) => (
        <p key={problem} className="interchange-problem" role="alert" data-problem>
          {problem}
        </p>
      ))}
      {errors[place] ? <Alert tone="error">{errors[place]}</Alert> : null}
    </>
  );

  return (
    <div className="interchange-form" ref={formRef}>
      <section className="card" aria-labelledby="interchange-heading">
        <FormHeader
          headingId="interchange-heading"
          title={
            <>
              Interchange of <span className="mono">{interchange.equipmentNumber}</span>
            </>
          }
          summary={
            <>
              <Badge tone="muted">{typeName}</Badge> {interchange.fromCarrier} → {interchange.toCarrier}
            </>
          }
          onBack={() => onClose(null)}
        />
        {keptUnsaved ? <Alert tone="info">Text you had typed and not saved was kept while you were away.</Alert> : null}
        <div className="field-grid">
          {interchange.equipmentType === 'container' ? (
            <ContainerNumberField required value={typed.value.equipmentNumber} error={textErrors.equipmentNumber} onChange={(value) => type('equipmentNumber', value)} onBlur={() => leave('equipmentNumber')} />
          ) : (
            <TextField
              label={`${typeName} number`}
              required
              autoCapitalize
              maxLength={SHORT_TEXT_MAX}
              value={typed.value.equipmentNumber}
              error={textErrors.equipmentNumber}
              onChange={(value) => type('equipmentNumber', value)}
              onBlur={() => leave('equipmentNumber')}
            />
          )}
          <div className="interchange-type">
            <span className="field__label">Equipment</span>
            <p>{typeName}</p>
          </div>
          <TextField label="Delivering party" required maxLength={SHORT_TEXT_MAX} value={typed.value.fromCarrier} error={textErrors.fromCarrier} onChange={(value) => type('fromCarrier', value)} onBlur={() => leave('fromCarrier')} />
          <TextField label="Receiving party" required maxLength={SHORT_TEXT_MAX} value={typed.value.toCarrier} error={textErrors.toCarrier} onChange={(value) => type('toCarrier', value)} onBlur={() => leave('toCarrier')} />
        </div>
        {shownAt('identity')}
      </section>

      <section className="card" aria-labelledby={conditionLabel}>
        <h2 id={conditionLabel}>Condition</h2>
        <Choice
          label="Condition"
          labelledBy={conditionLabel}
          options={CONDITIONS}
          value={interchange.condition}
          toneOf={(condition) => CONDITION_TONES[condition]}
          onChange={(condition) => void perform('condition', [{ op: 'set', field: 'condition', value: condition }])}
        />
        {shownAt('condition')}
        <TextField
          label="Condition note"
          multiline
          maxLength={LONG_TEXT_MAX}
          placeholder="Anything the marks below do not say"
          value={typed.value.conditionNote}
          onChange={(value) => type('conditionNote', value)}
          onBlur={() => leave('conditionNote')}
        />
      </section>

      <section className="card" aria-labelledby="damage-heading">
        <h2 id="damage-heading">Damage and photos</h2>
        <DamageMarks
          damages={interchange.damages}
          onAdd={(mark) => perform('damages', [{ op: 'add', field: 'damages', member: mark }])}
          onRemove={(mark) => void perform('damages', [{ op: 'remove', field: 'damages', member: mark }])}
        />
        {shownAt('damages')}
        <PhotoPicker
          label="Photos"
          photos={interchange.photos}
          {...photoActions('photos')}
        />
        {shownAt('photos')}
      </section>

      <section className="card" aria-labelledby="interchange-signatures-heading">
        <h2 id="interchange-signatures-heading">Signatures</h2>
        <p className="muted">Each signs for the unit in the condition recorded above.</p>
        <div className="interchange-signatures">
          <SignatureField label="Delivering driver's signature" signed={interchange.fromSignature} onSign={(png) => sign('signatures', 'fromSignature', png)} />
          <SignatureField label="Receiving clerk's signature" signed={interchange.toSignature} onSign={(png) => sign('signatures', 'toSignature', png)} />
        </div>
        {shownAt('signatures')}
      </section>

      <div className="interchange-bar" role="group" aria-label="Submit the interchange">
        <div className="interchange-bar__status" aria-live="polite">
          {stillToDo > 0 ? (
            <p className="interchange-bar__todo">Not submitted: {stillToDo === 1 ? 'one thing is' : `${stillToDo} things are`} missing, marked above.</p>
          ) : (
            <p className="muted">{saved ?? 'Each change is saved as soon as you make it.'}</p>
          )}
          {shownAt('submit')}
        </div>
        <button type="button" className="button button--primary" disabled={submitting} onClick={() => void submit()}>
          {submitting ? 'Submitting…' : 'Submit interchange'}
        </button>
      </div>
    </div>
  );
}

interface DamageProps {
  damages: readonly string[];
  onAdd: (mark: string) => Promise<number | null>;
  onRemove: (mark: string) => void;
}

/** The unit drawn as a box: tap a side, say what and how large, and the mark joins the record's damages. */
function DamageMarks({ damages, onAdd, onRemove }: DamageProps) {
  const [side, setSide] = useState<Side | null>(null);
  const [kind, setKind] = useState<DamageType | null>(null);
  const [size, setSize] = useState<DamageSize | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const counts = marksPerSide(damages);
  const typeLabel = useId();
  const sizeLabel = useId();

  function pick(picked: Side) {
    setSide(picked === side ? null : picked);
    setKind(null);
    setSize(null);
    setProblem(null);
  }

  async function add(event: FormEvent) {
    event.preventDefault();
    if (!side) return;
    if (!kind || !size) return setProblem(!kind ? 'Choose what the damage is.' : 'Choose how large it is.');
    const mark = damageMark({ side, type: kind, size });
    // The damages are a set: the same mark again would add nothing, so say so instead.
    if (damages.includes(mark)) return setProblem('That mark is already listed.');
    if ((await onAdd(mark)) !== null) setSide(null);
  }

  return (
    <>
      <p className="muted">Tap the side of the unit the damage is on.</p>
      <div className="damage-layout">
        <div className="unit-diagram" role="group" aria-label="Sides of the unit">
          {SIDES.map((each) => (
            <button
              key={each}
              type="button"
              className={`unit-diagram__side unit-diagram__side--${each}${side === each ? ' unit-diagram__side--on' : ''}`}
              aria-pressed={side === each}
              aria-label={counts[each] > 0 ? `${SIDE_LABELS[each]}, ${counts[each] === 1 ? '1 mark' : `${counts[each]} marks`}` : SIDE_LABELS[each]}
              onClick={() => pick(each)}
            >
              {SIDE_LABELS[each]}
              {counts[each] > 0 ? <span className="count-pill unit-diagram__count">{counts[each]}</span> : null}
            </button>
          ))}
        </div>
        <div className="damage-marks">
          {side ? (
            <form className="damage-mark" onSubmit={(event) => void add(event)} aria-label={`Mark damage on the ${side}`}>
              <h3>Damage on the {side}</h3>
              <span className="field__label" id={typeLabel}>
                What
              </span>
              <Choice
                label="What"
                labelledBy={typeLabel}
                options={TYPE_OPTIONS}
                value={kind}
                onChange={(value) => {
                  setKind(value);
                  setProblem(null);
                }}
              />
              <span className="field__label" id={sizeLabel}>
                How large
              </span>
              <Choice
                label="How large"
                labelledBy={sizeLabel}
                options={SIZE_OPTIONS}
                value={size}
                onChange={(value) => {
                  setSize(value);
                  setProblem(null);
                }}
              />
              {problem ? <p className="interchange-problem" role="alert">{problem}</p> : null}
              <div className="actions">
                <button type="submit" className="button button--primary">
                  Add mark
                </button>
                <button type="button" className="button button--quiet" onClick={() => setSide(null)}>
                  Cancel
                </button>
              </div>
            </form>
          ) : null}
          {damages.length === 0 ? <p className="empty">No damage marked.</p> : null}
          <ul className="damage-list" aria-label="Damage marks">
            {damages.map((mark) => (
              <li key={mark} className="damage-list__item">
                <span>{mark}</span>
                <button type="button" className="button button--quiet" aria-label={`Remove ${mark}`} onClick={() => onRemove(mark)}>
                  Remove
                </button>
              </li>
            ))}
          </ul>
        </div>
      </div>
    </>
  );
}
