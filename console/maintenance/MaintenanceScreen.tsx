import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate, useSearch } from '@tanstack/react-router';
import { useState, type FormEvent } from 'react';
import { type RepairDecision, certificationProblems } from '../../protocol/maintenance.js';
import { REPAIR_DISPOSITIONS, type RepairDisposition } from '../../protocol/records/repair-certification.js';
import { LONG_TEXT_MAX } from '../../protocol/records/define.js';
import type { CertificationSummary, MaintenanceUnit } from '../../protocol/wire/maintenance.js';
import { officeWriteResponseSchema } from '../../protocol/wire/office.js';
import { errorMessage, request } from '../api.js';
import { formatDateTime, formatDuration } from '../format.js';
import { RecordPhotos } from '../photos.js';
import { directoryQuery, maintenanceQuery, OFFICE, recordQuery } from '../queries.js';
import { allowed, useMe } from '../Shell.js';
import { SiteFilter } from '../SiteFilter.js';

const DISPOSITION_LABEL: Record<RepairDisposition, string> = { repaired: 'Repaired', deferred: 'Deferred', 'no-repair-needed': 'No repair needed' };

type Defect = MaintenanceUnit['inspections'][number]['defects'][number];
type Inspection = MaintenanceUnit['inspections'][number];

/** Defects drivers reported, per unit, until a mechanic certifies what was done (49 CFR 396.11(a)(3)). */
export function MaintenanceScreen() {
  const search = useSearch({ from: '/maintenance' });
  const navigate = useNavigate({ from: '/maintenance' });
  const directory = useQuery(directoryQuery);
  const queue = useQuery(maintenanceQuery(search.siteId));
  const [now] = useState(() => Date.now());
  const [certified, setCertified] = useState<string | null>(null);
  const units = queue.data?.units ?? [];
  const selected = units.find((unit) => unit.equipmentNumber === search.unit);
  const siteName = (id: string) => directory.data?.sites.find((site) => site.id === id)?.name ?? id;

  return (
    <div className="screen">
      <div className="screen-head">
        <h1>Maintenance</h1>
        <div className="filters" role="search" aria-label="Filter the maintenance queue">
          <SiteFilter value={search.siteId} onChange={(siteId) => void navigate({ search: (prev) => ({ ...prev, siteId, unit: undefined }) })} />
        </div>
      </div>
      {certified ? (
        <p role="status" className="ok">
          {certified}
        </p>
      ) : null}
      <div className="split">
        <section aria-label="Units with reported defects" className="list-pane">
          {queue.isError ? <p role="alert" className="error">{errorMessage(queue.error)}</p> : null}
          {queue.data && units.length === 0 ? <p className="muted">No reported defect waits for a mechanic.</p> : null}
          <ol className="queue">
            {units.map((unit) => {
              const defects = unit.inspections.reduce((count, inspection) => count + inspection.defects.length, 0);
              const oldest = unit.inspections[0]?.submittedAt;
              return (
                <li key={unit.equipmentNumber} className={unit.equipmentNumber === search.unit ? 'selected' : undefined}>
                  <button type="button" className="queue-item" aria-current={unit.equipmentNumber === search.unit} onClick={() => void navigate({ search: (prev) => ({ ...prev, unit: unit.equipmentNumber }) })}>
                    <strong>
                      {unit.equipmentNumber}
                      {unit.outOfService ? <span className="badge out-of-service">Out of service</span> : null}
                    </strong>
                    <span>
                      {defects} {defects === 1 ? 'defect' : 'defects'} · {siteName(unit.inspections[0]!.siteId)}
                    </span>
                    {oldest ? <span className="muted small">reported {formatDuration(Math.max(0, now - oldest))} ago</span> : null}
                  </button>
                </li>
              );
            })}
          </ol>
          {queue.data?.truncated ? <p className="muted">Showing the oldest reports only: filter by site to see others.</p> : null}
        </section>
        {selected ? (
          <section className="panel detail-pane" aria-label={`Unit ${selected.equipmentNumber}`}>
            <h2>
              {selected.equipmentNumber}
              {selected.outOfService ? <span className="badge out-of-service">Out of service</span> : null}
            </h2>
            {selected.inspections.map((inspection) => (
              <CertifyInspection
                key={inspection.inspectionId}
                unit={selected.equipmentNumber}
                inspection={inspection}
                onCertified={(message) => {
                  setCertified(message);
                  void navigate({ search: (prev) => ({ ...prev, unit: undefined }) });
                }}
              />
            ))}
          </section>
        ) : (
          <p className="muted detail-pane">Choose a unit to see its defects and certify the repairs.</p>
        )}
      </div>
      <RecentlyCertified certifications={queue.data?.certified ?? []} siteName={siteName} />
    </div>
  );
}

function CertifyInspection({ unit, inspection, onCertified }: { unit: string; inspection: Inspection; onCertified: (message: string) => void }) {
  const me = useMe();
  const queryClient = useQueryClient();
  const canCertify = allowed(me.role, 'certifyRepairs');
  const record = useQuery(recordQuery('inspection', inspection.inspectionId));
  const [decisions, setDecisions] = useState<Record<string, { disposition?: RepairDisposition; reason: string }>>({});
  const [tried, setTried] = useState(false);
  const chosen: RepairDecision[] = inspection.defects.flatMap((defect) => {
    const decision = decisions[defect.key];
    return decision?.disposition ? [{ defect: defect.key, disposition: decision.disposition, ...(decision.reason.trim() ? { reason: decision.reason.trim() } : {}) }] : [];
  });
  const problems = certificationProblems(inspection.defects, chosen);
  const certify = useMutation({
    mutationFn: () => request('POST', '/v1/office/maintenance/certifications', officeWriteResponseSchema, { body: { inspectionId: inspection.inspectionId, repairs: chosen } }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: [OFFICE] });
      const counts = REPAIR_DISPOSITIONS.map((disposition) => [disposition, chosen.filter((decision) => decision.disposition === disposition).length] as const)
        .filter(([, count]) => count > 0)
        .map(([disposition, count]) => `${count} ${DISPOSITION_LABEL[disposition].toLowerCase()}`);
      onCertified(`Certified ${unit} (${counts.join(', ')}) as ${me.name}. Signed by the office; the unit's next driver sees it on their device.`);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTried(true);
    if (problems.length === 0) certify.mutate();
  };
  const by = inspection.submittedBy;
  return (
    <form onSubmit={submit} aria-label={`Certify repairs reported ${inspection.submittedAt ? formatDateTime(inspection.submittedAt) : ''}`} className="certify">
      <p className="muted small">
        Reported {inspection.submittedAt ? formatDateTime(inspection.submittedAt) : 'at an unknown time'}
        {by ? ` by ${by.operatorName ?? by.operatorId} on ${by.deviceLabel ?? by.deviceId}` : ''} · inspection <span className="mono">{inspection.inspectionId}</span>
      </p>
      {inspection.defects.map((defect) => (
        <DefectDecision
          key={defect.key}
          defect={defect}
          value={decisions[defect.key] ?? { reason: '' }}
          disabled={!canCertify}
          onChange={(next) => setDecisions((previous) => ({ ...previous, [defect.key]: next }))}
        />
      ))}
      <RecordPhotos fields={record.data?.fields} recordType="inspection" />
      {canCertify ? (
        <>
          {tried && problems.length > 0 ? (
            <div role="alert" className="error">
              <p>Before signing:</p>
              <ul>
                {problems.map((problem) => (
                  <li key={problem}>{problem}</li>
                ))}
              </ul>
            </div>
          ) : null}
          {certify.isError ? <p role="alert" className="error">{errorMessage(certify.error)}</p> : null}
          <p className="small">By certifying, {me.name} states that each defect above was repaired, or that no repair is needed, or why it is deferred. The office signs the certification with its key.</p>
          <button type="submit" disabled={certify.isPending}>
            Certify as {me.name}
          </button>
        </>
      ) : (
        <p className="muted">Only mechanics certify repairs.</p>
      )}
    </form>
  );
}

function DefectDecision({ defect, value, disabled, onChange }: { defect: Defect; value: { disposition?: RepairDisposition; reason: string }; disabled: boolean; onChange: (next: { disposition?: RepairDisposition; reason: string }) => void }) {
  const reasonLabel = value.disposition === 'deferred' ? 'Why it is deferred' : 'Repair notes (optional)';
  return (
    <fieldset className="defect">
      <legend>
        {defect.label}
        {defect.outOfService ? <span className="badge out-of-service">Out of service</span> : null}
      </legend>
      {defect.note ? <p className="small">Driver: “{defect.note}”</p> : null}
      <div className="choices">
        {REPAIR_DISPOSITIONS.map((disposition) => (
          <label key={disposition} className="choice">
            <input
              type="radio"
              name={`disposition-${defect.key}`}
              value={disposition}
              checked={value.disposition === disposition}
              disabled={disabled || (disposition === 'deferred' && defect.outOfService)}
              onChange={() => onChange({ ...value, disposition })}
            />
            {DISPOSITION_LABEL[disposition]}
          </label>
        ))}
      </div>
      {defect.outOfService ? <p className="muted small">An out-of-service defect cannot be deferred: the unit does not run with it.</p> : null}
      <label>
        {reasonLabel}
        <textarea rows={2} maxLength={LONG_TEXT_MAX} value={value.reason} disabled={disabled} required={value.disposition === 'deferred'} onChange={(event) => onChange({ ...value, reason: event.target.value })} />
      </label>
    </fieldset>
  );
}

function RecentlyCertified({ certifications, siteName }: { certifications: CertificationSummary[]; siteName: (id: string) => string }) {
  if (certifications.length === 0) return null;
  return (
    <section aria-label="Recently certified" className="panel">
      <h2>Recently certified</h2>
      <table className="board">
        <thead>
          <tr>
            <th scope="col">Unit</th>
            <th scope="col">Decisions</th>
            <th scope="col">Certified</th>
            <th scope="col">Driver's review</th>
          </tr>
        </thead>
        <tbody>
          {certifications.map((certification) => (
            <tr key={certification.recordId}>
              <td>
                {certification.equipmentNumber}
                <div className="muted small">{siteName(certification.siteId)}</div>
              </td>
              <td>
                <ul className="plain">
                  {certification.repairs.map((repair) => (
                    <li key={repair.defect}>
                      {repair.label}: <strong>{DISPOSITION_LABEL[repair.disposition]}</strong>
                      {repair.reason ? <span className="muted"> — {repair.reason}</span> : null}
                    </li>
                  ))}
                </ul>
              </td>
              <td>
                {certification.mechanicName}
                <div className="muted small">{formatDateTime(certification.certifiedAt)}</div>
              </td>
              <td>{certification.reviewedAt ? `${certification.reviewedByName ?? certification.reviewedBy} · ${formatDateTime(certification.reviewedAt)}` : <span className="muted">Not yet reviewed</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
