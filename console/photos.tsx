import { useQuery } from '@tanstack/react-query';
import { recordTypeSpec } from '../protocol/records/index.js';
import { authHeaders } from './api.js';
import { OFFICE } from './queries.js';

/** Photos on the record (set fields of attachment hashes): what the field saw, next to the versions. */
export function RecordPhotos({ fields, recordType }: { fields: Record<string, unknown> | undefined; recordType: string }) {
  const spec = recordTypeSpec(recordType);
  if (!fields || !spec) return null;
  const photos = Object.entries(spec.fields)
    .filter(([name, field]) => field.kind === 'set' && /photo/i.test(name))
    .flatMap(([name]) => (Array.isArray(fields[name]) ? (fields[name] as string[]) : []));
  if (photos.length === 0) return null;
  return (
    <div>
      <h3>Photos</h3>
      <ul className="photos">
        {photos.map((hash) => (
          <li key={hash}>
            <Photo hash={hash} />
          </li>
        ))}
      </ul>
    </div>
  );
}

/** An attachment fetched with the console's credentials (an image element cannot send a token) and shown from memory. */
function Photo({ hash }: { hash: string }) {
  const image = useQuery({
    queryKey: [OFFICE, 'attachment', hash],
    queryFn: async ({ signal }) => {
      const response = await fetch(`/v1/attachments/${hash}/content`, { headers: authHeaders('GET'), credentials: 'same-origin', signal });
      if (!response.ok) throw new Error(`photo ${hash}: ${response.status}`);
      return URL.createObjectURL(await response.blob());
    },
    // The bytes never change under their hash.
    staleTime: Infinity,
  });
  if (!image.data) return <span className="muted small">{image.isError ? 'Photo not on the office yet' : 'Loading photo…'}</span>;
  return <img src={image.data} alt={`Photo ${hash.slice(0, 8)}`} className="photo" />;
}
