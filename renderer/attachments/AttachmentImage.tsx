import { useEffect, useState } from 'react';
import { call } from '../api.js';
import { errorMessage } from '../messages.js';

type Loaded = { state: 'loading' } | { state: 'shown'; src: string } | { state: 'failed'; message: string };

/** A photo or signature the core holds, fetched by its hash; a damaged or missing file says so instead. */
export function AttachmentImage({ sha256, alt, className }: { sha256: string; alt: string; className?: string }) {
  const [loaded, setLoaded] = useState<Loaded>({ state: 'loading' });

  useEffect(() => {
    let current = true;
    setLoaded({ state: 'loading' });
    call('attachments.get', { sha256 })
      .then(({ mimeType, dataBase64 }) => current && setLoaded({ state: 'shown', src: `data:${mimeType};base64,${dataBase64}` }))
      .catch((failure: unknown) => current && setLoaded({ state: 'failed', message: errorMessage(failure) }));
    return () => {
      current = false;
    };
  }, [sha256]);

  if (loaded.state === 'shown') return <img className={className} src={loaded.src} alt={alt} />;
  return (
    <span className={`${className ?? ''} attachment-placeholder`} role="img" aria-label={alt} title={loaded.state === 'failed' ? loaded.message : undefined}>
      {loaded.state === 'loading' ? 'Loading…' : 'Cannot show this image'}
    </span>
  );
}
