import { useCallback, useEffect, useState } from 'react';
import type { DeviceStatusView, JournalVerification, OperatorRole } from '../../main/ipc/contract.js';
import { call } from '../api.js';
import { errorMessage } from '../messages.js';
import { Alert } from '../components.js';
import { formatDateTime, plural, sentence, shortHash } from '../format.js';
import { useSync } from '../sync/SyncStatus.js';

/** What the device holds and whether its signed journal is intact: for the operator and for support calls. */
export function DevicePanel({ role }: { role: OperatorRole }) {
  const [status, setStatus] = useState<DeviceStatusView | null>(null);
  const [verification, setVerification] = useState<JournalVerification | null>(null);
  const [verifying, setVerifying] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const { status: sync } = useSync();
  const revision = sync?.revision ?? 0;

  const refresh = useCallback(async () => {
    try {
      setStatus(await call('device.status', {}));
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh, revision]);

  async function verify() {
    setVerifying(true);
    setError(null);
    try {
      setVerification(await call('journal.verify', {}));
      await refresh();
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setVerifying(false);
    }
  }

  return (
    <section className="card device-panel" aria-labelledby="device-heading">
      <div className="card__header">
        <h2 id="device-heading">Device</h2>
        <button type="button" className="button button--quiet" onClick={() => void refresh()}>
          Refresh
        </button>
      </div>
      {error ? <Alert tone="error">{error}</Alert> : null}
      {status ? (
        <dl className="status-grid">
          <Item label="Journal entries" testId="journal-entries" value={status.journal.entries.toLocaleString()} />
          <Item label="Journal entries waiting to sync" testId="outbox-pending" value={status.outbox.pending.toLocaleString()} />
          <Item label="Acknowledged by the office" testId="outbox-acknowledged" value={status.outbox.acknowledged.toLocaleString()} />
          <Item label="Failed to sync" testId="outbox-failed" value={status.outbox.failed.toLocaleString()} />
          <Item label="Last sequence number" testId="last-seq" value={String(status.journal.lastSeq)} />
          <Item label="Chain head" testId="chain-head" value={shortHash(status.journal.head)} title={status.journal.head} mono />
          <Item label="Checkpoints" testId="checkpoints" value={String(status.journal.checkpoints)} />
          <Item label="Site" testId="site" value={status.siteId} />
          <Item
            label="Office enrollment"
            testId="enrollment"
            value={status.enrollment ? `${status.enrollment.organisationId} · ${status.enrollment.kind}` : 'Not enrolled'}
          />
          <Item
            label="Last synced with the office"
            testId="last-synced"
            value={sync?.lastSuccessAt ? formatDateTime(sync.lastSuccessAt) : sync?.active ? 'Not yet' : 'Does not sync'}
          />
          <Item label="Live updates from the office" testId="live-updates" value={sync?.live ? 'Connected' : 'Not connected'} />
          <Item label="Device" testId="device-id" value={status.deviceId} mono wide />
          <Item label="Device key" testId="device-key" value={shortHash(status.devicePublicKey)} title={status.devicePublicKey} mono />
        </dl>
      ) : (
        <p className="muted">Loading…</p>
      )}
      <div className="actions">
        <button type="button" className="button button--primary" onClick={() => void verify()} disabled={verifying}>
          {verifying ? 'Verifying…' : 'Verify journal'}
        </button>
      </div>
      {verification ? <VerificationResult verification={verification} /> : null}
      {status?.enrollment?.kind === 'kiosk' ? <CloseKiosk role={role} /> : null}
    </section>
  );
}

/** A gate kiosk has no other way out: its window refuses to close until a supervisor closes it here. */
function CloseKiosk({ role }: { role: OperatorRole }) {
  const [confirming, setConfirming] = useState(false);
  const [closing, setClosing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (role !== 'supervisor') return <p className="muted">Only a supervisor can close Waypost on this kiosk.</p>;
  async function close() {
    setError(null);
    try {
      await call('app.close', {});
      setClosing(true);
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }
  if (closing) return <Alert tone="success">Waypost is closing. Everything is saved; the next operator signs in when it starts again.</Alert>;
  return (
    <div className="actions" role="group" aria-label="Close Waypost">
      {error ? <Alert tone="error">{error}</Alert> : null}
      {confirming ? (
        <>
          <button type="button" className="button button--primary" onClick={() => void close()}>
            Yes, close Waypost
          </button>
          <button type="button" className="button button--quiet" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </>
      ) : (
        <button type="button" className="button" onClick={() => setConfirming(true)}>
          Close Waypost…
        </button>
      )}
    </div>
  );
}

interface ItemProps {
  label: string;
  value: string;
  testId: string;
  title?: string;
  mono?: boolean;
  wide?: boolean;
}

function Item({ label, value, testId, title, mono, wide }: ItemProps) {
  return (
    <div className={`status-grid__item${wide ? ' status-grid__item--wide' : ''}`}>
      <dt>{label}</dt>
      <dd data-testid={testId} title={title} className={mono ? 'mono' : undefined}>
        {value}
      </dd>
    </div>
  );
}

function VerificationResult({ verification }: { verification: JournalVerification }) {
  if (verification.ok) {
    return (
      <Alert tone="success">
        ✓ Journal verified: {plural(verification.entriesVerified, 'entry', 'entries')}, every hash link and signature checks out (chain head{' '}
        <span className="mono">{shortHash(verification.head)}</span>).
      </Alert>
    );
  }
  const { failure } = verification;
  return (
    <Alert tone="error">
      ✗ Journal verification failed{failure.seq !== null ? ` at entry ${failure.seq}` : ''}: {sentence(failure.message)} ({failure.code}). Do not
      wipe this device; call the office.
    </Alert>
  );
}
