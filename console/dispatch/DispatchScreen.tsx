import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate, useSearch } from '@tanstack/react-router';
import { useState, type FormEvent } from 'react';
import type { OfficeDirectory, UnitOutOfService, WorkOrderBoard } from '../../protocol/wire/dispatch.js';
import { officeWriteResponseSchema } from '../../protocol/wire/office.js';
import { errorMessage, request } from '../api.js';
import { formatDateTime, formatValue } from '../format.js';
import { boardQuery, directoryQuery, OFFICE } from '../queries.js';
import { allowed, useMe } from '../Shell.js';
import { SiteFilter } from '../SiteFilter.js';
import { unitKey } from '../../protocol/maintenance.js';
import { changedFields, createdFields, type Draft, draftOf, FIELD_OWNED, OWNERSHIP_LABEL, ownershipOf, PRIORITIES, STATUSES } from './work-order.js';

type Order = WorkOrderBoard['orders'][number];

const FIELD_LABELS: Record<string, string> = {
  title: 'Title',
  description: 'Description',
  equipmentNumber: 'Unit number',
  assignee: 'Assignee',
  dueDate: 'Due date',
  priority: 'Priority',
  status: 'Status',
  statusNote: 'Status note',
  location: 'Location',
  completionNote: 'Completion note',
  completedAt: 'Completed at',
};

/** The dispatcher's board: work orders of the organisation with the field's progress, live. */
export function DispatchScreen() {
  const search = useSearch({ from: '/dispatch' });
  const navigate = useNavigate({ from: '/dispatch' });
  const me = useMe();
  const directory = useQuery(directoryQuery);
  const board = useQuery(boardQuery({ siteId: search.siteId, status: search.status }));
  const [creating, setCreating] = useState(false);
  const canWrite = allowed(me.role, 'editWorkOrders');
  const selected = board.data?.orders.find((order) => order.record.id === search.order);
  const names = nameLookup(directory.data);
  const outOfService = (equipmentNumber: unknown) =>
    typeof equipmentNumber === 'string' ? board.data?.unitsOutOfService.find((unit) => unit.equipmentNumber === unitKey(equipmentNumber)) : undefined;

  return (
    <div className="screen">
      <div className="screen-head">
        <h1>Dispatch</h1>
        <div className="filters" role="search" aria-label="Filter work orders">
          <SiteFilter value={search.siteId} onChange={(siteId) => void navigate({ search: (prev) => ({ ...prev, siteId }) })} />
          <label>
            Status
            <select value={search.status ?? ''} onChange={(event) => void navigate({ search: (prev) => ({ ...prev, status: event.target.value || undefined }) })}>
              <option value="">Any status</option>
              {STATUSES.map((status) => (
                <option key={status}>{status}</option>
              ))}
            </select>
          </label>
          {canWrite ? (
            <button type="button" onClick={() => setCreating(true)} disabled={creating}>
              New work order
            </button>
          ) : null}
        </div>
      </div>
      {creating && directory.data ? <CreateWorkOrder directory={directory.data} onDone={() => setCreating(false)} /> : null}
      <div className="split">
        <section aria-label="Work orders" className="list-pane">
          {board.isError ? <p role="alert" className="error">{errorMessage(board.error)}</p> : null}
          {board.data && board.data.orders.length === 0 ? <p className="muted">No work orders match.</p> : null}
          {board.data ? (
            <table className="board">
              <thead>
                <tr>
                  <th scope="col">Work order</th>
                  <th scope="col">Status</th>
                  <th scope="col">Assignee</th>
                  <th scope="col">Field progress</th>
                </tr>
              </thead>
              <tbody>
                {board.data.orders.map((order) => (
                  <tr key={order.record.id} aria-selected={order.record.id === search.order} className={order.record.id === search.order ? 'selected' : undefined}>
                    <td>
                      <button type="button" className="link" onClick={() => void navigate({ search: (prev) => ({ ...prev, order: order.record.id }) })}>
                        {formatValue(order.record.fields.title)}
                      </button>
                      <div className="muted small">
                        {formatValue(order.record.fields.equipmentNumber)} · {names.site(order.record.fields.siteId)} · {formatValue(order.record.fields.priority)}
                      </div>
                      <OutOfService unit={outOfService(order.record.fields.equipmentNumber)} />
                    </td>
                    <td>
                      <span className={`status status-${String(order.record.fields.status)}`}>{formatValue(order.record.fields.status)}</span>
                      {order.record.pendingReview ? <span className="badge warn">pending review</span> : null}
                    </td>
                    <td>{names.operator(order.record.fields.assignee)}</td>
                    <td>
                      <FieldProgress order={order} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
          {board.data?.truncated ? <p className="muted">Showing the most recently changed orders only: filter by site or status to see others.</p> : null}
        </section>
        {selected && directory.data ? (
          <EditWorkOrder key={`${selected.record.id}:${selected.record.version}`} order={selected} directory={directory.data} canWrite={canWrite} onClose={() => void navigate({ search: (prev) => ({ ...prev, order: undefined }) })} />
        ) : null}
      </div>
    </div>
  );
}

function FieldProgress({ order }: { order: Order }) {
  const { field } = order;
  if (!field) return <span className="muted">No field activity yet</span>;
  return (
    <div className="small">
      <div>
        {field.operatorName ?? field.operatorId} on {field.deviceLabel ?? field.deviceId}
      </div>
      <div className="muted">Office received {formatDateTime(field.receivedAt)}</div>
      <div className="muted">Device last synced {field.deviceLastSeenAt ? formatDateTime(field.deviceLastSeenAt) : 'never'}</div>
    </div>
  );
}

function nameLookup(directory: OfficeDirectory | undefined) {
  return {
    site: (id: unknown) => directory?.sites.find((site) => site.id === id)?.name ?? formatValue(id),
    operator: (id: unknown) => (id ? (directory?.operators.find((operator) => operator.id === id)?.displayName ?? String(id)) : 'Unassigned'),
  };
}

function useWrite(onDone: () => void) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ method, path, body }: { method: string; path: string; body: unknown }) => request(method, path, officeWriteResponseSchema, { body }),
    onSuccess: (answer) => {
      void queryClient.invalidateQueries({ queryKey: [OFFICE] });
      if (answer.outcome !== 'rejected') onDone();
    },
  });
}

function CreateWorkOrder({ directory, onDone }: { directory: OfficeDirectory; onDone: () => void }) {
  const [siteId, setSiteId] = useState(directory.sites[0]?.id ?? '');
  const [draft, setDraft] = useState<Draft>(draftOf({}));
  const write = useWrite(onDone);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    write.mutate({ method: 'POST', path: '/v1/office/work-orders', body: { siteId, ...createdFields(draft) } });
  };
  return (
    <form className="panel" onSubmit={submit} aria-label="New work order">
      <h2>New work order</h2>
      <div className="form-grid">
        <label>
          Site
          <select value={siteId} onChange={(event) => setSiteId(event.target.value)} required>
            {directory.sites.map((site) => (
              <option key={site.id} value={site.id}>
                {site.name}
              </option>
            ))}
          </select>
        </label>
        <OrderFields draft={draft} onChange={setDraft} directory={directory} editable fields={['title', 'equipmentNumber', 'assignee', 'dueDate', 'priority', 'description']} />
      </div>
      <WriteOutcome write={write} />
      <div className="actions">
        <button type="submit" disabled={write.isPending}>
          Create work order
        </button>
        <button type="button" className="secondary" onClick={onDone}>
          Close
        </button>
      </div>
    </form>
  );
}

function EditWorkOrder({ order, directory, canWrite, onClose }: { order: Order; directory: OfficeDirectory; canWrite: boolean; onClose: () => void }) {
  const loaded = draftOf(order.record.fields);
  const [draft, setDraft] = useState<Draft>(loaded);
  const write = useWrite(() => undefined);
  const { record } = order;
  const save = (event: FormEvent) => {
    event.preventDefault();
    write.mutate({ method: 'PATCH', path: `/v1/office/work-orders/${record.id}`, body: { baseVersion: record.version, set: changedFields(loaded, draft) } });
  };
  const cancelOrder = () => {
    if (!window.confirm(`Cancel work order “${String(record.fields.title)}”? Devices will show it as cancelled.`)) return;
    write.mutate({ method: 'PATCH', path: `/v1/office/work-orders/${record.id}`, body: { baseVersion: record.version, set: { status: 'cancelled' } } });
  };
  const changed = Object.keys(changedFields(loaded, draft)).length > 0;
  return (
    <form className="panel detail-pane" onSubmit={save} aria-label={`Work order ${formatValue(record.fields.title)}`}>
      <div className="panel-head">
        <h2>{formatValue(record.fields.title)}</h2>
        <button type="button" className="secondary" onClick={onClose}>
          Close
        </button>
      </div>
      <p className="muted small">
        {record.id} · version {record.version}
        {record.pendingReview ? ' · pending review' : ''}
      </p>
      <FieldProgress order={order} />
      <h3>Office-owned</h3>
      <div className="form-grid">
        <OrderFields draft={draft} onChange={setDraft} directory={directory} editable={canWrite} fields={['title', 'equipmentNumber', 'assignee', 'dueDate', 'priority', 'description']} />
      </div>
      <h3>Shared with the field</h3>
      <p className="muted small">{OWNERSHIP_LABEL.shared}.</p>
      <div className="form-grid">
        <OrderFields draft={draft} onChange={setDraft} directory={directory} editable={canWrite} fields={['status', 'statusNote', 'location']} />
      </div>
      <h3>Field-owned</h3>
      <dl className="readonly">
        {FIELD_OWNED.map((field) => (
          <div key={field} title={OWNERSHIP_LABEL.field}>
            <dt>{FIELD_LABELS[field] ?? field}</dt>
            <dd aria-label={`${FIELD_LABELS[field] ?? field} (field-owned, read-only)`}>
              {field === 'completedAt' && typeof record.fields[field] === 'number' ? formatDateTime(record.fields[field]) : formatValue(record.fields[field])}
            </dd>
          </div>
        ))}
      </dl>
      <p className="muted small">{OWNERSHIP_LABEL.field}.</p>
      <WriteOutcome write={write} />
      {canWrite ? (
        <div className="actions">
          <button type="submit" disabled={!changed || write.isPending}>
            Save changes
          </button>
          <button type="button" className="danger" onClick={cancelOrder} disabled={record.fields.status === 'cancelled' || write.isPending}>
            Cancel work order
          </button>
        </div>
      ) : null}
    </form>
  );
}

function OrderFields({
  draft,
  onChange,
  directory,
  editable,
  fields,
}: {
  draft: Draft;
  onChange: (draft: Draft) => void;
  directory: OfficeDirectory;
  editable: boolean;
  fields: readonly (keyof Draft)[];
}) {
  const set = (field: keyof Draft) => (event: { target: { value: string } }) => onChange({ ...draft, [field]: event.target.value });
  return fields.map((field) => {
    const label = FIELD_LABELS[field] ?? field;
    const ownership = ownershipOf(field);
    const common = { value: draft[field], onChange: set(field), disabled: !editable || ownership === 'field', 'aria-description': OWNERSHIP_LABEL[ownership] };
    let control;
    if (field === 'assignee') {
      control = (
        <select {...common}>
          <option value="">Unassigned</option>
          {directory.operators
            .filter((operator) => operator.active && operator.role === 'inspector')
            .map((operator) => (
              <option key={operator.id} value={operator.id}>
                {operator.displayName} ({directory.sites.find((site) => site.id === operator.siteId)?.name ?? operator.siteId})
              </option>
            ))}
        </select>
      );
    } else if (field === 'priority' || field === 'status') {
      control = <select {...common}>{(field === 'priority' ? PRIORITIES : STATUSES).map((value) => <option key={value}>{value}</option>)}</select>;
    } else if (field === 'description' || field === 'statusNote') {
      control = <textarea rows={2} {...common} />;
    } else {
      control = <input type={field === 'dueDate' ? 'date' : 'text'} required={field === 'title'} {...common} />;
    }
    return (
      <label key={field} className={field === 'description' || field === 'statusNote' ? 'wide' : undefined}>
        {label}
        {control}
      </label>
    );
  });
}

function WriteOutcome({ write }: { write: ReturnType<typeof useWrite> }) {
  if (write.isError) return <p role="alert" className="error">{errorMessage(write.error)}</p>;
  const answer = write.data;
  if (!answer) return null;
  if (answer.outcome === 'rejected') return <p role="alert" className="error">Not saved: {answer.message ?? answer.reason}</p>;
  const kept = answer.fields.filter((field) => field.outcome !== 'applied' && field.outcome !== 'merged');
  return (
    <p role="status" className={kept.length ? 'warn' : 'ok'}>
      {answer.outcome === 'conflict' ? 'Saved; a reviewer must decide between competing values. ' : 'Saved. '}
      {kept.map((field) => `${FIELD_LABELS[field.field] ?? field.field}: ${field.outcome}${field.reason ? ` (${field.reason})` : ''}`).join('; ')}
    </p>
  );
}

/** A unit with an out-of-service defect no mechanic has certified: it should not be dispatched. */
function OutOfService({ unit }: { unit: UnitOutOfService | undefined }) {
  if (!unit) return null;
  return (
    <div className="out-of-service-note">
      <span className="badge out-of-service">Out of service</span> <span className="small">{unit.defects.join('; ')} — waiting for a mechanic</span>
    </div>
  );
}
