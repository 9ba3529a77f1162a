import { useCallback, useEffect, useState } from 'react';
import type { RepairToReviewView } from '../../main/ipc/contract.js';
import { call } from '../api.js';
import { Alert, Badge } from '../components.js';
import { formatDateTime } from '../format.js';
import { errorMessage } from '../messages.js';
import { useSyncRevision } from '../sync/SyncStatus.js';

const DISPOSITION = { repaired: 'Repaired', deferred: 'Deferred', 'no-repair-needed': 'No repair needed' } as const;

/**
 * Before driving a unit, the driver reviews what the mechanic certified about the defects last
 * reported on it (49 CFR 396.11(a)(3)(iii)); the review is the driver's own signed entry.
 */
export function RepairsToReview() {
  const [repairs, setRepairs] = useState<RepairToReviewView[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [reviewed, setReviewed] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const revision = useSyncRevision();

  const refresh = useCallback(async () => {
    try {
      setRepairs(await call('repairs.toReview', {}));
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }, []);
  useEffect(() => {
    void refresh();
  }, [refresh, revision]);

  async function review(repair: RepairToReviewView) {
    setBusy(repair.recordId);
    setError(null);
    setReviewed(null);
    try {
      await call('repairs.review', { recordId: repair.recordId });
      setReviewed(`You reviewed the repairs on ${repair.equipmentNumber}. Your review goes to the office with the next sync.`);
      await refresh();
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setBusy(null);
    }
  }

  if (repairs.length === 0 && !reviewed && !error) return null;
  return (
    <section className="card" aria-labelledby="repairs-heading">
      <h2 id="repairs-heading">Repairs to review</h2>
      {reviewed ? <Alert tone="success">{reviewed}</Alert> : null}
      {error ? <Alert tone="error">{error}</Alert> : null}
      <ul className="event-list" aria-label="Repairs to review">
        {repairs.map((repair) => (
          <li key={repair.recordId} className="event">
            <div className="event__head">
              <span className="event__plate">{repair.equipmentNumber}</span>
              {repair.verified ? <Badge tone="final">Certified</Badge> : <Badge tone="warn">Signature does not check out</Badge>}
            </div>
            <p className="event__note">
              Certified by {repair.mechanicName} · {formatDateTime(repair.certifiedAt)}
            </p>
            <ul className="plain-list">
              {repair.repairs.map((item) => (
                <li key={item.defect}>
                  {item.label}: <strong>{DISPOSITION[item.disposition]}</strong>
                  {item.reason ? ` — ${item.reason}` : ''}
                </li>
              ))}
            </ul>
            <div className="event__actions">
              <button type="button" className="button button--primary" disabled={!repair.verified || busy !== null} onClick={() => void review(repair)}>
                {busy === repair.recordId ? 'Saving…' : 'I have reviewed these repairs'}
              </button>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
