import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import type { AttachmentReference } from '../../protocol/records/attachments.js';
import { authHeaders, errorMessage, OfficeError } from '../api.js';
import './review.css';

/** How often a photo the device has not uploaded yet is asked for again while it is on screen. */
const MISSING_PHOTO_RECHECK_MS = 5_000;

/**
 * Thumbnails of attachments, each named by `owner` and its field (`Proposed: photos 2 of 3`),
 * opening full size on click.
 */
export function PhotoList({ itemId, owner, attachments }: { itemId: number; owner: string; attachments: readonly AttachmentReference[] }) {
  if (attachments.length === 0) return null;
  const perField = new Map<string, number>();
  for (const { field } of attachments) perField.set(field, (perField.get(field) ?? 0) + 1);
  const seen = new Map<string, number>();
  return (
    <ul className="review-photos">
      {attachments.map(({ field, sha256 }) => {
        const nth = (seen.get(field) ?? 0) + 1;
        seen.set(field, nth);
        const of = perField.get(field)!;
        return (
          <li key={sha256}>
            <ReviewPhoto itemId={itemId} sha256={sha256} label={`${owner}: ${field}${of > 1 ? ` ${nth} of ${of}` : ''}`} caption={field} />
          </li>
        );
      })}
    </ul>
  );
}

/**
 * One attachment of a review item, fetched with the console's credentials (an image element
 * cannot send an API token) and shown from a blob: URL, which the console's CSP allows.
 */
function ReviewPhoto({ itemId, sha256, label, caption }: { itemId: number; sha256: string; label: string; caption: string }) {
  const photo = useQuery({
    // Not under the office key: the live channel's every change would fetch bytes that never change under their hash.
    queryKey: ['review-photo', sha256],
    queryFn: async ({ signal }): Promise<Blob | null> => {
      const response = await fetch(`/v1/office/review-items/${itemId}/attachments/${sha256}`, { headers: authHeaders('GET'), credentials: 'same-origin', signal });
      if (response.status === 204) return null;
      if (!response.ok) throw new OfficeError(response.status, 'attachment', `The office answered ${response.status} for this photo.`);
      return response.blob();
    },
    staleTime: Infinity,
    refetchInterval: (query) => (query.state.data === null ? MISSING_PHOTO_RECHECK_MS : false),
  });
  const url = useObjectUrl(photo.data);
  const viewer = useRef<HTMLDialogElement>(null);

  if (photo.data === null) {
    return (
      <p className="photo-missing">
        <strong>Photo not yet uploaded</strong>
        <span className="small">{label} — the device has not sent it yet; it appears here once it has.</span>
      </p>
    );
  }
  if (photo.isError) return <p className="photo-missing">{`${label}: ${errorMessage(photo.error)}`}</p>;
  if (!url) return <p className="muted small">Loading {label}…</p>;
  return (
    <figure className="review-photo">
      <button type="button" className="photo-open" title="Open full size" onClick={() => viewer.current?.showModal()}>
        <img src={url} alt={label} />
      </button>
      <figcaption className="small muted">{caption}</figcaption>
      <dialog
        ref={viewer}
        className="photo-viewer"
        aria-label={label}
        // A click on the backdrop lands on the dialog itself.
        onClick={(event) => event.target === event.currentTarget && viewer.current?.close()}
      >
        <div className="photo-viewer-head">
          <strong>{label}</strong>
          <button type="button" className="secondary" onClick={() => viewer.current?.close()}>
            Close
          </button>
        </div>
        <img src={url} alt={label} />
      </dialog>
    </figure>
  );
}

/** A blob: URL for `blob` while the component shows it, revoked after. */
function useObjectUrl(blob: Blob | null | undefined): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!blob) return;
    const made = URL.createObjectURL(blob);
    setUrl(made);
    return () => {
      URL.revokeObjectURL(made);
      setUrl(null);
    };
  }, [blob]);
  return url;
}
