import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { FieldOperation } from '../../protocol/actions.js';
import type { DoneCautionView } from '../../main/ipc/contract.js';
import { call } from '../api.js';
import { countdown, errorMessage } from '../messages.js';
import { Alert, Badge } from '../components.js';
import { formatDateTime } from '../format.js';
import { useSyncRevision } from '../sync/SyncStatus.js';
import { assignedWorkOrders, doneCautionText, type WorkOrder, type WorkOrderStatus } from './work-order.js';
import { useUndoWindow } from './undo-window.js';
import type { InspectionFor } from '../inspection/StartInspection.js';
import './work-orders.css';

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
  // `opener`: the "Mark done" pressed, for focus to go back to when the order is kept open (it was disabled while
  // the check ran, so the dialog's own return of focus finds nothing to go back to).
  const [confirming, setConfirming] = useState<{ order: WorkOrder; cautions: DoneCautionView[]; opener: HTMLElement } | null>(null);
  const { offer, leftMs, offerUndo, takeUndo } = useUndoWindow<{ order: WorkOrder; previous: WorkOrderStatus }>();

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

  /** One change to an order, journaled; the list shows it before this returns. */
  async function write(order: WorkOrder, ops: FieldOperation[]): Promise<number> {
    const { seq } = await call('records.perform', { recordType: 'workOrder', recordId: order.id, action: 'update', ops });
    await refresh();
    return seq;
  }

  async function attempt(action: () => Promise<void>) {
    setError(null);
    setNotice(null);
    try {
      await action();
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }

  const update = (order: WorkOrder, ops: FieldOperation[], done: string) =>
    attempt(async () => {
      const seq = await write(order, ops);
      setNotice(`${done} (journal entry ${seq}).`);
    });

  async function completeDone(order: WorkOrder) {
    await write(order, [{ op: 'set', field: 'status', value: 'done' }]);
    offerUndo({ order, previous: order.status });
  }

  const markDone = (order: WorkOrder, opener: HTMLElement) =>
    attempt(async () => {
      const cautions = await call('workOrders.doneCautions', { recordId: order.id });
      if (cautions.length > 0) setConfirming({ order, cautions, opener });
      else await completeDone(order);
    });

  // The undo is a change of its own that sets the status back: the journal never loses the "done".
  const undoDone = () =>
    attempt(async () => {
      const taken = takeUndo();
      if (!taken) return;
      const seq = await write(taken.order, [{ op: 'set', field: 'status', value: taken.previous }]);
      setNotice(`Work order “${taken.order.title}” is ${STATUS_LABELS[taken.previous].toLowerCase()} again (journal entry ${seq}).`);
    });

  // An order someone else moved on since (an office edit, by sync) is not this undo's to put back.
  const undoable = offer && orders.some((order) => order.id === offer.subject.order.id && order.status === 'done') ? offer : null;

  return (
    <section className="card work-orders" aria-labelledby="work-orders-heading">
      <h2 id="work-orders-heading">Your work orders</h2>
      <UndoNotice title={undoable?.subject.order.title ?? null} leftMs={leftMs} onUndo={() => void undoDone()} />
      {notice ? <Alert tone="success">{notice}</Alert> : null}
      {error ? <Alert tone="error">{error}</Alert> : null}
      {loaded && orders.length === 0 ? <p className="empty">No work orders assigned to you.</p> : null}
      <ul className="event-list" aria-label="Your work orders">
        {orders.map((order) => (
          <WorkOrderItem
            key={order.id}
            order={order}
            onUpdate={(ops, done) => update(order, ops, done)}
            onMarkDone={(opener) => markDone(order, opener)}
            onInspect={onInspect}
          />
        ))}
      </ul>
      {confirming ? (
        <ConfirmDone
          key={confirming.order.id}
          cautions={confirming.cautions}
          onClose={(done) => {
            setConfirming(null);
            if (done) void attempt(() => completeDone(confirming.order));
            else confirming.opener.focus();
          }}
        />
      ) : null}
    </section>
  );
}

/**
 * Always in the page, so screen readers already watch the region when the notice appears in it.
 * The countdown is hidden from them: a polite region read out every second would drown the rest.
 */
function UndoNotice({ title, leftMs, onUndo }: { title: string | null; leftMs: number; onUndo: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  // The "Mark done" button just left the page (a done order has none): focus comes here rather than to
  // the top of the page, one Tab from "Undo" but not on it, so a second press of Enter undoes nothing.
  useEffect(() => {
    if (title) ref.current?.focus();
  }, [title]);
  return (
    <div ref={ref} className={title ? 'alert alert--success undo-notice' : undefined} role="status" aria-live="polite" tabIndex={title ? -1 : undefined}>
      {title ? (
        <>
          <p className="undo-notice__text">Work order “{title}” marked done.</p>
          <span className="undo-notice__left" aria-hidden="true">
            {countdown(leftMs)} left
          </span>
          <button type="button" className="button" onClick={onUndo}>
            Undo
          </button>
        </>
      ) : null}
    </div>
  );
}

/** A modal confirmation: Escape, like "Keep open", leaves the order as it is. */
function ConfirmDone({ cautions, onClose }: { cautions: DoneCautionView[]; onClose: (done: boolean) => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const reasonId = useId();
  // Taken off the page, the dialog stops being modal by itself; a second run (React's strict mode) finds it open.
  useEffect(() => {
    if (ref.current && !ref.current.open) ref.current.showModal();
  }, []);
  return (
    <dialog ref={ref} className="confirm-dialog" aria-labelledby={titleId} aria-describedby={reasonId} onClose={(event) => onClose(event.currentTarget.returnValue === 'done')}>
      <h2 id={titleId}>Mark done anyway?</h2>
      <div id={reasonId}>
        {cautions.map((caution) => (
          <p key={caution.inspectionId}>{doneCautionText(caution)}</p>
        ))}
      </div>
      <form method="dialog" className="event__actions">
        <button type="submit" className="button" value="keep" autoFocus>
          Keep open
        </button>
        <button type="submit" className="button button--primary" value="done">
          Mark done
        </button>
      </form>
    </dialog>
  );
}

interface WorkOrderItemProps {
  order: WorkOrder;
  onUpdate: (ops: FieldOperation[], done: string) => Promise<void>;
  onMarkDone: (opener: HTMLElement) => Promise<void>;
  onInspect: (order: InspectionFor) => void;
}

function WorkOrderItem({ order, onUpdate, onMarkDone, onInspect }: WorkOrderItemProps) {
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);

  async function run(action: () => Promise<void>) {
    setBusy(true);
    try {
      await action();
    } finally {
      setBusy(false);
    }
  }

  async function saveNote(event: FormEvent) {
    event.preventDefault();
    if (!note.trim()) return;
    await run(() => onUpdate([{ op: 'set', field: 'statusNote', value: note.trim() }], `Saved the status note on ${order.title}`));
    setNote('');
  }

  // "Mark done" may ask first and can be undone (WorkOrdersScreen); "Start" is one tap.
  const next: { label: string; act: (opener: HTMLElement) => Promise<void> } | null =
    order.status === 'open'
      ? { label: 'Start', act: () => onUpdate([{ op: 'set', field: 'status', value: 'in-progress' }], `Started ${order.title}`) }
      : order.status === 'in-progress'
        ? { label: 'Mark done', act: onMarkDone }
        : null;

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
            onClick={(event) => {
              const opener = event.currentTarget;
              void run(() => next.act(opener));
            }}
          >
            {next.label}
          </button>
        ) : null}
      </form>
    </li>
  );
}
