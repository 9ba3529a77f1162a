import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate, useSearch } from '@tanstack/react-router';
import { useState, type FormEvent } from 'react';
import type { z } from 'zod';
import { isAppVersion } from '../../protocol/app-version.js';
import { type DeviceSummary, createdEnrollmentTokenSchema, deviceSummarySchema } from '../../protocol/wire/office.js';
import { errorMessage, request } from '../api.js';
import { formatDateTime, formatDuration } from '../format.js';
import { devicesQuery, directoryQuery, OFFICE } from '../queries.js';
import { DesktopUpdates } from './DesktopUpdates.js';
import { FleetCharts } from './FleetCharts.js';
import { QrCode } from './QrCode.js';
import { SiteFilter } from '../SiteFilter.js';

type CreatedToken = z.infer<typeof createdEnrollmentTokenSchema>;

/** The fleet: every device with its last sync, queue, clock and build; who needs looking at and why; enrolling and revoking. */
export function FleetScreen() {
  const search = useSearch({ from: '/fleet' });
  const navigate = useNavigate({ from: '/fleet' });
  const directory = useQuery(directoryQuery);
  const devices = useQuery(devicesQuery(search.siteId));
  const siteName = (id: string) => directory.data?.sites.find((site) => site.id === id)?.name ?? id;
  const operatorName = (id: string) => directory.data?.operators.find((operator) => operator.id === id)?.displayName ?? id;
  const all = devices.data?.devices ?? [];
  const now = devices.data?.at ?? 0;
  const needing = all.filter((device) => device.attention.length > 0);
  const active = all.filter((device) => device.revokedAt === null);
  const pending = active.reduce((sum, device) => sum + (device.health?.pending ?? 0), 0);

  return (
    <div className="screen">
      <div className="screen-head">
        <h1>Fleet</h1>
        <div className="filters" role="search" aria-label="Filter the fleet">
          <SiteFilter value={search.siteId} onChange={(siteId) => void navigate({ search: (prev) => ({ ...prev, siteId }) })} />
        </div>
      </div>
      {devices.isError ? <p role="alert" className="error">{errorMessage(devices.error)}</p> : null}
      {devices.data ? (
        <dl className="tally" aria-label="Fleet at a glance">
          <div>
            <dt>Devices in service</dt>
            <dd>{active.length}</dd>
          </div>
          <div>
            <dt>Need attention</dt>
            <dd className={needing.length > 0 ? 'warn' : undefined}>{needing.length}</dd>
          </div>
          <div>
            <dt>Entries waiting on devices</dt>
            <dd>{pending}</dd>
          </div>
        </dl>
      ) : null}
      {needing.length > 0 ? (
        <section className="panel" aria-label="Needs attention">
          <h2>Needs attention</h2>
          <ul className="plain attention">
            {needing.map((device) => (
              <li key={device.id}>
                <strong>{device.label ?? device.id}</strong> <span className="muted">({siteName(device.siteId)})</span>
                <ul>
                  {device.attention.map((reason) => (
                    <li key={reason.code}>{sentenceCase(reason.message)}</li>
                  ))}
                </ul>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      <section className="panel" aria-label="Devices">
        <h2>Devices</h2>
        {devices.data && all.length === 0 ? <p className="muted">No device is enrolled yet: enroll one below.</p> : null}
        {all.length > 0 ? (
          <table className="board">
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">Site</th>
                <th scope="col">Operator</th>
                <th scope="col">Last sync</th>
                <th scope="col">Queue</th>
                <th scope="col">Clock</th>
                <th scope="col">App</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {all.map((device) => (
                <DeviceRow key={device.id} device={device} site={siteName(device.siteId)} operatorName={operatorName} now={now} />
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
      {devices.data ? <FleetCharts devices={all} now={now} siteId={search.siteId} /> : null}
      <EnrollDevice sites={directory.data?.sites ?? []} />
      <DesktopUpdates />
    </div>
  );
}

function DeviceRow({ device, site, operatorName, now }: { device: DeviceSummary; site: string; operatorName: (id: string) => string; now: number }) {
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const revoke = useMutation({
    mutationFn: () => request('POST', `/v1/admin/devices/${encodeURIComponent(device.id)}/revoke`, deviceSummarySchema),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: [OFFICE] }),
  });
  const name = device.label ?? device.id;
  const health = device.health;
  return (
    <tr className={device.attention.length > 0 ? 'attention-row' : undefined}>
      <td>
        {name}
        <div className="muted small">
          <span className="mono">{device.id}</span> · {device.kind}
        </div>
      </td>
      <td>{site}</td>
      <td>
        {device.operator ? (
          <>
            {operatorName(device.operator.operatorId)}
            <div className="muted small">
              {device.operator.signedIn ? 'signed in' : 'signed out'} · since {formatDateTime(device.operator.since)}
            </div>
          </>
        ) : (
          <span className="muted">nobody yet</span>
        )}
      </td>
      <td>
        {device.lastSeenAt === null ? (
          <span className="muted">never</span>
        ) : (
          <>
            {formatDuration(Math.max(0, now - device.lastSeenAt))} ago
            <div className="muted small">{formatDateTime(device.lastSeenAt)}</div>
            {health?.lastConvergedMs != null ? <div className="muted small">last reconnect: converged in {formatDuration(health.lastConvergedMs)}</div> : null}
            {health?.lastPushMs != null ? <div className="muted small">last push: {health.lastPushMs < 10_000 ? `${health.lastPushMs} ms` : formatDuration(health.lastPushMs)}</div> : null}
          </>
        )}
      </td>
      <td>
        {health ? (
          <>
            {health.pending} waiting{health.failed > 0 ? <span className="warn"> · {health.failed} rejected</span> : null}
            {health.oldestPendingAgeMs !== null ? <div className="muted small">oldest {formatDuration(health.oldestPendingAgeMs)}</div> : null}
          </>
        ) : (
          <span className="muted">not told yet</span>
        )}
      </td>
      <td>{device.clockOffsetMs === null ? <span className="muted">—</span> : clockOffset(device.clockOffsetMs)}</td>
      <td>
        {health?.appVersion ?? <span className="muted">—</span>}
        <div className="muted small">schema {device.schemaVersion ?? '—'}</div>
        {device.revokedAt === null ? <RequireUpdate device={device} name={name} /> : null}
      </td>
      <td>
        {device.revokedAt !== null ? (
          <span className="muted">Revoked {formatDateTime(device.revokedAt)}</span>
        ) : confirming ? (
          <div role="group" aria-label={`Confirm revoking ${name}`} className="confirm">
            <p className="small">Revoke {name}? It can no longer sync; what it has not sent stays on it.</p>
            <button type="button" className="danger" disabled={revoke.isPending} onClick={() => revoke.mutate()}>
              Yes, revoke
            </button>{' '}
            <button type="button" className="secondary" onClick={() => setConfirming(false)}>
              Keep it
            </button>
          </div>
        ) : (
          <>
            {device.flagged ? <span className="badge warn">flagged</span> : <span>In service</span>}{' '}
            <button type="button" className="secondary" aria-label={`Revoke ${name}…`} onClick={() => setConfirming(true)}>
              Revoke…
            </button>
          </>
        )}
        {revoke.isError ? <p role="alert" className="error">{errorMessage(revoke.error)}</p> : null}
      </td>
    </tr>
  );
}

/**
 * "Require update": the device's syncs are refused until it runs at least this build; its work
 * stays on it. Lifting the requirement lets it sync again as it is.
 */
function RequireUpdate({ device, name }: { device: DeviceSummary; name: string }) {
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [version, setVersion] = useState(device.health?.appVersion ?? '');
  const save = useMutation({
    mutationFn: (required: string | null) =>
      request('PUT', `/v1/admin/devices/${encodeURIComponent(device.id)}/required-app-version`, deviceSummarySchema, { body: { version: required } }),
    onSuccess: () => {
      setEditing(false);
      void queryClient.invalidateQueries({ queryKey: [OFFICE] });
    },
  });
  const [problem, setProblem] = useState<string | null>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const wanted = version.trim();
    // The office's own rule, so a mistyped build is explained here instead of being sent.
    if (!isAppVersion(wanted)) return setProblem(`“${wanted}” is not an app build such as 0.5.0 or 1.0.0-beta.2`);
    setProblem(null);
    save.mutate(wanted);
  };
  return (
    <div className="require-update">
      {device.requiredAppVersion !== null ? (
        <p className="warn small">
          Requires {device.requiredAppVersion} or later{' '}
          <button type="button" className="secondary" disabled={save.isPending} aria-label={`Lift the update requirement of ${name}`} onClick={() => save.mutate(null)}>
            Lift
          </button>
        </p>
      ) : null}
      {editing ? (
        <form onSubmit={submit} aria-label={`Require an app update of ${name}`}>
          <label className="small">
            Lowest build it may run
            <input value={version} onChange={(event) => setVersion(event.target.value)} placeholder="0.5.0" maxLength={40} required />
          </label>{' '}
          <button type="submit" disabled={save.isPending}>
            Require
          </button>{' '}
          <button type="button" className="secondary" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </form>
      ) : (
        <button type="button" className="secondary" aria-label={`Require an app update of ${name}…`} onClick={() => setEditing(true)}>
          Require update…
        </button>
      )}
      {problem !== null || save.isError ? (
        <p role="alert" className="error">
          {problem ?? errorMessage(save.error)}
        </p>
      ) : null}
    </div>
  );
}

function EnrollDevice({ sites }: { sites: { id: string; name: string }[] }) {
  const [siteId, setSiteId] = useState('');
  const [kind, setKind] = useState<'cab' | 'kiosk'>('cab');
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const create = useMutation({
    mutationFn: () => request('POST', '/v1/admin/enrollment-tokens', createdEnrollmentTokenSchema, { body: { siteId, kind } }),
    onSuccess: setCreated,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setCreated(null);
    create.mutate();
  };
  // What a device is given to enroll: where its office is and the one-time token.
  const enrollment = created ? JSON.stringify({ office: window.location.origin, token: created.token }) : '';
  return (
    <section className="panel" aria-label="Enroll a device">
      <h2>Enroll a device</h2>
      <form onSubmit={submit} className="inline-form" aria-label="New enrollment token">
        <label>
          Site
          <select required value={siteId} onChange={(event) => setSiteId(event.target.value)}>
            <option value="">Choose a site</option>
            {sites.map((site) => (
              <option key={site.id} value={site.id}>
                {site.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Kind
          <select value={kind} onChange={(event) => setKind(event.target.value as 'cab' | 'kiosk')}>
            <option value="cab">Cab laptop</option>
            <option value="kiosk">Gate kiosk</option>
          </select>
        </label>
        <button type="submit" disabled={!siteId || create.isPending}>
          Make a one-time token
        </button>
      </form>
      {create.isError ? <p role="alert" className="error">{errorMessage(create.error)}</p> : null}
      {created ? (
        <div className="enrollment" role="status" aria-label="Enrollment token">
          <QrCode text={enrollment} label={`Enrollment QR code for a ${created.kind}`} />
          <div>
            <p>
              Give this to the {created.kind === 'cab' ? 'cab laptop' : 'kiosk'} being set up. It works once, until {formatDateTime(created.expiresAt)}.
            </p>
            <p className="mono token" aria-label="One-time token">
              {created.token}
            </p>
            <button type="button" className="secondary" onClick={() => void navigator.clipboard?.writeText(created.token)}>
              Copy token
            </button>
          </div>
        </div>
      ) : null}
    </section>
  );
}

/** The office's correction of a device's clock, as a person reads it. */
function clockOffset(ms: number): string {
  if (Math.abs(ms) < 1000) return 'on time';
  return `${formatDuration(Math.abs(ms))} ${ms > 0 ? 'behind' : 'ahead'}`;
}

function sentenceCase(message: string): string {
  return message.charAt(0).toUpperCase() + message.slice(1);
}
