import { useId, type FormEvent } from 'react';
import { call } from '../api.js';
import { useDraftForm } from '../draft-form.js';
import { Alert, Choice, TextField } from '../components.js';
import { ContainerNumberField } from '../ContainerNumberField.js';
import { SHORT_TEXT_MAX } from '../../protocol/records/define.js';
import { EMPTY_START, equipmentTypeLabel, EQUIPMENT_TYPES, parseStartDraft, startInterchange, type StartForm } from './interchange.js';

interface Props {
  /** The operator is starting one: an earlier success message no longer applies. */
  onAttempt: () => void;
  onStarted: (interchangeId: string) => void;
}

/** The two sides of the handover, asked for alike. */
const PARTIES = [
  { name: 'fromCarrier', label: 'Delivering party', placeholder: 'Hands it over' },
  { name: 'toCarrier', label: 'Receiving party', placeholder: 'Takes it over' },
] as const;

/**
 * Who hands what to whom: the interchange's identity, recorded in one action as a draft. The type
 * cannot change afterwards (it decides how the number is checked), so it is chosen here.
 */
export function StartInterchange({ onAttempt, onStarted }: Props) {
  const { form, restored, errors, setErrors, formError, setFormError, busy, update, save } = useDraftForm<StartForm>('interchange.new', EMPTY_START, parseStartDraft);
  const typeLabel = useId();

  async function start(event: FormEvent) {
    event.preventDefault();
    onAttempt();
    setFormError(null);
    const started = startInterchange(form, Date.now());
    if (!started.ok) return setErrors(started.errors);
    setErrors({});
    await save(
      () => call('records.perform', { recordType: 'equipmentInterchange', action: 'create', ops: started.ops }),
      ({ record }) => onStarted(record.id),
    );
  }

  return (
    <form className="card interchange-start" onSubmit={start} noValidate aria-label="Record an equipment interchange">
      <h2>Record an equipment interchange</h2>
      {restored ? <Alert tone="info">Your unsaved entries were kept while you were away: check them and start.</Alert> : null}
      <div className="field">
        <span className="field__label" id={typeLabel}>
          Equipment<span className="required" aria-hidden="true"> *</span>
        </span>
        <Choice label="Equipment" labelledBy={typeLabel} options={EQUIPMENT_TYPES} value={form.equipmentType} onChange={(value) => update('equipmentType', value)} />
      </div>
      {form.equipmentType === 'container' ? (
        <ContainerNumberField required value={form.equipmentNumber} error={errors.equipmentNumber} onChange={(value) => update('equipmentNumber', value)} />
      ) : (
        <TextField
          label={`${equipmentTypeLabel(form.equipmentType)} number`}
          required
          autoCapitalize
          scanned="next"
          maxLength={SHORT_TEXT_MAX}
          value={form.equipmentNumber}
          error={errors.equipmentNumber}
          onChange={(value) => update('equipmentNumber', value)}
        />
      )}
      <div className="field-grid">
        {PARTIES.map(({ name, label, placeholder }) => (
          <TextField
            key={name}
            label={label}
            required
            maxLength={SHORT_TEXT_MAX}
            placeholder={placeholder}
            value={form[name]}
            error={errors[name]}
            onChange={(value) => update(name, value)}
          />
        ))}
      </div>
      {formError ? <Alert tone="error">{formError}</Alert> : null}
      <div className="actions">
        <button type="submit" className="button button--primary" disabled={busy}>
          {busy ? 'Starting…' : 'Start interchange'}
        </button>
      </div>
    </form>
  );
}
