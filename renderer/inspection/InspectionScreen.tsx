import { useCallback, useEffect, useState } from 'react';
import type { ChecklistTemplate } from '../../protocol/checklists.js';
import { call } from '../api.js';
import { errorMessage } from '../messages.js';
import { Alert, Badge } from '../components.js';
import { formatDateTime, startOfToday } from '../format.js';
import { useSyncRevision } from '../sync/SyncStatus.js';
import { checklistProgress, readInspection, type Inspection } from './inspection.js';
import { InspectionForm } from './InspectionForm.js';
import { RepairsToReview } from './RepairsToReview.js';
import { type InspectionFor, StartInspection } from './StartInspection.js';

/**
 * The inspector's screen. Every answer is saved as its own action, so drafts listed here are
 * exactly where the inspector left off, even after the app was killed.
 */
export function InspectionScreen({ startFor, onStartedFor }: { startFor: InspectionFor | null; onStartedFor: () => void }) {
  const [templates, setTemplates] = useState<ChecklistTemplate[]>([]);
  const [inspections, setInspections] = useState<Inspection[]>([]);
  const [activeId, setActiveId] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  // Inspections the office has put in front of a reviewer (competing signatures, say).
  const [inReview, setInReview] = useState<ReadonlySet<string>>(new Set());
  const revision = useSyncRevision();

  const refresh = useCallback(async () => {
    try {
      const [loadedTemplates, records] = await Promise.all([call('templates.list', {}), call('records.list', { recordType: 'inspection' })]);
      setTemplates(loadedTemplates);
      setInspections(records.map(readInspection).sort((a, b) => b.startedAt - a.startedAt));
      setInReview(new Set(records.filter((record) => record.pendingReview).map((record) => record.id)));
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh, revision]);

  const templateOf = (inspection: Inspection) => templates.find((template) => template.id === inspection.templateId);
  const active = inspections.find((inspection) => inspection.id === activeId);
  const activeTemplate = active && templateOf(active);

  if (active && activeTemplate) {
    return (
      <InspectionForm
        key={active.id}
        initial={active}
        template={activeTemplate}
        onClose={(message) => {
          setActiveId(null);
          void refresh().then(() => setNotice(message));
        }}
      />
    );
  }

  const drafts = inspections.filter((inspection) => inspection.status === 'draft');
  const today = startOfToday(Date.now());
  const submittedToday = inspections.filter((inspection) => inspection.status === 'submitted' && (inspection.submittedAt ?? 0) >= today);

  return (
    <div className="inspection-screen">
      <RepairsToReview />
      <StartInspection
        key={startFor?.workOrderId ?? 'any'}
        templates={templates}
        startFor={startFor}
        onAttempt={() => setNotice(null)}
        onStarted={(id) => {
          setNotice(null);
          onStartedFor();
          void refresh().then(() => setActiveId(id));
        }}
      />
      <section className="card" aria-labelledby="drafts-heading">
        <h2 id="drafts-heading">Inspections in progress</h2>
        {notice ? <Alert tone="success">{notice}</Alert> : null}
        {error ? <Alert tone="error">{error}</Alert> : null}
        {drafts.length === 0 ? <p className="empty">No inspection in progress.</p> : null}
        <ul className="event-list" aria-label="Inspections in progress">
          {drafts.map((inspection) => {
            const template = templateOf(inspection);
            const progress = template && checklistProgress(inspection, template);
            return (
              <li key={inspection.id} className="event">
                <div className="event__head">
                  <span className="event__plate">{inspection.equipmentNumber}</span>
                  <Badge tone="draft">Draft</Badge>
                  {inReview.has(inspection.id) ? <Badge tone="warn">Pending review</Badge> : null}
                </div>
                <p className="event__note">
                  {template?.title ?? inspection.templateId} · started {formatDateTime(inspection.startedAt)}
                  {progress ? ` · ${progress.answered} of ${progress.total} items answered` : ''}
                </p>
                <div className="event__actions">
                  <button type="button" className="button button--primary" onClick={() => setActiveId(inspection.id)} disabled={!template}>
                    Resume
                  </button>
                </div>
              </li>
            );
          })}
        </ul>
        {submittedToday.length > 0 ? (
          <>
            <h3>Submitted today</h3>
            <ul className="plain-list">
              {submittedToday.map((inspection) => (
                <li key={inspection.id}>
                  {inspection.equipmentNumber} · {templateOf(inspection)?.title ?? inspection.templateId}
                  {inReview.has(inspection.id) ? (
                    <>
                      {' '}
                      <Badge tone="warn">Pending review</Badge>
                    </>
                  ) : null}
                </li>
              ))}
            </ul>
          </>
        ) : null}
      </section>
    </div>
  );
}
