import { useEffect, useState } from 'react';
import { useSync } from './SyncStatus.js';
import { summarizeSync } from './sync-summary.js';

/** The sync line under the top bar: online, offline or syncing, what waits to be sent, and "Sync now". */
export function SyncBadge() {
  const { status, syncNow, requesting } = useSync();
  const [callError, setCallError] = useState<string | null>(null);
  const now = useNow();
  if (!status) return null;
  const summary = summarizeSync(status, now);
  const problem = callError ?? summary.problem;

  async function sync() {
    setCallError(await syncNow());
  }

  return (
    <div className={`sync-badge sync-badge--${summary.tone}`} role="status" aria-label="Sync status" data-testid="sync-badge">
      <span className="sync-badge__dot" aria-hidden="true" />
      <strong className="sync-badge__label">{summary.label}</strong>
      {summary.facts.map((fact) => (
        <span key={fact} className="sync-badge__fact">
          {fact}
        </span>
      ))}
      {problem ? <span className="sync-badge__problem">{problem}</span> : null}
      {status.active ? (
        <button type="button" className="button sync-badge__button" onClick={() => void sync()} disabled={requesting || !summary.canSync}>
          {requesting || status.syncing ? 'Syncing…' : 'Sync now'}
        </button>
      ) : null}
    </div>
  );
}

/** The time, moving on every half minute, so "last synced" stays right on a screen left open. */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}
