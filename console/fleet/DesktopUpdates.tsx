import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { UPDATE_FEED_PATH, updateFeedStatusSchema, type UpdateFeedStatus } from '../../protocol/wire/updates.js';
import { errorMessage, request } from '../api.js';
import { formatDateTime } from '../format.js';
import { updateFeedQuery } from '../queries.js';

/** The desktop release the office offers its fleet, and the share of installations offered it (a staged rollout). */
export function DesktopUpdates() {
  const feed = useQuery(updateFeedQuery);
  return (
    <section className="panel" aria-label="Desktop updates">
      <h2>Desktop updates</h2>
      {feed.isError ? <p role="alert" className="error">{errorMessage(feed.error)}</p> : null}
      {feed.data ? <Feed status={feed.data} /> : null}
    </section>
  );
}

function Feed({ status }: { status: UpdateFeedStatus }) {
  const queryClient = useQueryClient();
  const [share, setShare] = useState(String(status.percentage));
  const save = useMutation({
    mutationFn: (percentage: number) => request('PUT', '/v1/admin/updates/rollout', updateFeedStatusSchema, { body: { version: status.release!.version, percentage } }),
    onSuccess: (saved) => queryClient.setQueryData(updateFeedQuery.queryKey, saved),
  });
  const [problem, setProblem] = useState<string | null>(null);
  const feedAddress = `${window.location.origin}${UPDATE_FEED_PATH.replace(/\/$/, '')}`;
  if (!status.release) {
    return (
      <p className="muted">
        No release in the feed. Copy the installer build (latest.yml, the Setup .exe and its .blockmap from dist/release) into the office's updates directory
        (WAYPOST_UPDATES_DIR); devices ask {feedAddress} at start and every four hours.
      </p>
    );
  }
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const percentage = Number(share);
    if (!Number.isInteger(percentage) || percentage < 0 || percentage > 100) return setProblem('the share is a whole number from 0 to 100');
    setProblem(null);
    save.mutate(percentage);
  };
  return (
    <>
      <p>
        Release <strong>{status.release.version}</strong>
        {status.release.releaseDate ? <span className="muted"> built {formatDateTime(Date.parse(status.release.releaseDate))}</span> : null} is offered to{' '}
        <strong>{status.percentage === 100 ? 'every installation' : `${status.percentage}% of installations`}</strong>
        {status.setAt !== null ? <span className="muted"> (set {formatDateTime(status.setAt)})</span> : null}. A device whose update is required gets it whatever the share.
      </p>
      <form onSubmit={submit} className="inline-form" aria-label="Rollout share">
        <label>
          Offer it to (% of installations)
          <input type="number" inputMode="numeric" min={0} max={100} step={1} value={share} onChange={(event) => setShare(event.target.value)} required />
        </label>
        <button type="submit" disabled={save.isPending}>
          Set share
        </button>
      </form>
      {problem !== null || save.isError ? (
        <p role="alert" className="error">
          {problem ?? errorMessage(save.error)}
        </p>
      ) : null}
      <p className="muted small">Feed address for the app's WAYPOST_UPDATE_URL: {feedAddress}</p>
    </>
  );
}
