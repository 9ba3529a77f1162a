import { useState, type FormEvent } from 'react';
import type { ChecklistTemplate } from '../../protocol/checklists.js';
import type { FieldOperation } from '../../protocol/actions.js';
import { call } from '../api.js';
import { explain } from '../messages.js';
import { Alert, Choice, TextField } from '../components.js';
import { SHORT_TEXT_MAX } from '../../protocol/records/define.js';

/** The work order an inspection is started from: it names the unit, and submitting the inspection completes it. */
export interface InspectionFor {
  workOrderId: string;
  title: string;
  equipmentNumber: string;
}

interface Props {
  templates: ChecklistTemplate[];
  startFor: InspectionFor | null;
  /** The inspector is starting one: an earlier success message no longer applies. */
  onAttempt: () => void;
  onStarted: (inspectionId: string) => void;
}

export function StartInspection({ templates, startFor, onAttempt, onStarted }: Props) {
  const [templateId, setTemplateId] = useState<string | null>(null);
  const [equipmentNumber, setEquipmentNumber] = useState(startFor?.equipmentNumber ?? '');
  const [odometer, setOdometer] = useState('');
  const [errors, setErrors] = useState<{ templateId?: string; equipmentNumber?: string; odometer?: string }>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function start(event: FormEvent) {
    event.preventDefault();
    onAttempt();
    const problems = {
      templateId: templateId ? undefined : 'Choose a checklist',
      equipmentNumber: equipmentNumber.trim() ? undefined : 'Enter the unit or trailer number',
      odometer: odometer.trim() === '' || /^\d{1,9}$/.test(odometer.trim()) ? undefined : 'Whole miles, digits only',
    };
    setErrors(problems);
    setFormError(null);
    if (!templateId || Object.values(problems).some(Boolean)) return;
    const ops: FieldOperation[] = [
      { op: 'set', field: 'templateId', value: templateId },
      ...(startFor ? [{ op: 'set', field: 'workOrderId', value: startFor.workOrderId } as const] : []),
      { op: 'set', field: 'equipmentNumber', value: equipmentNumber.trim().toUpperCase() },
      ...(odometer.trim() ? [{ op: 'set', field: 'odometer', value: Number(odometer.trim()) } as const] : []),
    ];
    setBusy(true);
    try {
      const { record } = await call('records.perform', { recordType: 'inspection', action: 'create', ops });
      onStarted(record.id);
    } catch (error) {
      const problem = explain(error);
      if (problem.field && problem.field in problems) setErrors({ [problem.field]: problem.message });
      else setFormError(problem.message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card" onSubmit={start} noValidate aria-label="Start an inspection">
      <h2>Start an inspection</h2>
      {startFor ? <Alert tone="info">For the work order “{startFor.title}”: submitting the inspection marks it done.</Alert> : null}
      <div className={`field${errors.templateId ? ' field--error' : ''}`}>
        <span className="field__label">
          Checklist<span className="required" aria-hidden="true"> *</span>
        </span>
        <Choice
          stacked
          label="Checklist"
          options={templates.map((template) => ({ value: template.id, label: template.title }))}
          value={templateId}
          onChange={setTemplateId}
        />
        {errors.templateId ? <p className="field__message field__message--error">{errors.templateId}</p> : null}
      </div>
      <div className="field-grid">
        <TextField label="Unit / trailer number" required autoCapitalize maxLength={SHORT_TEXT_MAX} value={equipmentNumber} error={errors.equipmentNumber} onChange={setEquipmentNumber} />
        <TextField label="Odometer (miles)" inputMode="numeric" value={odometer} error={errors.odometer} onChange={setOdometer} />
      </div>
      {formError ? <Alert tone="error">{formError}</Alert> : null}
      <div className="actions">
        <button type="submit" className="button button--primary" disabled={busy}>
          {busy ? 'Starting…' : 'Start inspection'}
        </button>
      </div>
    </form>
  );
}
