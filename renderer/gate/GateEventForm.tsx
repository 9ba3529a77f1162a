import type { FormEvent } from 'react';
import { useDraftForm } from '../draft-form.js';
import type { PerformedAction } from '../../main/ipc/contract.js';
import { call } from '../api.js';
import { Alert, Choice, TextField } from '../components.js';
import { PhotoPicker } from '../attachments/PhotoPicker.js';
import { ContainerNumberField } from '../ContainerNumberField.js';
import { formatDateTime, formatTime, startOfToday } from '../format.js';
import {
  createOperations,
  EMPTY_FORM,
  formFromEvent,
  parseFormDraft,
  type GateEvent,
  type GateEventForm as FormValues,
  updateOperations,
  validateForm,
} from './gate-event.js';

export type FormMode = { kind: 'new' } | { kind: 'edit'; event: GateEvent } | { kind: 'correct'; original: GateEvent };

interface Props {
  mode: FormMode;
  siteId: string;
  /** The clerk is saving: an earlier success message no longer applies. */
  onAttempt: () => void;
  onSaved: (message: string) => void;
  onCancel: () => void;
}

const DIRECTIONS = [
  { value: 'in', label: 'Gate in' },
  { value: 'out', label: 'Gate out' },
] as const;

export function GateEventForm({ mode, siteId, onAttempt, onSaved, onCancel }: Props) {
  const draftName = mode.kind === 'new' ? 'gate-event.new' : `gate-event.${mode.kind}.${mode.kind === 'edit' ? mode.event.id : mode.original.id}`;
  const initial = mode.kind === 'new' ? EMPTY_FORM : formFromEvent(mode.kind === 'edit' ? mode.event : mode.original);
  const { form, setForm, clearDraft, restored, errors, setErrors, formError, setFormError, busy, update, save } = useDraftForm<FormValues>(draftName, initial, parseFormDraft);

  async function record(event: FormEvent) {
    event.preventDefault();
    onAttempt();
    const problems = validateForm(form);
    setErrors(problems);
    setFormError(null);
    if (Object.values(problems).some(Boolean)) return;
    await save(perform, (performed) => {
      if (performed) onSaved(savedMessage(performed));
    });
  }

  function perform(): Promise<PerformedAction> | null {
    if (mode.kind === 'edit') {
      const ops = updateOperations(form, mode.event);
      if (ops.length === 0) {
        onCancel();
        return null;
      }
      return call('records.perform', { recordType: 'gateEvent', recordId: mode.event.id, action: 'update', ops });
    }
    const correctsId = mode.kind === 'correct' ? mode.original.id : null;
    const recordedAt = mode.kind === 'correct' ? mode.original.recordedAt : Date.now();
    return call('records.perform', { recordType: 'gateEvent', action: 'create', ops: createOperations(form, { siteId, recordedAt, correctsId }) });
  }

  function savedMessage({ seq }: PerformedAction): string {
    const plate = form.truckPlate.trim().toUpperCase();
    if (mode.kind === 'edit') return `Saved changes to ${plate} (journal entry ${seq}).`;
    if (mode.kind === 'correct') return `Recorded a correction for ${plate} (journal entry ${seq}). Submit it to make it final.`;
    return `Recorded gate-${form.direction} of ${plate} (journal entry ${seq}). Submit it to make it final.`;
  }

  const title = mode.kind === 'new' ? 'Record a gate event' : mode.kind === 'edit' ? 'Edit draft gate event' : 'Correct a submitted gate event';
  const saveLabel = mode.kind === 'new' ? `Record gate-${form.direction}` : mode.kind === 'edit' ? 'Save changes' : 'Record correction';

  return (
    <form className="card gate-form" onSubmit={record} noValidate aria-label={title}>
      <h2>{title}</h2>
      {restored ? <Alert tone="info">Your unsaved entries were kept while you were away: check them and save.</Alert> : null}
      {mode.kind === 'correct' ? (
        <Alert tone="info">
          Correcting the gate-{mode.original.direction} of <strong>{mode.original.truckPlate}</strong> at{' '}
          {/* An event of an earlier day (corrected from Records) is named with its date. */}
          {mode.original.recordedAt < startOfToday(Date.now()) ? formatDateTime(mode.original.recordedAt) : formatTime(mode.original.recordedAt)}. The
          original stays on record; the correction refers to it.
        </Alert>
      ) : null}
      <Choice label="Direction" options={DIRECTIONS} value={form.direction} onChange={(value) => update('direction', value)} />
      <div className="field-grid">
        <TextField label="Truck plate" required autoCapitalize value={form.truckPlate} error={errors.truckPlate} onChange={(value) => update('truckPlate', value)} />
        <TextField label="Carrier" required value={form.carrier} error={errors.carrier} onChange={(value) => update('carrier', value)} />
        <TextField label="Driver" value={form.driverName} error={errors.driverName} onChange={(value) => update('driverName', value)} />
        <ContainerNumberField value={form.containerNumber} error={errors.containerNumber} onChange={(value) => update('containerNumber', value)} />
        <TextField label="Chassis number" autoCapitalize scanned="next" value={form.chassisNumber} error={errors.chassisNumber} onChange={(value) => update('chassisNumber', value)} />
        <TextField
          label="Seal numbers"
          autoCapitalize
          scanned="list"
          hint="Separate several seals with commas, or scan them one after another"
          value={form.sealNumbers}
          error={errors.sealNumbers}
          onChange={(value) => update('sealNumbers', value)}
        />
      </div>
      <PhotoPicker
        label="Photos"
        photos={form.photos}
        disabled={busy}
        onAdd={(sha256) => setForm((current) => ({ ...current, photos: current.photos.includes(sha256) ? current.photos : [...current.photos, sha256] }))}
        onRemove={(sha256) => setForm((current) => ({ ...current, photos: current.photos.filter((photo) => photo !== sha256) }))}
      />
      {formError ? <Alert tone="error">{formError}</Alert> : null}
      <div className="actions">
        <button type="submit" className="button button--primary" disabled={busy}>
          {busy ? 'Saving…' : saveLabel}
        </button>
        {mode.kind === 'new' ? (
          <button
            type="button"
            className="button button--quiet"
            disabled={busy}
            onClick={() => {
              clearDraft();
              setForm(() => EMPTY_FORM);
              setErrors({});
            }}
          >
            Clear form
          </button>
        ) : (
          <button
            type="button"
            className="button"
            onClick={() => {
              clearDraft();
              onCancel();
            }}
            disabled={busy}
          >
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
