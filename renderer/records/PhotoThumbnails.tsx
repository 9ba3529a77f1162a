import { useRef, useState } from 'react';
import { AttachmentImage } from '../attachments/AttachmentImage.js';

/** Photos as thumbnails, each named `label` and its number, opening full size in a dialog. */
export function PhotoThumbnails({ label, photos }: { label: string; photos: readonly string[] }) {
  if (photos.length === 0) return <p className="empty">No photos.</p>;
  return (
    <ul className="thumbnails" aria-label={label}>
      {photos.map((sha256, index) => (
        <li key={sha256} className="thumbnail">
          <Photo sha256={sha256} name={`${label} ${index + 1}`} />
        </li>
      ))}
    </ul>
  );
}

function Photo({ sha256, name }: { sha256: string; name: string }) {
  const viewer = useRef<HTMLDialogElement>(null);
  // The full-size copy is fetched only when asked for: a record can hold many large photos.
  const [open, setOpen] = useState(false);
  const close = () => viewer.current?.close();
  return (
    <>
      <button
        type="button"
        className="photo-open"
        aria-label={`Open ${name} full size`}
        onClick={() => {
          setOpen(true);
          viewer.current?.showModal();
        }}
      >
        <AttachmentImage className="thumbnail__image" sha256={sha256} alt={name} />
      </button>
      <dialog
        ref={viewer}
        className="photo-viewer"
        aria-label={name}
        onClose={() => setOpen(false)}
        // A click on the backdrop lands on the dialog itself.
        onClick={(event) => event.target === event.currentTarget && close()}
      >
        <div className="photo-viewer__head">
          <strong>{name}</strong>
          <button type="button" className="button" onClick={close}>
            Close
          </button>
        </div>
        {open ? <AttachmentImage className="photo-viewer__image" sha256={sha256} alt={`${name}, full size`} /> : null}
      </dialog>
    </>
  );
}
