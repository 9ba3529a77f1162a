import { useId, useState, type ChangeEvent } from 'react';
import { errorMessage } from '../messages.js';
import { Alert } from '../components.js';
import { ACCEPTED_IMAGE_TYPES, attachFile, checkPickedFile } from './attachments.js';
import { AttachmentImage } from './AttachmentImage.js';

interface Props {
  label: string;
  /** Hashes of the photos attached so far. */
  photos: readonly string[];
  /** Called with each picked photo's hash once the core has stored it. */
  onAdd: (sha256: string) => void | Promise<unknown>;
  onRemove: (sha256: string) => void;
  disabled?: boolean;
}

/** Picks photos (camera or files), stores each in the core, and shows the attached ones as thumbnails. */
export function PhotoPicker({ label, photos, onAdd, onRemove, disabled }: Props) {
  const inputId = useId();
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<string[]>([]);

  async function picked(event: ChangeEvent<HTMLInputElement>) {
    const files = [...(event.target.files ?? [])];
    // Cleared so that picking the same file again is a change too.
    event.target.value = '';
    setBusy(true);
    const found: string[] = [];
    for (const file of files) {
      const checked = checkPickedFile(file);
      if ('problem' in checked) {
        found.push(checked.problem);
        continue;
      }
      try {
        await onAdd(await attachFile(file, checked.mimeType));
      } catch (failure) {
        found.push(`${file.name} was not attached: ${lowerFirst(errorMessage(failure))}`);
      }
    }
    setProblems(found);
    setBusy(false);
  }

  return (
    <div className="photo-picker">
      <span className="field__label">{label}</span>
      {photos.length === 0 ? <p className="empty">No photos attached.</p> : null}
      <ul className="thumbnails" aria-label={label}>
        {photos.map((sha256, index) => (
          <li key={sha256} className="thumbnail">
            <AttachmentImage className="thumbnail__image" sha256={sha256} alt={`${label} ${index + 1}`} />
            <button type="button" className="button button--quiet" disabled={disabled} onClick={() => onRemove(sha256)} aria-label={`Remove ${label.toLowerCase()} ${index + 1}`}>
              Remove
            </button>
          </li>
        ))}
      </ul>
      <input
        id={inputId}
        className="visually-hidden"
        type="file"
        accept={ACCEPTED_IMAGE_TYPES}
        capture="environment"
        multiple
        disabled={disabled || busy}
        onChange={(event) => void picked(event)}
      />
      <label htmlFor={inputId} className={`button photo-picker__button${disabled || busy ? ' photo-picker__button--disabled' : ''}`}>
        {busy ? 'Attaching…' : 'Attach photo'}
      </label>
      {problems.length > 0 ? (
        <Alert tone="error">
          {problems.length === 1 ? (
            problems[0]
          ) : (
            <ul>
              {problems.map((problem) => (
                <li key={problem}>{problem}</li>
              ))}
            </ul>
          )}
        </Alert>
      ) : null}
    </div>
  );
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
