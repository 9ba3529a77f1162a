import { useMutation, useQuery } from '@tanstack/react-query';
import { useNavigate, useSearch } from '@tanstack/react-router';
import { useState, type FormEvent } from 'react';
import { policyOf, RECORD_TYPES, RECORD_TYPE_NAMES, recordTypeSpec } from '../../protocol/records/index.js';
import type { HistoryWrite, RecordHistory } from '../../protocol/wire/audit.js';
import { authHeaders, errorMessage, OfficeError } from '../api.js';
import { formatDateTime, formatValue, fromLocalInput, shortHash, toLocalInput } from '../format.js';
import { auditSearchQuery, directoryQuery, historyQuery } from '../queries.js';
import { Authorship } from '../review/ReviewScreen.js';

const KIND_LABEL = { 'device-entry': 'Device entry', 'office-edit': 'Office edit', 'review-decision': 'Review decision' } as const;

/** The auditor's view: find records by who, where, which unit and when; read a record's whole timeline; export a range. */
export function AuditScreen() {
  const search = useSearch({ from: '/audit' });
  const navigate = useNavigate({ from: '/audit' });
  const directory = useQuery(directoryQuery);
  const criteria = { operatorId: search.operatorId, deviceId: search.deviceId, unit: search.unit, from: search.from, to: search.to };
  const searching = Object.values(criteria).some((value) => value !== undefined);
  const results = useQuery({ ...auditSearchQuery(criteria), enabled: searching });
  const [draft, setDraft] = useState({
    operatorId: search.operatorId ?? '',
    deviceId: search.deviceId ?? '',
    unit: search.unit ?? '',
    from: search.from ? toLocalInput(search.from) : '',
    to: search.to ? toLocalInput(search.to) : '',
  });
  const [open, setOpen] = useState({ type: search.type ?? 'workOrder', id: search.id ?? '' });
  const set = (name: keyof typeof draft) => (event: { target: { value: string } }) => setDraft({ ...draft, [name]: event.target.value });
  const find = (event: FormEvent) => {
    event.preventDefault();
    void navigate({
      search: (prev) => ({
        ...prev,
        operatorId: draft.operatorId || undefined,
        deviceId: draft.deviceId || undefined,
        unit: draft.unit.trim() || undefined,
        from: fromLocalInput(draft.from),
        to: fromLocalInput(draft.to),
      }),
    });
  };

  return (
    <div className="screen">
      <h1>Audit</h1>
      <div className="audit-forms">
        <form className="panel" onSubmit={find} role="search" aria-label="Search the audit trail">
          <h2>Search</h2>
          <div className="form-grid">
            <label>
              Operator
              <select value={draft.operatorId} onChange={set('operatorId')}>
                <option value="">Anyone</option>
                {directory.data?.operators.map((operator) => (
                  <option key={operator.id} value={operator.id}>
                    {operator.displayName}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Device
              <select value={draft.deviceId} onChange={set('deviceId')}>
                <option value="">Any device</option>
                {directory.data?.devices.map((device) => (
                  <option key={device.id} value={device.id}>
                    {device.label ? `${device.label} (${device.id})` : device.id}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Unit or container number
              <input type="text" value={draft.unit} onChange={set('unit')} />
            </label>
            <label>
              Received from
              <input type="datetime-local" value={draft.from} onChange={set('from')} />
            </label>
            <label>
              Received before
              <input type="datetime-local" value={draft.to} onChange={set('to')} />
            </label>
          </div>
          <div className="actions">
            <button type="submit">Search</button>
            <ExportButton from={fromLocalInput(draft.from)} to={fromLocalInput(draft.to)} />
          </div>
        </form>
        <form
          className="panel"
          aria-label="Open a record"
          onSubmit={(event) => {
            event.preventDefault();
            void navigate({ search: (prev) => ({ ...prev, type: open.type, id: open.id.trim() }) });
          }}
        >
          <h2>Open a record</h2>
          <label>
            Record type
            <select value={open.type} onChange={(event) => setOpen({ ...open, type: event.target.value })}>
              {RECORD_TYPE_NAMES.map((type) => (
                <option key={type} value={type}>
                  {RECORD_TYPES[type].label}
                </option>
              ))}
            </select>
          </label>
          <label>
            Record id
            <input type="text" required value={open.id} onChange={(event) => setOpen({ ...open, id: event.target.value })} />
          </label>
          <button type="submit">Open timeline</button>
        </form>
      </div>
      {searching ? (
        <section className="panel" aria-label="Search results">
          <h2>Records found</h2>
          {results.isError ? <p role="alert" className="error">{errorMessage(results.error)}</p> : null}
          {results.data?.records.length === 0 ? <p className="muted">No record matches.</p> : null}
          {results.data && results.data.records.length > 0 ? (
            <table>
              <thead>
                <tr>
                  <th scope="col">Record</th>
                  <th scope="col">Unit</th>
                  <th scope="col">Matching writes</th>
                  <th scope="col">First received</th>
                  <th scope="col">Last received</th>
                </tr>
              </thead>
              <tbody>
                {results.data.records.map((found) => (
                  <tr key={`${found.type}/${found.id}`}>
                    <td>
                      <button type="button" className="link" onClick={() => void navigate({ search: (prev) => ({ ...prev, type: found.type, id: found.id }) })}>
                        {recordTypeSpec(found.type)?.label ?? found.type} {found.id}
                      </button>
                    </td>
                    <td>{found.unit ?? '—'}</td>
                    <td>{found.writes}</td>
                    <td>{formatDateTime(found.firstAt)}</td>
                    <td>{formatDateTime(found.lastAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
          {results.data?.truncated ? <p className="muted">More records match: narrow the search.</p> : null}
        </section>
      ) : null}
      {search.type && search.id ? <Timeline type={search.type} id={search.id} /> : null}
    </div>
  );
}

/** Downloads the journals received in [from, to) as the office exports them (JSON lines that verify offline). */
function ExportButton({ from, to }: { from: number | undefined; to: number | undefined }) {
  const download = useMutation({
    mutationFn: async () => {
      const response = await fetch(`/v1/audit/export?from=${from}&to=${to}`, { headers: authHeaders('GET'), credentials: 'same-origin' });
      if (!response.ok) throw new OfficeError(response.status, 'export', `The export was refused (${response.status}).`);
      const blob = await response.blob();
      const link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = `waypost-audit-${from}-${to}.jsonl`;
      link.click();
      URL.revokeObjectURL(link.href);
      return blob.size;
    },
  });
  return (
    <>
      <button type="button" className="secondary" disabled={from === undefined || to === undefined || download.isPending} onClick={() => download.mutate()}>
        Export this time range
      </button>
      {download.isError ? <span role="alert" className="error">{errorMessage(download.error)}</span> : null}
      {download.isSuccess ? <span role="status">Exported {download.data.toLocaleString()} bytes.</span> : null}
    </>
  );
}

function Timeline({ type, id }: { type: string; id: string }) {
  const history = useQuery(historyQuery(type, id));
  return (
    <section className="panel" aria-label={`Timeline of ${type} ${id}`}>
      <h2>
        Timeline: {recordTypeSpec(type)?.label ?? type} {id}
      </h2>
      {history.isError ? <p role="alert" className="error">{errorMessage(history.error)}</p> : null}
      {history.data ? <TimelineBody history={history.data} type={type} /> : null}
    </section>
  );
}

function TimelineBody({ history, type }: { history: RecordHistory; type: string }) {
  const { record } = history;
  return (
    <>
      <p>
        {record ? `Now at version ${record.version}${record.deleted ? ' (deleted)' : ''}${record.pendingReview ? ', pending review' : ''}.` : 'The record never came to exist.'}{' '}
        {history.writes.length} writes, {history.versions.length} versions.
      </p>
      <ol className="timeline">
        {history.writes.map((write) => (
          <li key={write.writeId} className={`entry outcome-${write.outcome}`}>
            <TimelineEntry write={write} type={type} />
          </li>
        ))}
      </ol>
    </>
  );
}

function TimelineEntry({ write, type }: { write: HistoryWrite; type: string }) {
  return (
    <article aria-label={`Write ${write.writeId}: ${KIND_LABEL[write.kind]}`}>
      <header>
        <strong>{KIND_LABEL[write.kind]}</strong> · {write.action} · <span className={`outcome outcome-${write.outcome}`}>{write.outcome}</span>
        {write.versionAfter ? ` → version ${write.versionAfter}` : ' (no new version)'}
        {write.reason ? <span className="muted"> · {write.reason}</span> : null}
      </header>
      <div className="entry-body">
        <Authorship write={write} />
        <div>
          <table className="decisions small">
            <thead>
              <tr>
                <th scope="col">Field</th>
                <th scope="col">Policy</th>
                <th scope="col">Outcome</th>
                <th scope="col">Written</th>
                <th scope="col">After</th>
              </tr>
            </thead>
            <tbody>
              {write.fields.map((decision, index) => (
                <tr key={`${decision.field}:${decision.key ?? ''}:${index}`}>
                  <td>
                    {decision.field}
                    {decision.key ? `[${decision.key}]` : ''}
                  </td>
                  <td>{policyOf(type, decision.field)}</td>
                  <td>
                    {decision.outcome}
                    {decision.reason ? ` (${decision.reason})` : ''}
                  </td>
                  <td>{formatValue(decision.written)}</td>
                  <td>{formatValue(decision.after)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {write.losingVersions.length > 0 ? (
            <p className="small losing">
              Lost:{' '}
              {write.losingVersions.map((losing) => `${losing.field} ${formatValue(losing.value)} (${losing.outcome}; kept ${formatValue(losing.kept)})`).join('; ')}
            </p>
          ) : null}
          {write.review ? (
            <p className="small">
              Reviewer chose {write.review.choice} on item {write.review.itemId}: “{write.review.reason}”
            </p>
          ) : null}
          <p className="small chain">{chainStatus(write)}</p>
        </div>
      </div>
    </article>
  );
}

/** What the office can say of an entry's signature and place in its device's chain. */
function chainStatus(write: HistoryWrite): string {
  const { entry } = write;
  if (!entry || !write.entryHash) return 'Office write: recorded by the office under the user named, not signed by a device.';
  const parts = [
    `Entry ${shortHash(write.entryHash)}, session ${entry.sessionId}, #${entry.seq}`,
    'signature and chain link verified when the office received it',
    entry.anchored ? 'anchored (the office signed a receipt of the chain through it)' : 'not yet anchored',
  ];
  if (entry.deviceFlagged) parts.push('the device was later flagged: it presented a chain that does not extend the anchored one');
  return `${parts.join('; ')}.`;
}
