import { useId, useState, type FormEvent } from 'react';
import { call } from '../api.js';
import { explain } from '../messages.js';
import { useDraft } from '../drafts.js';
import { Alert, Choice, TextField } from '../components.js';
import { ContainerNumberField } from '../ContainerNumberField.js';
import { SHORT_TEXT_MAX } from '../../protocol/records/define.js';
import { EMPTY_START, equipmentTypeLabel, EQUIPMENT_TYPES, parseStartDraft, startInterchange, type StartForm, type StartFormErrors } from './interchange.js';

interface Props {
  /** The operator is starting one: an earlier success message no longer applies. */
  onAttempt: () => void;
  onStarted: (interchangeId: string) => void;
}

/**
 * Who hands what to whom: the interchange's identity, recorded in one action as a draft. The type
 * cannot change afterwards (it decides how the number is checked), so it is chosen here.
 */
export function StartInterchange({ onAttempt, onStarted }: Props) {
  const { value: form, set: setForm, clear: clearDraft, restored } = useDraft('interchange.new', EMPTY_START, parseStartDraft);
  const [errors, setErrors] = useState<StartFormErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const typeLabel = useId();

  const update = <K extends keyof StartForm>(name: K, value: StartForm[K]) => {
    setForm((current) => ({ ...current, [name]: value }));
    setErrors((current) => ({ ...current, [name]: undefined }));
  };

  async function start(event: FormEvent) {
    event.preventDefault();
    onAttempt();
    setFormError(null);
    const started = startInterchange(form, Date.now());
    if (!started.ok) return setErrors(started.errors);
    setErrors({});
    setBusy(true);
    try {
      const { record } = await call('records.perform', { recordType: 'equipmentInterchange', action: 'create', ops: started.ops });
      clearDraft();
      onStarted(record.id);
    } catch (error) {
      const problem = explain(error);
      if (problem.field && problem.field in form) setErrors({ [problem.field]: problem.message });
      else setFormError(problem.message);
    } finally {
      setBusy(false);
    }
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
        <TextField
          label="Delivering party"
          required
          maxLength={SHORT_TEXT_MAX}
          placeholder="Hands it over"
          value={form.fromCarrier}
          error={errors.fromCarrier}
          onChange={(value) => update('fromCarrier', value)}
        />
        <TextField
          label="Receiving party"
          required
          maxLength={SHORT_TEXT_MAX}
          placeholder="Takes it over"
          value={form.toCarrier}
          error={errors.toCarrier}
          onChange={(value) => update('toCarrier', value)}
        />
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
