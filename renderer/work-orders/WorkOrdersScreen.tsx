import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { FieldOperation } from '../../protocol/actions.js';
import { call } from '../api.js';
import { errorMessage } from '../messages.js';
import { Alert, Badge } from '../components.js';
import { formatDateTime } from '../format.js';
import { useSyncRevision } from '../sync/SyncStatus.js';
import { assignedWorkOrders, type WorkOrder, type WorkOrderStatus } from './work-order.js';
import type { InspectionFor } from '../inspection/StartInspection.js';

const STATUS_LABELS: Record<WorkOrderStatus, string> = { open: 'Open', 'in-progress': 'In progress', done: 'Done', cancelled: 'Cancelled' };

/**
 * The inspector's work orders, as the office assigned them. Office edits arrive by sync and show
 * here on their own; the inspector moves an order along and leaves status notes.
 */
export function WorkOrdersScreen({ operatorId, onInspect }: { operatorId: string; onInspect: (order: InspectionFor) => void }) {
  const revision = useSyncRevision();
  const [orders, setOrders] = useState<WorkOrder[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const refresh = useCallback(async () => {
    try {
      setOrders(assignedWorkOrders(await call('records.list', { recordType: 'workOrder' }), operatorId));
      setLoaded(true);
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }, [operatorId]);

  useEffect(() => {
    void refresh();
  }, [refresh, revision]);

  async function update(order: WorkOrder, ops: FieldOperation[], done: string) {
    setError(null);
    setNotice(null);
    try {
      const { seq } = await call('records.perform', { recordType: 'workOrder', recordId: order.id, action: 'update', ops });
      await refresh();
      setNotice(`${done} (journal entry ${seq}).`);
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }

  return (
    <section className="card work-orders" aria-labelledby="work-orders-heading">
      <h2 id="work-orders-heading">Your work orders</h2>
      {notice ? <Alert tone="success">{notice}</Alert> : null}
      {error ? <Alert tone="error">{error}</Alert> : null}
      {loaded && orders.length === 0 ? <p className="empty">No work orders assigned to you.</p> : null}
      <ul className="event-list" aria-label="Your work orders">
        {orders.map((order) => (
          <WorkOrderItem key={order.id} order={order} onUpdate={(ops, done) => update(order, ops, done)} onInspect={onInspect} />
        ))}
      </ul>
    </section>
  );
}

function WorkOrderItem({ order, onUpdate, onInspect }: { order: WorkOrder; onUpdate: (ops: FieldOperation[], done: string) => Promise<void>; onInspect: (order: InspectionFor) => void }) {
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);

  async function run(ops: FieldOperation[], done: string) {
    setBusy(true);
    try {
      await onUpdate(ops, done);
    } finally {
      setBusy(false);
    }
  }

  async function saveNote(event: FormEvent) {
    event.preventDefault();
    if (!note.trim()) return;
    await run([{ op: 'set', field: 'statusNote', value: note.trim() }], `Saved the status note on ${order.title}`);
    setNote('');
  }

  const next: { status: WorkOrderStatus; label: string } | null =
    order.status === 'open' ? { status: 'in-progress', label: 'Start' } : order.status === 'in-progress' ? { status: 'done', label: 'Mark done' } : null;

  return (
    <li className="event" aria-label={order.title}>
      <div className="event__head">
        <span className="work-order__title">{order.title}</span>
        <Badge tone={order.status === 'done' || order.status === 'cancelled' ? 'final' : 'in'}>{STATUS_LABELS[order.status]}</Badge>
        {order.priority === 'high' || order.priority === 'urgent' ? <Badge tone="warn">{order.priority === 'urgent' ? 'Urgent' : 'High priority'}</Badge> : null}
        {order.pendingReview ? <Badge tone="draft">Pending review</Badge> : null}
        {order.unsent ? <Badge tone="muted">Not sent yet</Badge> : null}
      </div>
      <dl className="event__details">
        {order.equipmentNumber ? (
          <>
            <dt>Unit</dt>
            <dd className="mono">{order.equipmentNumber}</dd>
          </>
        ) : null}
        {order.dueDate !== null ? (
          <>
            <dt>Due</dt>
            <dd>{formatDateTime(order.dueDate)}</dd>
          </>
        ) : null}
        {order.description ? (
          <>
            <dt>Details</dt>
            <dd>{order.description}</dd>
          </>
        ) : null}
        <dt>Status note</dt>
        <dd data-testid="status-note">{order.statusNote ?? <span className="muted">none</span>}</dd>
      </dl>
      {order.pendingReview ? <p className="event__note">A reviewer at the office is deciding between competing edits of this order.</p> : null}
      <form className="inline-form" onSubmit={(event) => void saveNote(event)} aria-label={`Status note for ${order.title}`}>
        <div className="field">
          <label htmlFor={`note-${order.id}`}>New status note</label>
          <input id={`note-${order.id}`} value={note} autoComplete="off" onChange={(event) => setNote(event.target.value)} />
        </div>
        <button type="submit" className="button" disabled={busy || !note.trim()}>
          Save note
        </button>
        {order.equipmentNumber && (order.status === 'open' || order.status === 'in-progress') ? (
          <button type="button" className="button" disabled={busy} onClick={() => onInspect({ workOrderId: order.id, title: order.title, equipmentNumber: order.equipmentNumber! })}>
            Inspect {order.equipmentNumber}
          </button>
        ) : null}
        {next ? (
          <button
            type="button"
            className="button button--primary"
            disabled={busy}
            onClick={() => void run([{ op: 'set', field: 'status', value: next.status }], `${next.label === 'Start' ? 'Started' : 'Finished'} ${order.title}`)}
          >
            {next.label}
          </button>
        ) : null}
      </form>
    </li>
  );
}
