import { useCallback, useState } from 'react';
import type { ChecklistTemplate } from '../../protocol/checklists.js';
import { call } from '../api.js';
import { Badge } from '../components.js';
import { formatDateTime, startOfToday } from '../format.js';
import { InProgressCard, InProgressItem, useRecordsInProgress } from '../records-in-progress.js';
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
  // Inspections the office has put in front of a reviewer (competing signatures, say).
  const [inReview, setInReview] = useState<ReadonlySet<string>>(new Set());
  const loadInspections = useCallback(async () => {
    const [loadedTemplates, records] = await Promise.all([call('templates.list', {}), call('records.list', { recordType: 'inspection' })]);
    setTemplates(loadedTemplates);
    setInReview(new Set(records.filter((record) => record.pendingReview).map((record) => record.id)));
    return records.map(readInspection).sort((a, b) => b.startedAt - a.startedAt);
  }, []);
  const screen = useRecordsInProgress(loadInspections);
  const inspections = screen.records;

  const templateOf = (inspection: Inspection) => templates.find((template) => template.id === inspection.templateId);
  const activeTemplate = screen.active && templateOf(screen.active);
  if (screen.active && activeTemplate) return <InspectionForm key={screen.active.id} initial={screen.active} template={activeTemplate} onClose={screen.close} />;

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
        onAttempt={screen.attempt}
        onStarted={(id) => {
          onStartedFor();
          screen.started(id);
        }}
      />
      <InProgressCard
        noun="inspection"
        screen={screen}
        drafts={drafts.map((inspection) => {
          const template = templateOf(inspection);
          const progress = template && checklistProgress(inspection, template);
          return (
            <InProgressItem
              key={inspection.id}
              head={
                <>
                  <span className="event__plate">{inspection.equipmentNumber}</span>
                  <Badge tone="draft">Draft</Badge>
                  {inReview.has(inspection.id) ? <Badge tone="warn">Pending review</Badge> : null}
                </>
              }
              note={
                <>
                  {template?.title ?? inspection.templateId} · started {formatDateTime(inspection.startedAt)}
                  {progress ? ` · ${progress.answered} of ${progress.total} items answered` : ''}
                </>
              }
              onResume={() => screen.open(inspection.id)}
              resumable={Boolean(template)}
            />
          );
        })}
        submittedToday={submittedToday.map((inspection) => (
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
      />
    </div>
  );
}
